"""After `#merge`, each customer's copy of the ticket's mail threads to their own
conversation, end to end: the real CLI, a real aiosmtpd relay sink. A customer of the
merged ticket never had the requester's mail (nor the requester's copies of
support's), and the reverse: a copy's In-Reply-To and References name only mail its
recipient sent or was sent. Their replies from a client that drops the [TID#] from the
subject and keeps only In-Reply-To/References land in the ticket; a robot answering
its own copy of an automatic mail is known as one."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, dkim_pass, make_mail
from tests.integration.test_staff_e2e import staff_reply

IVAN = "ivan@shop-example.ru"  # opens the ticket that stays
PETR = "petr@client.example"  # opens the ticket merged into it
OLGA = "olga@client.example"  # in Cc of petr's first mail: a participant of his ticket


@pytest.fixture
def desk(dkim_desk) -> Desk:
    """Whose MTA's DKIM verdicts count: petr's first mail proves his From, so olga, in
    its Cc, joins his ticket (README "Trust": nobody joins a ticket by writing Cc)."""
    return dkim_desk


def two_tickets(desk: Desk) -> tuple[str, str]:
    """(ivan's ticket, petr's, with olga in it)."""
    into = desk.ingest_tid(make_mail(sender=f"Иван <{IVAN}>", msgid="<ivan-1@shop.example>"))
    merged = desk.ingest_tid(
        make_mail(
            sender=f"Пётр <{PETR}>",
            subject="Корзина не открывается",
            msgid="<petr-1@client.example>",
            headers={"Cc": OLGA, **dkim_pass(PETR)},
        )
    )
    return into, merged


def ids(value) -> list[str]:
    return str(value or "").split()


def held(sink, address: str, sent: list[str]) -> set[str]:
    """The Message-IDs a customer has: what reached them at the relay, what they sent."""
    return {str(r.msg["Message-ID"]) for r in sink.to(address)} | set(sent)


def copy_of(sink, address: str, text: str):
    [mail] = [r for r in sink.to(address) if text in r.text]
    return mail


def reply_without_tag(mail, sender: str, msgid: str) -> bytes:
    """A client that answers `mail` to support's plain address, the [TID#] lost from
    the subject: only In-Reply-To and References say what it answers."""
    mid = str(mail.msg["Message-ID"])
    return make_mail(
        sender=sender,
        subject="Re: ваш ответ",
        body=f"Спасибо, {sender} проверит.",
        msgid=msgid,
        headers={"In-Reply-To": mid, "References": " ".join([*ids(mail.msg["References"]), mid])},
    )


def test_each_customer_of_a_merged_ticket_gets_their_own_thread(desk, sink):
    into, merged = two_tickets(desk)
    # the answer given with the merge goes to petr's ticket's customers: petr and olga
    desk.ingest(staff_reply(merged, f"#merge {into}\nОтветим в обращении {into}."))
    desk.ingest(staff_reply(into, "Ответ всем троим."))
    desk.flush()
    # the mail each wrote or, in Cc, got from another customer
    sent = {a: ["<ivan-1@shop.example>"] for a in (IVAN,)}
    sent |= {a: ["<petr-1@client.example>"] for a in (PETR, OLGA)}
    answer = {a: copy_of(sink, a, "Ответ всем троим.") for a in sent}
    assert [answer[a].rcpt_tos for a in sent] == [[IVAN], [PETR], [OLGA]]
    # each answers the customer mail they hold, and names nothing they do not hold
    assert str(answer[IVAN].msg["In-Reply-To"]) == "<ivan-1@shop.example>"
    assert str(answer[PETR].msg["In-Reply-To"]) == "<petr-1@client.example>"
    assert str(answer[OLGA].msg["In-Reply-To"]) == "<petr-1@client.example>"
    for a in sent:
        refs = ids(answer[a].msg["References"])
        assert set(refs) <= held(sink, a, sent[a]), a
    # the first answer, given with the merge, went to petr and olga in two copies: each
    # one's later mail names the copy they got
    first = {
        a: str(copy_of(sink, a, "Ответим в обращении").msg["Message-ID"]) for a in (PETR, OLGA)
    }
    assert first[PETR] != first[OLGA]
    for a in (PETR, OLGA):
        assert first[a] in ids(answer[a].msg["References"]), a
    assert "<ivan-1@shop.example>" not in ids(answer[PETR].msg["References"])
    # each replies, the tag lost: the reply lands in the ticket, and the next answer
    # answers that reply (its own copy's id recorded, named in the References)
    for n, a in enumerate(sent):
        reply = reply_without_tag(answer[a], a, f"<re-{n}@client.example>")
        assert desk.ingest_tid(reply) == into, a
        sent[a].append(f"<re-{n}@client.example>")
    desk.ingest(staff_reply(into, "Второй ответ."))
    desk.flush()
    for a in sent:
        second = copy_of(sink, a, "Второй ответ.")
        assert str(second.msg["In-Reply-To"]) == sent[a][-1], a
        refs = ids(second.msg["References"])
        assert set(refs) <= held(sink, a, sent[a]), a
        assert str(answer[a].msg["Message-ID"]) in refs, a
    froms = [m["from"] for m in desk.ticket(into)["messages"] if m["kind"] == "customer"]
    assert froms == [IVAN, PETR, IVAN, PETR, OLGA]


def test_the_merge_notice_carries_the_tag_of_the_ticket_that_goes_on(desk, sink):
    """«Обращение объединено с [TID#A]: Тема [TID#B]»: two tags in one subject, the
    merged ticket's last. It names both tickets in words, and only the tag of the one
    the conversation goes on in; a reply keeping the subject lands there."""
    into, merged = two_tickets(desk)
    desk.ingest(staff_reply(merged, f"#merge {into}\n"))
    desk.flush()
    [notice] = [r for r in sink.to(PETR) if "объединено" in r.subject]
    assert notice.subject == (
        f"Обращение {merged} объединено с обращением {into}: Корзина не открывается [TID#{into}]"
    )
    mid = str(notice.msg["Message-ID"])
    reply = make_mail(
        sender=PETR,
        subject=f"Re: {notice.subject}",
        body="Понял, спасибо.",
        msgid="<petr-2@client.example>",
        headers={"In-Reply-To": mid, "References": mid},
    )
    assert desk.ingest_tid(reply) == into
    texts = [m["text"] for m in desk.ticket(into)["messages"] if m["kind"] == "customer"]
    assert "Понял, спасибо." in texts[-1]


def test_a_merge_notice_under_an_answer_carries_the_tag_it_asks_for(desk, sink):
    """#merge with an answer folds «Обращение объединено» under it: that mail's subject
    carries the one tag the notice asks the customer to keep, the surviving ticket's,
    as the notice alone does; it kept the merged one's. (No other notice comes with
    it: a #take beside #merge is the surviving ticket's, mergecmd.py.)"""
    into, merged = two_tickets(desk)
    starts = "Re: Корзина не открывается"
    desk.ingest(staff_reply(merged, f"Это тот же вопрос, отвечу там.\n#merge {into}\n"))
    desk.flush()
    [mail] = [r for r in sink.to(PETR) if "объединены" in r.text]
    assert f"метку [TID#{into}]" in mail.text
    assert mail.subject == f"{starts} [TID#{into}]"
    reply = make_mail(sender=PETR, subject=f"Re: {mail.subject}", body="Хорошо.")
    assert desk.ingest_tid(reply) == into


def test_a_robot_answering_its_copy_of_an_automatic_mail_is_known(desk, sink):
    into, merged = two_tickets(desk)
    desk.ingest(staff_reply(merged, f"#merge {into}\n"))
    desk.ingest(staff_reply(into, "#close"))
    desk.flush()
    assert desk.ticket(into)["status"] == "closed"
    closing = {a: copy_of(sink, a, "закрыто") for a in (IVAN, PETR, OLGA)}
    assert len({str(m.msg["Message-ID"]) for m in closing.values()}) == 3
    before = len(sink.received)
    # another desk's robot behind petr's address answers the copy he got, with its tag
    mid = str(closing[PETR].msg["Message-ID"])
    robot = make_mail(
        sender=PETR,
        msgid="<bot-1@client.example>",
        subject="Re: [#117904] Ticket received",
        body="Your request has been received and will be handled.",
        headers={"In-Reply-To": mid, "References": mid},
    )
    assert desk.ingest_tid(robot) == into
    desk.flush()
    t = desk.ticket(into)
    assert t["status"] == "closed"  # a robot does not reopen it
    notes = [m["text"] for m in t["messages"] if m["kind"] == "note" and m["from"] == PETR]
    assert len(notes) == 1 and "ответ робота другой системы заявок" in notes[0]
    assert sink.to(PETR)[-1] is closing[PETR]  # nothing more to the robot
    assert not [r for r in sink.received[before:] if PETR in r.rcpt_tos]


def test_a_robot_answering_the_merge_notice_is_known_in_the_ticket_it_lands_in(desk, sink):
    # another desk's robot opens a ticket, which staff merge into ivan's: the robot
    # gets «Обращение объединено», our automatic mail about the ticket merged
    bot = "helpdesk@vendor.example"
    into = desk.ingest_tid(make_mail(sender=f"Иван <{IVAN}>", msgid="<ivan-1@shop.example>"))
    merged = desk.ingest_tid(make_mail(sender=bot, subject="Заказ 77", msgid="<b0@vendor.example>"))
    desk.ingest(staff_reply(merged, f"#merge {into}\n"))
    desk.flush()
    [notice] = [r for r in sink.to(bot) if "объединено с обращением" in r.subject]
    before = len(sink.received)
    staff_before = len(sink.to("anna@example.com"))
    due = desk.ticket(into)["reaction_due"]
    # it answers that mail as it answers everything: its own tag, no Auto-Submitted
    mid = str(notice.msg["Message-ID"])
    answer = make_mail(
        sender=bot,
        msgid="<bot-1@vendor.example>",
        subject=f"[#5512] Re: {notice.subject}",
        body="Ticket #5512 received. We will get back to you shortly.",
        headers={"In-Reply-To": mid, "References": mid},
    )
    assert desk.ingest_tid(answer) == into  # the conversation goes on there
    desk.flush()
    t = desk.ticket(into)
    notes = [m["text"] for m in t["messages"] if m["kind"] == "note" and m["from"] == bot]
    assert len(notes) == 1 and "ответ робота другой системы заявок" in notes[0]
    assert t["reaction_due"] == due  # no person waits on it
    assert not [r for r in sink.received[before:] if bot in r.rcpt_tos]  # no acknowledgement
    # staff are told of its mail once, as of any robot's first answer (the note says why)
    assert len(sink.to("anna@example.com")) - staff_before == 1
    # its next answer is no news to anyone
    desk.ingest(answer.replace(b"<bot-1@", b"<bot-2@"))
    desk.flush()
    assert not [r for r in sink.received[before:] if bot in r.rcpt_tos]
    assert len(sink.to("anna@example.com")) - staff_before == 1
    # why: the notice is in the thread of both tickets, once
    for tid in (merged, into):
        kept = [m["message_id"] for m in desk.ticket(tid)["messages"]]
        assert kept.count(str(notice.msg["Message-ID"])) == 1, tid


def test_a_robot_known_in_the_merged_ticket_is_known_in_the_one_it_lands_in(desk, sink):
    # another desk's robot opens a ticket and answers its confirmation with its own tag:
    # a robot there; staff merge that ticket into ivan's
    bot = "helpdesk@vendor.example"
    into = desk.ingest_tid(make_mail(sender=f"Иван <{IVAN}>", msgid="<ivan-1@shop.example>"))
    merged = desk.ingest_tid(make_mail(sender=bot, subject="Заказ 77", msgid="<b0@vendor.example>"))
    desk.flush()
    [confirmation] = sink.to(bot)
    mid = str(confirmation.msg["Message-ID"])
    first = make_mail(
        sender=bot,
        msgid="<bot-1@vendor.example>",
        subject=f"[#5512] Re: {confirmation.subject}",
        body="Ticket #5512 received. We will get back to you shortly.",
        headers={"In-Reply-To": mid, "References": mid},
    )
    assert desk.ingest_tid(first) == merged
    desk.ingest(staff_reply(merged, f"#merge {into}\n"))
    desk.ingest(staff_reply(into, "Ответ всем."))
    desk.flush()
    [answer] = [r for r in sink.to(bot) if "Ответ всем." in r.text]
    before = len(sink.received)
    staff_before = len(sink.to("anna@example.com"))
    # its answer to staff's answer (no automatic mail: nothing in it shows a robot)
    # lands in ivan's ticket, where the robot is known as it was in its own
    mid = str(answer.msg["Message-ID"])
    again = make_mail(
        sender=bot,
        msgid="<bot-2@vendor.example>",
        subject=f"[#5512] Re: {answer.subject}",
        body="Ticket #5512 updated. We will get back to you shortly.",
        headers={"In-Reply-To": mid, "References": mid},
    )
    assert desk.ingest_tid(again) == into
    desk.flush()
    assert not [r for r in sink.received[before:] if bot in r.rcpt_tos]  # no acknowledgement
    assert len(sink.to("anna@example.com")) == staff_before  # staff were told once, in its own
    t = desk.ticket(into)
    assert "<bot-2@vendor.example>" in [m["message_id"] for m in t["messages"]]
    notes = [m["text"] for m in t["messages"] if m["kind"] == "note" and m["from"] == bot]
    assert len(notes) == 1 and "ответ робота другой системы заявок" in notes[0]  # the one moved
