"""Staff notices that quote mail no customer wrote (the head's note to staff, a mail
from a staff address maild could not verify, a mail server's report): a staff member
who answers the customer from such a notice, writing below the quote as Thunderbird
does, sends the customer the answer alone, never the quoted text. Each of them set it
between the customer-text lines, and the quote rule kept it as the customer's words:
the head's internal note, a forger's «pay to this card» and the relay's hosts reached
the customer from support@."""

from __future__ import annotations

import email.policy
import email.utils
from datetime import datetime, timedelta
from email.message import EmailMessage

from tests.helpers import make_mail, staff_to

CUSTOMER = "ivan@shop-example.ru"
ANNA = "Анна Смирнова <anna@example.com>"


def _tb_reply(to: str, subject: str, quoted: str, answer: str) -> bytes:
    """Thunderbird's default reply: format=flowed, the attribution, the notice quoted
    with "> ", the answer typed below it and the signature under "-- "."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = ANNA, to, f"Re: {subject}"
    m["Date"] = "Wed, 09 Dec 2026 16:20:00 +0300"
    m["Message-ID"] = email.utils.make_msgid(domain="example.com")
    q = "\n".join(("> " + line).rstrip() for line in quoted.splitlines())
    body = f"09.12.2026 16:05, Служба поддержки пишет:\n{q}\n\n{answer}\n\n-- \nАнна\n"
    m.set_content(body, charset="utf-8", params={"format": "flowed"})
    return m.as_bytes(policy=email.policy.SMTP)


def _answer_below(desk, sink, notice, answer: str, to: str | None = None) -> str:
    """Anna answers `notice` below its quote (to its Reply-To, or `to`); the text the
    customer gets."""
    before = len(sink.to(CUSTOMER))
    reply_to = to or notice.msg["Reply-To"].addresses[0].addr_spec
    desk.ingest(_tb_reply(reply_to, notice.subject, notice.text, answer))
    desk.flush()
    [got] = sink.to(CUSTOMER)[before:]
    return got.text


def test_the_heads_note_quoted_below_an_answer_stays_with_staff(desk, sink):
    tid = desk.ingest_tid(make_mail())
    due = datetime.fromisoformat(desk.ticket(tid)["reaction_due"])
    assert desk.run("jobs", "run", "--now", (due + timedelta(minutes=5)).isoformat()).code == 0
    desk.flush()
    [esc] = [r for r in sink.to("head@example.com") if "Просрочена" in r.subject]
    head = make_mail(
        sender="Олег Петрович <head@example.com>",
        to=esc.msg["Reply-To"].addresses[0].addr_spec,
        subject=f"Re: {esc.subject}",
        body="Анна, клиент на особом контроле. Скидку дайте 10%, не больше.",
    )
    assert desk.ingest(head).out == f"appended [TID#{tid}]\n"
    desk.flush()
    [note] = [r for r in sink.to("anna@example.com") if "руководителя" in r.subject]
    assert "Скидку дайте 10%" in note.text
    # to the ticket's address signed for her (as on her other notices of it)
    answer = "Иван, здравствуйте! Обновите модуль до 7.1."
    got = _answer_below(desk, sink, note, answer, to=staff_to(tid))
    assert "Обновите модуль до 7.1." in got
    assert "Скидку" not in got and "особом контроле" not in got and "Просрочена" not in got


def test_a_forged_staff_mail_quoted_back_never_reaches_the_customer(desk, sink):
    """The forger's mail even carries a customer-text block of its own: quoted in the
    notice, it is no customer's text either."""
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    forged = make_mail(
        sender=ANNA,
        subject=f"Re: [TID#{tid}]",
        body=(
            "Иван, переведите 15000 руб. на карту 4276 1234 5678 9012.\n"
            "----- текст письма -----\n"
            "Оплатите счёт по ссылке https://pay.evil.example\n"
            "----- конец текста -----\n"
        ),
    )
    assert desk.ingest(forged).out == f"appended [TID#{tid}]\n"
    desk.flush()
    [notice] = [r for r in sink.to("anna@example.com") if "не принято" in r.subject]
    assert "4276 1234 5678 9012" in notice.text and "pay.evil.example" in notice.text
    got = _answer_below(desk, sink, notice, "Иван, это письмо писала не я, ничего не платите!")
    assert "ничего не платите" in got
    assert "4276 1234" not in got and "15000" not in got and "evil" not in got


def test_a_bounce_report_quoted_below_an_answer_stays_with_staff(desk, sink):
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    answer = make_mail(sender=ANNA, to=staff_to(tid), subject=f"Re: [TID#{tid}]", body="Иван, ок.")
    desk.ingest(answer)
    desk.flush()
    headers = sink.to(CUSTOMER)[-1].raw.split(b"\r\n\r\n", 1)[0]
    bounce = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        b"To: support@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-1@mx.example.com>\r\nAuto-Submitted: auto-replied\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        b' boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n'
        b"This is the mail system at host mx.internal.corp.example.\r\n\r\n"
        b"<ivan@shop-example.ru>: host mx.shop-example.ru[10.20.30.40] said: 550 5.1.1\r\n"
        b"    User unknown (in reply to RCPT TO command)\r\n\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.internal.corp.example\r\n\r\n"
        b"Final-Recipient: rfc822; ivan@shop-example.ru\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n" + headers + b"\r\n\r\n--B--\r\n"
    )
    assert desk.ingest(bounce).out == f"appended [TID#{tid}]\n"
    desk.flush()
    [notice] = [r for r in sink.to("anna@example.com") if "не доставлено" in r.subject]
    assert "10.20.30.40" in notice.text
    got = _answer_below(desk, sink, notice, "Иван, повторяю ответ: обновите модуль.")
    assert "повторяю ответ" in got
    assert "internal" not in got and "10.20.30.40" not in got and "User unknown" not in got


def test_a_reply_to_the_heads_note_goes_to_the_head_not_the_customer(desk, sink):
    """«Олег Петрович, клиент сложный...»: "Reply" to «Письмо руководителя поддержки»
    went to the ticket's address signed for the staff member, and the customer got it
    as the staff answer. The note's Reply-To is the head: the mail client sends the
    reply there, past maild, and the note says so and how to answer the customer."""
    tid = desk.ingest_tid(make_mail())
    due = datetime.fromisoformat(desk.ticket(tid)["reaction_due"])
    assert desk.run("jobs", "run", "--now", (due + timedelta(minutes=5)).isoformat()).code == 0
    desk.flush()
    [esc] = [r for r in sink.to("head@example.com") if "Просрочена" in r.subject]
    head = make_mail(
        sender="Олег Петрович <head@example.com>",
        to=esc.msg["Reply-To"].addresses[0].addr_spec,
        subject=f"Re: {esc.subject}",
        body="Анна, почему клиенту никто не ответил?",
    )
    desk.ingest(head)
    desk.flush()
    customer_mail = len(sink.to(CUSTOMER))
    for staff in ("anna@example.com", "boris@example.com"):
        [note] = [r for r in sink.to(staff) if "руководителя" in r.subject]
        # "Reply" in the mail client: to the Reply-To; maild gets it if it is maild's
        [to] = [a.addr_spec for a in note.msg["Reply-To"].addresses]
        if to.startswith("support"):
            text = "Олег Петрович, клиент сложный, отвечу сегодня."
            desk.ingest(_tb_reply(to, note.subject, note.text, text))
            desk.flush()
        assert len(sink.to(CUSTOMER)) == customer_mail
        assert to == "head@example.com"
        assert "уйдёт руководителю head@example.com" in " ".join(note.text.split())
        assert "ответьте на уведомление maild" in note.text
    assert [m["kind"] for m in desk.ticket(tid)["messages"]].count("staff") == 0
