"""maild/refusals.py: staff are told the relay's refusal of a mail, not the error of
an earlier try it deferred (a 4xx, then a 5xx: the 5xx is why it is not delivered)."""

from __future__ import annotations

from types import SimpleNamespace

from maild.refusals import _shown


def test_the_refusal_is_shown_not_the_earlier_deferral():
    meta = {
        "to": ["ivan@shop-example.ru"],
        "kind": "",
        "subject": "Re: [TID#2611-0001] оплата",
        "queued_at": "2026-11-25T10:01:00+03:00",
        "last_error": "451 4.7.1 try again later",
        "refused": "550 5.1.1 no such user",
    }
    app = SimpleNamespace(fmt_time=lambda t: t)
    assert _shown(app, meta)["error"] == "550 5.1.1 no such user"  # type: ignore[arg-type]
    del meta["refused"]  # an entry without it (the key is optional): the last error
    assert _shown(app, meta)["error"] == "451 4.7.1 try again later"  # type: ignore[arg-type]
