"""Every line about a mail names the Message-ID it carries, or `<none>` (README,
Health, metrics and logs): not the id maild files a mail without one under
(`<...@maild.invalid>`), nor the `<reused-...>` one it files a mail under whose
Message-ID another mail holds. The lines of a staff address's mail that is not
verified, of the head's, and of quarantined spam named those made-up ids, which
neither the MTA's log nor the mail holds: the admin's grep found them nowhere."""

from __future__ import annotations

import logging

from tests.helpers import Desk, dead_port, make_mail


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]


def _without_id(raw: bytes) -> bytes:
    return raw.replace(b"Message-ID:", b"X-Old-Message-ID:")


def test_lines_of_mail_without_a_message_id_say_none(tmp_path, caplog) -> None:
    desk = Desk(tmp_path, dead_port())
    tid = desk.ingest_tid(make_mail(msgid="<first@c.example>"))
    subject = f"Re: [TID#{tid}] x"
    caplog.clear()
    with caplog.at_level(logging.INFO):
        desk.ingest(_without_id(make_mail(sender="anna@example.com", subject=subject)))
        desk.ingest(_without_id(make_mail(sender="head@example.com", subject=subject)))
        desk.ingest(_without_id(make_mail(sender="s@x.example", headers={"X-Spam-Flag": "YES"})))
    lines = _lines(caplog)
    for said in ("claims staff address", "from the head", "quarantined as"):
        [line] = [x for x in lines if said in x]
        assert line.startswith("<none> "), line
    assert not [x for x in lines if "maild.invalid" in x], lines


def test_a_reused_message_id_is_named_as_the_mail_carries_it(tmp_path, caplog) -> None:
    desk = Desk(tmp_path, dead_port())
    tid = desk.ingest_tid(make_mail(msgid="<first@c.example>"))
    caplog.clear()
    forged = make_mail(
        msgid="<first@c.example>", sender="anna@example.com", subject=f"Re: [TID#{tid}] y"
    )
    with caplog.at_level(logging.INFO):
        desk.ingest(forged)
    [line] = [x for x in _lines(caplog) if "claims staff address" in x]
    assert line.startswith("<first@c.example> "), line
