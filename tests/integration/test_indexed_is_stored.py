"""The site takes a post as stored once the Message-ID index names its ticket
(views.Site.stored), and redirects to the ticket's page, which then must show it. The
index entry was the first file a commit renamed, the ticket's file one of the later
ones: on a busy machine the page after «Отправить» showed the ticket without the post
(a reply, a rating: «Оцените работу» again), or a new request's link led to no ticket,
and `maild ticket show` right after a 303 did not list it. A commit now makes the
index entry visible after everything else it writes."""

from __future__ import annotations

import os
import subprocess
import sys

from maild.app import App
from maild.config import load
from tests.helpers import ROOT, Desk, dead_port, make_mail


def test_mail_the_message_id_index_names_is_in_its_ticket_already(tmp_path):
    desk = Desk(tmp_path, dead_port())
    tid = desk.ingest_tid(make_mail(msgid="<first@c.example>"))
    reply = make_mail(subject=f"Re: [TID#{tid}] Заказ", body="Ещё скриншот.", msgid="<r@c>")
    opened = make_mail(sender="olga@client.example", body="Новый вопрос.", msgid="<new@c>")
    store = App(load(desk.config)).store  # as the site reads it: no lock, no recovery
    for raw, msgid, text in (
        (reply, "<r@c>", "Ещё скриншот."),
        (opened, "<new@c>", "Новый вопрос."),
    ):
        cmd = [sys.executable, "-m", "tests.indexedcrash", "--config", str(desk.config)]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        p = subprocess.run([*cmd, "ingest", "-"], input=raw, env=env, capture_output=True)
        # killed as the index entry became visible: a reader without the lock sees it
        assert p.returncode == 137, p.stderr.decode()
        indexed = store.tid_for_msgid(msgid)
        assert indexed is not None
        loaded = store.load(indexed)
        assert loaded is not None, f"{msgid} indexed to {indexed}, which is not there"
        assert any(m["text"].strip() == text for m in loaded[1]), (msgid, loaded[1])
