"""What a hostile public address gets besides sizes and spam verdicts: mail in our own
name, forged reports, robots that do not say so, through the real CLI (`maild
ingest`) and a real relay sink, counting what left."""

from __future__ import annotations

import re
import smtplib
import time

import pytest

from tests.helpers import SUPPORT, Daemon, Desk, free_port, make_mail, staff_to

STAFF = {"anna@example.com", "boris@example.com"}


def staff_says(desk: Desk, tid: str, body: str) -> None:
    desk.ingest(
        make_mail(sender="anna@example.com", to=staff_to(tid), subject=f"[TID#{tid}]", body=body)
    )


@pytest.mark.parametrize("ours", [SUPPORT, "Support <SUPPORT+news@Example.COM>"])
def test_mail_in_our_own_name_never_makes_maild_write_to_itself(desk, sink, ours):
    """A forged From of the support address (or a plus-address of it) opens a ticket
    staff see, but no mail of that ticket goes to the support address: it would
    come straight back in, a loop that only a person's patience stops."""
    tid = desk.ingest_tid(make_mail(sender=ours, subject="Счёт на оплату"))
    staff_says(desk, tid, "Здравствуйте! Это не к нам.")
    staff_says(desk, tid, "#close")
    desk.flush()
    assert {r for m in sink.received for r in m.rcpt_tos} == STAFF
    t = desk.ticket(tid)
    assert t["status"] == "closed"
    # the answer had no one to go to: a note, and anna was told (staff_unsent)
    [answer] = [m for m in t["messages"] if m["text"] == "Здравствуйте! Это не к нам."]
    assert answer["kind"] == "note" and not answer.get("to")
    assert [m.subject for m in sink.to("anna@example.com") if "не отправлен" in m.subject]


@pytest.mark.parametrize("sender", ["", "<>", "undisclosed-recipients:;", "Ivan"])
def test_a_reply_to_with_no_from_address_gets_no_mail_by_itself(desk, sink, sender):
    """With no address in From, the Reply-To became the requester: it got the
    confirmation and every staff answer, though a Reply-To proves no one (README)."""
    raw = make_mail(sender="x@x.example", headers={"Reply-To": "victim@third.example"})
    raw = raw.replace(b"From: x@x.example\r\n", f"From: {sender}\r\n".encode() if sender else b"")
    tid = desk.ingest_tid(raw)
    staff_says(desk, tid, "Здравствуйте! Проверьте настройки.")
    desk.flush()
    assert sink.to("victim@third.example") == []
    assert desk.ticket(tid)["requester"] == ""
    [notice] = [m for m in sink.to("anna@example.com") if "Новое обращение" in m.subject]
    assert "victim@third.example" in notice.text  # named to staff, who may #cc it


def _report(sender: str, about: str, n: int) -> bytes:
    """A delivery report (bounce) whose returned headers name the Message-ID `about`."""
    return (
        f"From: {sender}\r\nTo: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <report-{n}@mx.evil.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Оплатите счёт: http://evil.example/pay\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.evil\r\n"
        "\r\nFinal-Recipient: rfc822; ivan@shop-example.ru\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {SUPPORT}\r\n"
        f"Message-ID: {about}\r\nSubject: x\r\n\r\n--R--\r\n"
    ).encode()


def test_a_report_about_the_customers_own_mail_is_not_a_bounce_of_ours(desk, sink):
    """maild never sent the customer's mail: a "bounce" of it is forged (its Message-ID
    is known to everyone the customer wrote to) and goes to the quarantine; it does
    not get into the ticket past the participant check, nor to staff. A bounce of
    mail maild did send still joins its ticket."""
    tid = desk.ingest_tid(make_mail(msgid="<orig@shop-example.ru>"))
    desk.flush()
    [confirmation] = sink.to("ivan@shop-example.ru")
    before = len(sink.received)
    forged = desk.ingest(_report("mallory@evil.example", "<orig@shop-example.ru>", 1))
    assert forged.out.startswith("quarantined")
    desk.flush()
    assert len(sink.received) == before
    assert len(desk.ticket(tid)["messages"]) == 3  # the mail, the notice, the confirmation
    ours = _report("MAILER-DAEMON@mx.shop-example.ru", confirmation.msg["Message-ID"], 2)
    assert desk.ingest(ours).out == f"appended [TID#{tid}]\n"


def test_thousands_of_refused_files_give_small_mail(desk, sink):
    """The confirmation goes to whatever address the From names: it lists the first
    refused files and counts the rest, it does not repeat them all (20,000 files of
    a 5 MB message made an 8 MB confirmation). Refused alike, they are one line: ten
    names, the rest a count, the reason once."""
    files = [(f"счёт-{i}.exe", "application/octet-stream", b"MZ\x90\x00") for i in range(300)]
    tid = desk.ingest_tid(make_mail(attachments=files))
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body="Ещё раз.", attachments=files))
    desk.flush()
    confirmation, acknowledgement = sink.to("ivan@shop-example.ru")
    for mail in (confirmation, acknowledgement):
        assert mail.text.count(".exe") == 10  # the names; the reason names none
        line = re.sub("[ \r\n]+", " ", mail.text)  # as typed, its wrapping undone
        assert "и ещё\u00a0290\u00a0файлов: Эти файлы (программа) не приняты." in line
        assert len(mail.raw) < 20_000
    for notice in sink.to("anna@example.com"):
        assert "и ещё вложений: 280" in notice.text and len(notice.raw) < 20_000
    stored = desk.ticket(tid)["messages"][0]["attachments"]
    assert len(stored) == 300  # the ticket keeps every one


def test_a_vacation_reply_without_headers_gets_no_acknowledgement(desk, sink):
    """The customer's vacation responder answers the confirmation with a marked
    subject and no Auto-Submitted: the reply is kept, staff see it, nothing
    automatic goes back to it."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [confirmation] = sink.to("ivan@shop-example.ru")
    vacation = make_mail(
        subject=f"Автоматический ответ: {confirmation.subject}",
        body="Я в отпуске до 10 декабря, отвечу после возвращения.",
        headers={"In-Reply-To": confirmation.msg["Message-ID"]},
    )
    assert desk.ingest(vacation).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert len(sink.to("ivan@shop-example.ru")) == 1
    assert "в отпуске" in desk.ticket(tid)["messages"][-2]["text"]


@pytest.mark.parametrize("protocol", ["lmtp", "smtp"])
def test_mail_with_a_null_envelope_sender_is_never_answered(tmp_path, sink, protocol):
    """MAIL FROM:<> is how DSNs and well-behaved auto-replies arrive (RFC 3834 3.3):
    maild, as the final delivery, records it as `Return-Path: <>` (RFC 5321 4.4), so
    such mail is kept and shown to staff but gets no confirmation, whatever its From
    says. Mail from a real reverse path is stored as it came."""
    port = free_port()
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{port}", "protocol": protocol})
    vacation = make_mail(sender="petr@client.example", subject="Я в отпуске", msgid="<v@c>")
    human = make_mail(sender="olga@client.example", subject="Вопрос", msgid="<h@c>")
    daemon = Daemon(desk).start()
    try:
        client = smtplib.LMTP if protocol == "lmtp" else smtplib.SMTP
        with client("127.0.0.1", port, timeout=10) as c:
            c.sendmail("", [SUPPORT], vacation)
            c.sendmail("olga@client.example", [SUPPORT], human)
        deadline = time.monotonic() + 20
        while len(desk.tickets()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        assert daemon.stop() == 0
    desk.flush()
    assert sink.to("petr@client.example") == []
    assert len(sink.to("olga@client.example")) == 1
    assert len(sink.to("anna@example.com")) == 2  # staff see both
    assert "automated: пустой Return-Path" in daemon.logtext()
    cur = sorted((tmp_path / "data" / "spool" / "cur").iterdir())
    assert sorted(p.read_bytes() for p in cur) == sorted([b"Return-Path: <>\r\n" + vacation, human])


def test_a_spam_verdict_below_20000_lines_of_the_senders_headers_is_read(desk, sink):
    """A milter appends its verdict at the header block's end; the block was read from
    its first 20,000 lines only, so a spammer's padding hid it: a ticket, staff
    notices, and a confirmation to the forged sender."""
    raw = make_mail(sender="victim@forged.example", subject="Выигрыш")
    head, body = raw.split(b"\r\n\r\n", 1)
    padded = head + b"\r\n" + b"X-Pad: x\r\n" * 20_001 + b"X-Spam-Flag: YES\r\n\r\n" + body
    r = desk.ingest(padded)
    assert "quarantined" in r.out, r.out
    desk.flush()
    assert desk.tickets() == [] and sink.received == []


def _verdict_appended(raw: bytes, own: bytes, verdict: bytes) -> bytes:
    """``raw`` with the sender's own field ``own`` on top of its header block and the
    milter's ``verdict`` appended at the block's end (where a milter adds a field)."""
    head, body = raw.split(b"\r\n\r\n", 1)
    return own + b"\r\n" + head + b"\r\n" + verdict + b"\r\n\r\n" + body


@pytest.mark.parametrize(
    "own, verdict",
    [
        (b"X-Spam-Flag: NO", b"X-Spam-Flag: YES"),
        (b"X-Spam-Status: No, score=-1.0", b"X-Spam-Status: Yes, score=15.2"),
        (b"X-Spam: No", b"X-Spam: Yes"),
        (b"X-Rspamd-Action: no action", b"X-Rspamd-Action: add header"),
    ],
)
def test_a_senders_own_not_spam_on_top_does_not_hide_the_milters_verdict(desk, sink, own, verdict):
    """Only a verdict header's first value was read: the sender's own "no" on top hid
    the milter's "yes" below it, and the forged sender got a confirmation, staff
    notices of a new ticket."""
    raw = make_mail(sender="victim@forged.example", subject="Выигрыш")
    r = desk.ingest(_verdict_appended(raw, own, verdict))
    assert r.out.startswith("quarantined"), r.out
    assert desk.flush().code == 0
    assert desk.tickets() == [] and sink.received == []
    [held] = desk.run("spam", "list", "--json").json()
    assert held["reason"].startswith("spam: " + verdict.decode().split(":")[0])


@pytest.mark.parametrize("line", [b"X-Foo : bar", b"X-Foo\t: bar", b"Subject2 :x"])
def test_a_field_with_blank_space_before_its_colon_does_not_hide_the_milters_verdict(
    desk, sink, line
):
    """postfix reads "X-Foo : bar" as a header field (RFC 5322's obsolete syntax), so a
    milter appends its verdict below it; maild ended the header block there and read
    the verdict as the text's first line: a ticket, staff notices, a confirmation to
    the forged sender."""
    raw = make_mail(sender="victim@forged.example", subject="Выигрыш")
    r = desk.ingest(_verdict_appended(raw, b"X-Mailer: x", line + b"\r\nX-Spam-Flag: YES"))
    assert r.out.startswith("quarantined"), r.out
    assert desk.flush().code == 0
    assert desk.tickets() == [] and sink.received == []
    [held] = desk.run("spam", "list", "--json").json()
    assert held["reason"] == "spam: X-Spam-Flag: YES"
    assert held["from"] == "victim@forged.example" and held["subject"] == "Выигрыш"


def test_mail_with_such_a_field_and_no_verdict_is_read_whole(desk, sink):
    """The same field in clean mail hides nothing either: the text is the text."""
    raw = make_mail(sender="olga@client.example", subject="Счёт", body="Пришлите счёт.")
    head, body = raw.split(b"\r\n\r\n", 1)
    tid = desk.ingest_tid(b"X-Mailer : Outlook\r\n" + head + b"\r\n\r\n" + body)
    desk.flush()
    assert desk.ticket(tid)["messages"][0]["text"].strip() == "Пришлите счёт."
    assert len(sink.to("olga@client.example")) == 1
