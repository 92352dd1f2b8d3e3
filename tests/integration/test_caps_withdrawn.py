"""The caps on automatic mail count what a person gets: mail withdrawn from the
outbox before it went (block add, #uncc, `maild forget`, ...) reached nobody and
uses up no address's allowance; mail that went still does."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, make_mail

CUSTOMER = "ivan@shop-example.ru"


def _write(desk: Desk, n: int) -> str:
    mail = make_mail(sender=CUSTOMER, subject=f"Вопрос {n}", msgid=f"<q{n}@shop-example.ru>")
    return desk.ingest_tid(mail)


def _unsent(desk: Desk, tid: str) -> list[str]:
    """The ticket's notes of automatic mail not sent (`ticket show --json`)."""
    notes = (m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note")
    return [t for t in notes if t.startswith("Не отправлено")]


@pytest.mark.parametrize("how", ["block add", "hand-edited list"])
def test_withdrawn_confirmations_leave_the_days_cap_to_mail_that_goes(tmp_path, sink, how):
    """Two confirmations queued, then withdrawn (by `block add`, or by the sender
    reading a hand-edited blocklist.json): with a cap of two a day, once unblocked the
    customer's next confirmation goes (they got none yet); the one after that is
    within the cap too, the third that went is not."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_day": 2})
    _write(desk, 1)
    _write(desk, 2)
    blocklist = desk.root / "data" / "blocklist.json"
    if how == "block add":
        r = desk.run("block", "add", CUSTOMER)
        assert "withdrew 2 queued automatic mail(s)" in r.out, r.out + r.err
        assert desk.run("block", "remove", CUSTOMER).code == 0
    else:
        blocklist.write_text(f'["{CUSTOMER}"]\n', "utf-8")
        assert desk.flush().code == 0  # the sender withdraws both
        blocklist.write_text("[]\n", "utf-8")
    withdrawn = [m for m in desk.run("outbox", "list", "--sent", "--json").json()
                 if m.get("withdrawn") == "blocked"]  # fmt: skip
    assert len(withdrawn) == 2
    assert desk.flush().code == 0 and sink.to(CUSTOMER) == []
    third = _write(desk, 3)
    assert desk.flush().code == 0
    got = sink.to(CUSTOMER)
    assert len(got) == 1 and f"[TID#{third}]" in got[0].subject, [m.subject for m in got]
    assert _unsent(desk, third) == []
    # the cap still holds for mail that went: two reached the customer, the third is held
    fourth = _write(desk, 4)
    fifth = _write(desk, 5)
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 2
    assert _unsent(desk, fourth) == []
    [note] = _unsent(desk, fifth)
    assert "не больше 2 автоматических писем адресу в сутки" in note
