"""maild.web.ask: the page a confirmed «Задать вопрос» request ends on."""

from __future__ import annotations

import time
from types import SimpleNamespace

from maild.web.ask import STORED_WITHIN, Ask


def _ask(tmp_path, stored):
    cfg = SimpleNamespace(max_submissions_per_hour=5, max_confirmations_per_hour=50)
    app = SimpleNamespace(config=SimpleNamespace(storage_path=tmp_path))
    site = SimpleNamespace(app=app, cfg=cfg, stored=stored)
    site.notice = lambda title, *paragraphs, **kw: (title, kw.get("refresh"))
    return Ask(site)


def test_a_request_not_stored_a_minute_after_its_click_is_said_taken_not_looked_for(tmp_path):
    """The spool set the confirmed request aside (no ticket soon): past STORED_WITHIN
    the page says it is taken for staff; it said «Обращение регистрируется…» and
    looked again every 2 seconds for ever. Just clicked, it still looks again."""
    ask = _ask(tmp_path, stored=lambda message_id: None)
    meta = {"email": "ivan@client.example", "message_id": "<q@site>", "confirmed": True}
    late = meta | {"confirmed_at": time.time() - STORED_WITHIN - 5}
    assert ask._to_ticket(late, "token") == ("Обращение принято", None)
    title, refresh = ask._to_ticket(meta | {"confirmed_at": time.time()}, "token")
    assert title == "Обращение регистрируется…" and refresh == 2
