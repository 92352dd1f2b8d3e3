"""A text file kept for staff (`attachments.accept_other_types`) that holds access
data loses them with the rest of the ticket, two days after the closing: the
ticket's copy of the file is its redacted text, in the charset it came in (UTF-8
when that cannot hold the marker), and the site's download gives that. End to end:
mail in over SMTP, the closing by a staff reply, `maild jobs run` past
credentials_keep_days, the file as the customer's link and `ticket show` give it."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime, timedelta

from maild.domain.redact import MARKER
from tests.helpers import make_mail, staff_to
from tests.integration.test_serve import wait_until
from tests.integration.test_web import mail_in
from tests.webclient import link_in, request, running_site

SECRET = "LogSecret77"
LOG = (
    "2026-12-01 10:00:01 ERROR login failed\n"
    f"DB_PASSWORD={SECRET}\n"
    "2026-12-01 10:00:02 ERROR retrying\n"
).encode()
ACCESS = f"Доступы к сайту\nАдминка: admin / {SECRET}\nХостинг в порядке\n".encode("cp1251")
CLEAN = b"2026-12-01 10:00:03 INFO request ok path=/index\n"
CUSTOMER = "ivan@client.example"


def _outbox_files(root) -> list[tuple[str, bytes]]:
    """The files the mails in the outbox (queued or sent) carry: name and bytes."""
    out = []
    for path in (root / "data" / "outbox").rglob("*.mail"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in msg.walk():
            if part.get_filename():
                out.append((part.get_filename(), part.get_payload(decode=True) or b""))
    return out


def test_a_kept_text_file_with_a_password_is_rewritten_redacted(tmp_path):
    site = running_site(tmp_path, attachments={"accept_other_types": True})
    desk, daemon, sink, base = next(site)
    try:
        files = [
            ("error.log", "text/plain", LOG),
            ("доступы.txt", "text/plain", ACCESS),
            ("clean.log", "text/plain", CLEAN),
        ]
        raw = make_mail(sender=CUSTOMER, body="Сайт лежит, файлы во вложении.\n", attachments=files)
        mail_in(daemon, raw, sender=CUSTOMER)
        [conf] = wait_until(lambda: sink.to(CUSTOMER))
        tid = re.search(r"TID#([\w-]+)", conf.subject).group(1)
        link = link_in(conf.text, base)
        assert request(link + "/file/0/0").body == LOG  # kept as it came until then
        assert wait_until(lambda: len(_outbox_files(tmp_path)) >= 3)  # the staff notices
        assert any(SECRET.encode() in data for _name, data in _outbox_files(tmp_path))

        close = make_mail(
            sender="Анна <anna@example.com>", to=staff_to(tid),
            subject=f"Re: Новое обращение [TID#{tid}]", body="#close\nГотово.\n",
        )  # fmt: skip
        mail_in(daemon, close, sender="anna@example.com")
        assert wait_until(lambda: desk.ticket(tid).get("closed_at"))
        closed_at = datetime.fromisoformat(desk.ticket(tid)["closed_at"])
        later = closed_at + timedelta(days=2, minutes=1)
        assert desk.run("jobs", "run", "--now", later.isoformat(), "--json").json()["redacted"]

        log, access, clean = (request(f"{link}/file/0/{i}").body for i in range(3))
        assert SECRET.encode() not in log and SECRET.encode() not in access
        # ASCII cannot hold the marker: UTF-8, marked so for whoever opens it
        assert log.startswith(b"\xef\xbb\xbf")
        assert log.decode("utf-8-sig") == LOG.decode().replace(
            f"DB_PASSWORD={SECRET}", f"DB_PASSWORD={MARKER}"
        )
        assert access.decode("cp1251").startswith("Доступы к сайту\nАдминка: ")
        assert MARKER in access.decode("cp1251") and "Хостинг в порядке" in access.decode("cp1251")
        assert clean == CLEAN  # a file with no access data stays as it came
        [first] = desk.ticket(tid)["messages"][:1]
        assert [a["size"] for a in first["attachments"]] == [len(log), len(access), len(CLEAN)]
        # the old files are no ticket's now: the day's sweep (the same run, a day on) took them
        kept = [p for p in (tmp_path / "data" / "attachments").rglob("*") if p.is_file()]
        assert not [p for p in kept if SECRET.encode() in p.read_bytes()]
        # the staff notices in the outbox carried the files: their copies are redacted too
        assert not [name for name in _outbox_files(tmp_path) if SECRET.encode() in name[1]]
    finally:
        next(site, None)
