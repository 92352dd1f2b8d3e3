"""Credential redaction after closing, end to end: a password in the subject, and the
shapes customers commonly write them in, leave every file of the storage (ticket,
archive week, spool copies, outbox mail and records, sent and queued), and the TID
tag stays in each subject so a reply still finds the ticket."""

from __future__ import annotations

from datetime import datetime

from tests.helpers import make_mail, staff_to, stored_text
from tests.integration.test_staff_e2e import staff_reply

SECRETS = ("Qwerty123", "qwerty123", "9f8d7s", "Zx81kq", "qwerty1\n", "секрет")
MARKER = "[данные доступа удалены]"


def test_subject_and_common_shapes_are_redacted_everywhere(desk, sink):
    subject = "Доступ: логин admin пароль Qwerty123"
    body = (
        "Здравствуйте!\n"
        "Админка: admin / qwerty123\n"
        "пароль к ftp такой же qwerty1\n"
        "FTP: ftp.shop.ru admin 9f8d7s\n"
        "sftp 203.0.113.5:22 deploy, Zx81kq\n"
        "Пароль не подходит, я сменил пароль вчера.\n"
    )
    tid = desk.ingest_tid(make_mail(subject=subject, body=body))
    desk.flush()  # the confirmation and the staff notices go: sent/
    sink.wait_for(3)
    staff_subject = f"Re: Новое обращение [TID#{tid}] {subject}"
    reply = make_mail(
        sender="Анна <anna@example.com>", to=staff_to(tid), subject=staff_subject,
        body="#cc olga@y.example\n#close\nГотово, смените пароль.\n\n"
        "> Админка: admin / qwerty123\n",
    )  # fmt: skip
    # the answer with the rating request stays queued (queue/), a copy to each: Olga's
    # copy (its own id, staff answers' "copies") is redacted as Ivan's is
    desk.ingest(reply)
    assert [r for r in desk.run("outbox", "list", "--json").json() if r["tid"] == tid]
    stored = stored_text(desk.root)
    assert all(s in stored for s in ("Qwerty123", "qwerty123", "9f8d7s", "Zx81kq"))

    closed_at = datetime.fromisoformat(desk.ticket(tid)["closed_at"])
    later = datetime.fromtimestamp(closed_at.timestamp() + 2 * 86400 + 60, closed_at.tzinfo)
    r = desk.run("jobs", "run", "--now", later.isoformat(), "--json")
    assert r.json()["redacted"] == 1

    stored = stored_text(desk.root)
    for secret in SECRETS:
        assert secret not in stored, secret
    t = desk.ticket(tid)
    assert t["subject"] == f"Доступ: {MARKER}"
    assert [row["subject"] for row in desk.tickets("--status", "closed")] == [t["subject"]]
    first = t["messages"][0]
    assert first["text"].splitlines()[1:] == [
        f"Админка: {MARKER}",
        f"пароль к ftp такой же {MARKER}",
        f"FTP: ftp.shop.ru {MARKER}",
        f"sftp 203.0.113.5:22 {MARKER}",
        "Пароль не подходит, я сменил пароль вчера.",  # prose stays
    ]
    # every subject in the outbox keeps its tag, record and mail alike
    rows = [r for r in desk.run("outbox", "list", "--json", "--sent").json() if r["tid"] == tid]
    rows += [r for r in desk.run("outbox", "list", "--json").json() if r["tid"] == tid]
    assert len(rows) >= 4
    for row in rows:
        assert row["subject"].endswith(f"{MARKER} [TID#{tid}]"), row["subject"]
    assert f"Subject: Re: Доступ: {MARKER} [TID#{tid}]" in stored  # the queued answer's
    # what staff wrote in the answer stays as it went
    assert "Готово, смените пароль." in stored

    # a reply to the redacted mail still finds its ticket
    desk.ingest(make_mail(subject=f"Re: {rows[-1]['subject']}", body="Снова не работает"))
    t = desk.ticket(tid)
    assert t["status"] == "open"
    assert [m for m in t["messages"] if m["direction"] == "in" and "Снова" in m["text"]]


def test_a_ticket_reopened_after_its_closing_keeps_its_access_data(desk, sink):
    """Redaction is due two days after the closing; a ticket reopened since is worked
    on again, and staff still need the access data the customer gave: it stays."""
    tid = desk.ingest_tid(make_mail(subject="Доступ", body="Админка: admin / qwerty123\n"))
    desk.ingest(staff_reply(tid, "#close\n"))
    closed_at = datetime.fromisoformat(desk.ticket(tid)["closed_at"])
    desk.ingest(staff_reply(tid, "#reopen\n"))
    assert desk.ticket(tid)["status"] != "closed"
    later = datetime.fromtimestamp(closed_at.timestamp() + 2 * 86400 + 60, closed_at.tzinfo)
    r = desk.run("jobs", "run", "--now", later.isoformat(), "--json")
    assert r.json()["redacted"] == 0
    assert "admin / qwerty123" in desk.ticket(tid)["messages"][0]["text"]
