"""A staff member's answer to «Письмо руководителя поддержки» goes to the head (its
Reply-To). A client that ignores Reply-To, or support@ in Cc, brought it to support@
threaded to the note: DKIM-verified staff mail on the ticket, it went to the customer
as a staff answer («Олег Петрович, клиент сложный...»). The note's Message-ID is a
list's: such a reply is held and its writer told, nothing reaches the customer. End
to end: `maild jobs run` (the escalation), `maild ingest`, a real aiosmtpd relay."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.helpers import Desk, make_mail

CUSTOMER = "ivan@shop-example.ru"  # make_mail's sender
VERIFIED = "mx.example.com; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=example.com"


def test_a_reply_to_the_heads_note_through_support_reaches_no_customer(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, support={"authserv_id": "mx.example.com"})
    tid = desk.ingest_tid(make_mail())
    due = datetime.fromisoformat(desk.ticket(tid)["reaction_due"])
    assert desk.run("jobs", "run", "--now", (due + timedelta(minutes=5)).isoformat()).code == 0
    desk.flush()
    [escalation] = [r for r in sink.to("head@example.com") if "Просрочена" in r.subject]
    head = make_mail(
        sender="Олег Петрович <head@example.com>",
        to=escalation.msg["Reply-To"].addresses[0].addr_spec,
        subject=f"Re: {escalation.subject}",
        body="Анна, почему клиенту никто не ответил?",
    )
    desk.ingest(head)
    desk.flush()
    [note] = [r for r in sink.to("anna@example.com") if "руководителя" in r.subject]
    before = len(sink.to(CUSTOMER))
    told = len(sink.to("anna@example.com"))
    reply = make_mail(
        sender="Анна <anna@example.com>",
        to="head@example.com",
        subject=f"Re: {note.subject}",
        body="Олег Петрович, клиент сложный, отвечу сегодня.",
        headers={
            "Cc": "support@example.com",
            "In-Reply-To": note.msg["Message-ID"],
            "References": note.msg["Message-ID"],
            "Authentication-Results": VERIFIED,
        },
    )
    assert desk.ingest(reply).code == 0
    desk.flush()
    assert sink.to(CUSTOMER)[before:] == []
    assert all("клиент сложный" not in m.get("text", "") for m in desk.ticket(tid)["messages"])
    [notice] = sink.to("anna@example.com")[told:]
    assert "клиенту не отправлен" in notice.subject and "руководителя" in notice.text
