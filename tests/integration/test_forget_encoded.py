"""`maild forget` finds the person where the stored outgoing mail's bytes do not show
them: in a text part render sent as base64 (a line of the morning digest over 998
octets, from a long subject) and in a header in RFC 2047 encoded words (a Cyrillic
subject that names their address). End to end through the `maild` CLI and a real
aiosmtpd relay: the queued digest still goes out, a valid mail."""

from __future__ import annotations

import base64
import email
import email.policy
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from maild.app import App
from maild.config import load
from maild.runner import ingest
from tests.helpers import Desk, make_mail

MSK = ZoneInfo("Europe/Moscow")
FRIDAY = datetime(2026, 11, 20, 16, 0, tzinfo=MSK)
MONDAY = "2026-11-23T09:05:00+03:00"  # the digest's first business morning
TUESDAY = "2026-11-24T09:05:00+03:00"  # the next one
ERASED = "[удалено по запросу]"
GONE = "c1@shop1.example"
# 4 octets a character: the digest's line «requester: subject» passes 998 octets
LONG = "Секретный заказ " + "😀" * 280


class Clock:
    def __init__(self, when: datetime) -> None:
        self.now = when

    def __call__(self) -> datetime:
        return self.now


def _mails(desk: Desk, folder: str) -> list[tuple[bytes, email.message.EmailMessage]]:
    """Each outbox file of the folder: its bytes, and its mail (after the record) parsed."""
    out = []
    for path in sorted((desk.root / "data/outbox" / folder).glob("*.mail")):
        data = path.read_bytes()
        mail = data.partition(b"\n")[2]
        out.append((data, email.message_from_bytes(mail, policy=email.policy.default)))
    return out


def _digests(desk: Desk, folder: str) -> list[tuple[bytes, email.message.EmailMessage]]:
    return [(d, m) for d, m in _mails(desk, folder) if "Очередь обращений" in str(m["Subject"])]


def _shown(data: bytes, msg: email.message.EmailMessage) -> str:
    """What a reader sees of a stored mail: its raw bytes, headers decoded, text decoded."""
    body = msg.get_body(("plain",))
    headers = "\n".join(f"{k}: {v}" for k, v in msg.items())
    return "\n".join([data.decode(), headers, body.get_content() if body else ""]).lower()


@pytest.mark.daily_mail
def test_forget_scrubs_a_digest_sent_as_base64(tmp_path: Path, sink) -> None:
    """A subject of 280 emoji makes the digest's line 1,100 octets: render sends the
    digest base64. `maild forget` left «Секретный заказ», the emoji and the address
    in it, in the digest sent and in the one still queued."""
    desk = Desk(tmp_path, sink.port, support={"staff": ["anna@example.com"]})
    app = App(load(desk.config), clock=Clock(FRIDAY))
    tids = []
    for i in range(3):
        subject = LONG if i == 1 else f"Заказ номер {i}"
        tids.append(ingest(app, make_mail(sender=f"c{i}@shop{i}.example", subject=subject))[1].tid)
    assert desk.flush().code == 0
    assert desk.run("jobs", "run", "--now", MONDAY).code == 0
    assert desk.flush().code == 0  # Monday's digest sent
    assert desk.run("jobs", "run", "--now", TUESDAY).code == 0  # Tuesday's queued
    [(sent_before, _)] = _digests(desk, "sent")
    [(queued_before, _)] = _digests(desk, "queue")
    for data in (sent_before, queued_before):  # the case at hand: base64, nothing readable
        assert b"Content-Transfer-Encoding: base64" in data
        assert GONE.encode() not in data and "Секретный".encode() not in data

    assert desk.run("forget", GONE).code == 0
    [(sent, sent_msg)] = _digests(desk, "sent")
    [(queued, queued_msg)] = _digests(desk, "queue")
    for before, after, msg in ((sent_before, sent, sent_msg), (queued_before, queued, queued_msg)):
        shown = _shown(after, msg)
        assert GONE not in shown and "секретный заказ" not in shown and "😀" not in shown
        text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert f"forgotten@invalid: {ERASED}\n" in text
        assert f"[TID#{tids[1]}] до " in text  # its line stays, without the subject
        assert "c0@shop0.example: Заказ номер 0\n" in text
        assert "c2@shop2.example: Заказ номер 2\n" in text
        # only the text changed: the headers byte for byte, and base64 as render writes
        # it; the record gives the mail's new length (a cut mail is not sent)
        record, _, mail = after.partition(b"\n")
        assert json.loads(record)["length"] == len(mail)
        head = before.partition(b"\n")[2].partition(b"\r\n\r\n")[0]
        assert mail.startswith(head + b"\r\n\r\n")
        encoded = mail[len(head) + 4 :]
        assert encoded == base64.encodebytes(base64.b64decode(encoded)).replace(b"\n", b"\r\n")

    start = len(sink.received)
    assert desk.flush().code == 0  # the queued one still goes, a valid mail
    [got] = [m for m in sink.received[start:] if "Очередь обращений" in m.subject]
    assert got.rcpt_tos == ["anna@example.com"] and not got.msg.defects
    assert got.msg["Message-ID"] == queued_msg["Message-ID"]
    assert got.text == queued_msg.get_body(("plain",)).get_content()
    assert GONE not in got.text and "Секретный заказ" not in got.text


def test_forget_scrubs_an_address_in_an_encoded_subject(tmp_path: Path, sink) -> None:
    """Another customer's ticket whose Cyrillic subject names the person: its mails'
    Subject is RFC 2047 encoded words, where a byte search does not see the address.
    `maild forget` left it there, and in the ticket's subject the next mail repeats."""
    desk = Desk(tmp_path, sink.port)
    subject = "Удалите данные C1@Shop1.example, пожалуйста"
    tid = desk.ingest_tid(make_mail(sender="a@shop-a.example", subject=subject))
    queued = _mails(desk, "queue")
    assert len(queued) == 3  # the confirmation and each staff member's notice
    for data, msg in queued:  # the case at hand: not in the raw header, but in Subject
        head = data.partition(b"\n")[2].partition(b"\r\n\r\n")[0]
        assert b"shop1" not in head.lower() and GONE in str(msg["Subject"]).lower()

    assert desk.run("forget", GONE).code == 0
    assert GONE not in desk.ticket(tid)["subject"].lower()
    for data, msg in _mails(desk, "queue"):
        assert GONE not in _shown(data, msg)
        assert str(msg["Subject"]).startswith("Обращение зарегистрировано: Удалите данные ") or (
            str(msg["Subject"]).startswith("Новое обращение")
        )
        assert f"forgotten@invalid, пожалуйста [TID#{tid}]" in str(msg["Subject"])

    start = len(sink.received)
    assert desk.flush().code == 0
    got = sink.received[start:]
    assert sorted(r for m in got for r in m.rcpt_tos) == sorted(
        ["a@shop-a.example", "anna@example.com", "boris@example.com"]
    )
    for m in got:
        assert not m.msg.defects and GONE not in m.subject.lower()
        assert "forgotten@invalid, пожалуйста" in m.subject


def test_forget_scrubs_the_address_from_another_requesters_display_name(
    tmp_path: Path, sink
) -> None:
    """olga writes as «Коллега ivan@shop-example.ru» (an RFC 2047 encoded word, as
    Python's generator writes it): her ticket keeps the From display name for saved
    answers' greeting («{{ name }}»). `maild forget ivan@...` left the address there,
    in the ticket file on disk, while every mail and text was clean."""
    gone = "ivan@shop-example.ru"
    desk = Desk(tmp_path, sink.port)
    desk.ingest_tid(make_mail(sender=gone, subject="Мой вопрос"))
    raw = make_mail(sender=f'"Коллега {gone}" <olga@other.ru>', subject="Вопрос коллеги")
    assert b"=?utf-8?" in raw.partition(b"\r\n\r\n")[0].lower()  # the case at hand
    tid = desk.ingest_tid(raw)
    assert desk.flush().code == 0

    assert desk.run("forget", gone).code == 0
    desk.ingest(make_mail(sender="olga@other.ru", subject=f"Re: [TID#{tid}]", body="Ещё."))
    [path] = (desk.root / "data" / "tickets").rglob(f"{tid}.json")
    stored = path.read_text("utf-8")
    assert gone not in stored.lower()
    assert '"requester_name": "Коллега forgotten@invalid"' in stored.replace('":"', '": "')
    for path in (desk.root / "data").rglob("*"):  # the summaries too (open/, archive)
        if path.is_file() and path.suffix in (".json", ".jsonl"):
            assert gone.encode() not in path.read_bytes().lower(), path
