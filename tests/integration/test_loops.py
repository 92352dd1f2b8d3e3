"""Two robots can never ping-pong: automatic replies per address are limited."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, make_mail, staff_reply


def test_at_most_n_automatic_replies_per_sender_per_hour(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_hour": 2})
    tids = [desk.ingest_tid(make_mail(subject=f"Письмо {i}")) for i in range(4)]
    assert len(set(tids)) == 4  # every mail is still stored as a ticket
    desk.ingest(make_mail(sender="other@x.example"))
    desk.flush()
    sink.wait_for(7)
    assert len(sink.to("ivan@shop-example.ru")) == 2
    assert len(sink.to("other@x.example")) == 1
    assert len(sink.to("anna@example.com")) == 5  # staff see every one


def test_a_robot_writing_from_a_plus_address_per_ticket_meets_one_cap(tmp_path, sink):
    """Another desk answering each of our mails from support+<its ticket>@ (no
    Auto-Submitted): every address was new to the caps, so each round got one more
    confirmation, without end. The caps count the mailbox without its +tag."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_hour": 2})
    for n in range(5):
        robot = f"Support+{1001 + n}@vendor.example"
        desk.ingest(make_mail(sender=robot, subject=f"[Ticket#{1001 + n}] Re: Обращение"))
    desk.ingest(make_mail(sender="sales+eu@other.example"))  # another mailbox: its own cap
    desk.flush()
    sink.wait_for(2 * 6 + 3)
    robot_mail = [m for m in sink.received if m.rcpt_tos[0].endswith("@vendor.example")]
    assert len(robot_mail) == 2, [m.rcpt_tos for m in robot_mail]
    assert len(sink.to("sales+eu@other.example")) == 1
    assert len(sink.to("anna@example.com")) == 6  # staff see every one


def test_a_local_part_quoted_without_need_meets_the_same_cap(tmp_path, sink):
    """Forged mail from "victim+N"@ (and "victim"@ by turns with victim@): each quoted
    form was a mailbox of its own to the caps, and the relay took them all unquoted
    into one mailbox; nor was "support"@ seen as maild's own address."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_hour": 2})
    for n in range(4):
        desk.ingest(make_mail(sender=f'"victim+{n}"@shop.example'))
        desk.ingest(make_mail(sender='"victim"@shop.example' if n % 2 else "victim@shop.example"))
    desk.ingest(make_mail(sender='"support"@example.com'))
    desk.flush()
    sink.wait_for(2 * 9 + 2)
    victim = [m for m in sink.received if m.rcpt_tos[0].endswith("@shop.example")]
    assert len(victim) == 2, [m.rcpt_tos for m in victim]
    assert sink.to("support@example.com") == []


@pytest.mark.parametrize("by_references", [False, True], ids=["in-reply-to", "references"])
def test_a_robot_answering_from_a_new_address_each_round_gets_one_mail(
    tmp_path, sink, by_references
):
    """Another desk answering each of our mails from a new address (ticket-1001@,
    ticket-1002@, ...; no Auto-Submitted): not the ticket's member, each answer opened
    a ticket of its own, whose confirmation it answered again: 60 rounds, 60 tickets,
    60 confirmations and 120 staff notices, without end. One that names our mail by
    References alone, under a subject of its own, is known the same way."""
    desk = Desk(tmp_path, sink.port)
    desk.ingest(make_mail(sender="ivan@shop-example.ru"))
    desk.flush()
    sink.wait_for(3)
    [mail] = sink.to("ivan@shop-example.ru")  # the confirmation
    for n in range(5):
        robot = f"ticket-{1001 + n}@desk.example"
        refs = {"References": mail.msg["Message-ID"]}
        if not by_references:
            refs["In-Reply-To"] = mail.msg["Message-ID"]
        subject = "Ваше письмо получено" if by_references else f"Re: {mail.subject}"
        answer = make_mail(sender=robot, subject=subject, headers=refs)
        desk.ingest(answer)
        desk.flush()
        got = sink.to(robot)
        if not got:
            break
        mail = got[-1]
    assert [r for r in sink.received if r.rcpt_tos[0].endswith("@desk.example")] == []
    [robots] = [t for t in desk.tickets() if t["requester"] == "ticket-1001@desk.example"]
    assert len(desk.tickets()) == 2
    [notice] = [m for m in sink.to("anna@example.com") if robots["tid"] in m.subject]
    assert "подтверждение не отправлено" in notice.text


@pytest.mark.parametrize("tagged", [False, True], ids=["re", "own-tag"])
def test_a_robot_threading_by_our_tag_alone_from_a_new_address_gets_one_mail(
    tmp_path, sink, tagged
):
    """Another desk answering each of our mails from ticket-<N>@desk.example, subject
    «Re: <ours>» or «[Ticket#N] …: <ours>», without In-Reply-To, References or
    Auto-Submitted: each answer opened a ticket that refers to the last, whose
    confirmation it answered again: 40 rounds, 41 mails to it, 41 notices to each
    staff member, no cap reached. Naming a ticket whose last mail to its domain was
    automatic, it answers that mail: no confirmation, the loop ends."""
    desk = Desk(tmp_path, sink.port)
    desk.ingest(make_mail(sender="ticket-1000@desk.example", subject="Проблема с лицензией"))
    desk.flush()
    for n in range(1, 11):
        got = [r for r in sink.received if r.rcpt_tos[0].endswith("@desk.example")]
        if len(got) < n:
            break
        ours = got[-1].subject
        subject = f"[Ticket#{1000 + n}] Ваш запрос принят: {ours}" if tagged else f"Re: {ours}"
        robot = f"ticket-{1000 + n}@desk.example"
        desk.ingest(make_mail(sender=robot, subject=subject, body=f"Номер запроса {1000 + n}."))
        desk.flush()
    sink.wait_for(3 + 2)
    robot_mail = [r for r in sink.received if r.rcpt_tos[0].endswith("@desk.example")]
    assert [r.rcpt_tos for r in robot_mail] == [["ticket-1000@desk.example"]]
    assert len(desk.tickets()) == 2
    assert len(sink.to("anna@example.com")) == len(sink.to("boris@example.com")) == 2
    [notice] = [m for m in sink.to("anna@example.com") if "ticket-1001" in m.text]
    assert "подтверждение не отправлено" in notice.text


def test_a_person_naming_a_tid_from_another_domain_is_confirmed(tmp_path, sink):
    """A stranger at another domain who writes a new mail with someone's TID (the
    ticket's only mail out so far automatic) opens a ticket of their own and gets its
    confirmation: only the ticket's own domain answers its automatic mail so."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail())
    other = desk.ingest_tid(
        make_mail(sender="olga@other-shop.example", subject=f"Вопрос по [TID#{tid}]")
    )
    desk.flush()
    sink.wait_for(6)
    assert other != tid and desk.ticket(other)["refers_to"] == tid
    [confirmation] = sink.to("olga@other-shop.example")
    assert other in confirmation.subject


def test_accepted_attachments_are_stored_once_by_hash(tmp_path, sink):
    import hashlib

    desk = Desk(tmp_path, sink.port)
    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
        b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    for i in range(2):
        desk.ingest(make_mail(subject=f"Скрин {i}", attachments=[("a.gif", "image/gif", gif)]))
    h = hashlib.sha256(gif).hexdigest()
    stored = list((tmp_path / "data" / "attachments").rglob("*"))
    files = [p for p in stored if p.is_file()]
    assert [p.name for p in files] == [h]
    assert files[0].read_bytes() == gif


def test_confirmations_to_a_forged_staff_address_are_capped(tmp_path, sink):
    """30 mails forged From: anna@ (a staff address, no TID) opened 30 tickets, and
    anna got 30 confirmations: mail to staff never counted as automatic."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_hour": 3})
    for n in range(6):
        desk.ingest(make_mail(sender="anna@example.com", subject=f"Счёт {n}"))
    desk.flush()
    sink.wait_for(6 * 2)
    to_anna = [m for m in sink.to("anna@example.com") if "зарегистрировано" in m.subject]
    assert len(to_anna) == 3, [m.subject for m in sink.to("anna@example.com")]
    assert len(desk.tickets()) == 6


def test_a_stranger_at_a_free_mail_service_naming_a_tid_is_confirmed(tmp_path, sink):
    """bob@gmail.com writes a new mail naming alice@gmail.com's ticket (she forwarded
    him her confirmation): gmail.com's users are no one side, and he is a person with
    a ticket of his own; taken for a robot's answer, he got no confirmation."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender="alice@gmail.com", subject="Не работает"))
    desk.flush()
    other = desk.ingest_tid(make_mail(sender="bob@gmail.com", subject=f"Вопрос по [TID#{tid}]"))
    desk.flush()
    assert other != tid and desk.ticket(other)["refers_to"] == tid
    assert len(sink.to("bob@gmail.com")) == 1


def test_a_colleague_naming_the_tid_after_staff_answered_is_confirmed_whatever_came_after(
    tmp_path, sink
):
    """Staff answered Ivan, then `#level vip` sent him an automatic notice: his colleague's
    new mail naming the TID was taken for an answer to that notice, no confirmation."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(sender="ivan@shop-example.ru", subject="Не работает"))
    desk.ingest(staff_reply(tid, "Здравствуйте, посмотрим."))
    desk.ingest(staff_reply(tid, "#level vip"))
    desk.flush()
    mail = make_mail(sender="petr@shop-example.ru", subject=f"Вопрос по [TID#{tid}]")
    other = desk.ingest_tid(mail)
    desk.flush()
    assert other != tid and len(sink.to("petr@shop-example.ru")) == 1
