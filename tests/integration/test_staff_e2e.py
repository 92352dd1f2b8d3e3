"""Staff work tickets from their mail client: real CLI, real sink, real files."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from email.header import decode_header, make_header

import pytest

from maild.domain.calendar import BusinessCalendar
from maild.domain.replyaddr import sign_for
from tests.helpers import (
    PNG,
    REPLY_SECRET,
    SUPPORT,
    Desk,
    dkim_pass,
    make_mail,
    staff_reply,
    staff_to,
)
from tests.unit.test_attachments import bmp_bytes

ANNA = "anna@example.com"


def open_ticket(desk: Desk, sink, **kw) -> tuple[str, object]:
    """A customer ticket; returns (tid, the staff notice as received)."""
    tid = desk.ingest_tid(make_mail(**kw))
    desk.flush()
    notice = [r for r in sink.wait_for(2) if "anna@example.com" in r.rcpt_tos][-1]
    return tid, notice


def customer_mails(sink, address: str = "ivan@shop-example.ru"):
    return sink.to(address)


def test_new_ticket_notice_to_staff(desk, sink):
    tid, notice = open_ticket(
        desk,
        sink,
        attachments=[
            ("скрин.png", "image/png", PNG),
            ("shot.bmp", "image/bmp", b"BM" + b"\0" * 60),
        ],
    )
    m = notice.msg
    assert m["From"].addresses[0].addr_spec == "support@example.com"
    reply_to = m["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith(f"support+{tid}.") and reply_to.endswith("@example.com")
    assert f"[TID#{tid}]" in m["Subject"] and "(бесплатная, до " in m["Subject"]
    # the deadline in the subject short, without the year: «до 25.11 15:30»
    assert re.search(r"\(бесплатная, до \d\d\.\d\d \d\d:\d\d\): ", m["Subject"])
    text = notice.text
    assert "ошибка 500" in text and "Бесплатная поддержка" in text
    assert "не указан" in text  # identification result
    assert "скрин.png" in text and "принято" in text
    assert "shot.bmp" in text and "отклонено" in text
    assert "#close" in text and "#take" in text  # cheat-sheet
    # «#spam домен»: the word itself, shown bare (not «[домен]», read as a placeholder)
    assert "  #spam домен " in text and "[домен]" not in text
    files = [(p.get_filename(), p.get_content()) for p in m.iter_attachments()]
    assert files == [("скрин.png", PNG)]  # only the accepted one is attached
    # every staff member gets a copy of their own: the same text and files, a
    # Reply-To signed for them alone
    copies = [
        r
        for r in sink.received
        if f"[TID#{tid}]" in r.subject and r.rcpt_tos != ["ivan@shop-example.ru"]
    ]
    assert sorted(r.rcpt_tos[0] for r in copies) == ["anna@example.com", "boris@example.com"]
    assert {r.text for r in copies} == {text}
    assert all(
        [(p.get_filename(), p.get_content()) for p in r.msg.iter_attachments()] == files
        for r in copies
    )
    assert len({r.msg["Reply-To"].addresses[0].addr_spec for r in copies}) == len(copies) > 1


def test_staff_reply_reaches_customer_trimmed_and_sets_first_reaction(desk, sink):
    tid, notice = open_ticket(desk, sink)
    reply = staff_reply(
        tid,
        "Иван, очистите кэш в настройках.\n\nС уважением, Анна\n\n"
        "25.11.2026 10:15, Служба поддержки пишет:\n> Новое обращение\n> ошибка 500\n",
        headers={"In-Reply-To": notice.msg["Message-ID"]},
    )
    assert desk.ingest_tid(reply) == tid
    t = desk.ticket(tid)
    assert t["status"] == "open"
    assert t["first_reaction_at"] is not None and t["reaction_due"] is None
    [staff_msg] = [m for m in t["messages"] if m["kind"] == "staff"]
    assert staff_msg["direction"] == "out" and staff_msg["from"] == "anna@example.com"
    assert "пишет:" not in staff_msg["text"]
    desk.flush()
    sink.wait_for(5)
    mails = customer_mails(sink)
    answer = [r for r in mails if "очистите кэш" in r.text]
    assert len(answer) == 1
    a = answer[0].msg
    assert a["From"].addresses[0].addr_spec == "support@example.com"
    assert f"[TID#{tid}]" in a["Subject"]
    # it answers the customer's mail (the confirmation answered it too), not the staff
    # member's, which the customer never had
    [confirmation] = [r for r in mails if "Обращение зарегистрировано" in r.subject]
    assert a["In-Reply-To"] == confirmation.msg["In-Reply-To"]
    staff_id = "<" + reply.split(b"Message-ID: <", 1)[1].split(b">")[0].decode() + ">"
    assert staff_id not in str(a["References"])
    assert "Auto-Submitted" not in a
    assert "пишет:" not in answer[0].text and "> ошибка 500" not in answer[0].text
    # the answer is the news that work started: no separate "work started" mail
    assert [r for r in mails if "Работа по обращению начата" in r.subject] == []
    desk.ingest(staff_reply(tid, "Ещё вопрос: какая версия PHP?"))
    desk.ingest(staff_reply(tid, "#take"))
    desk.flush()
    sink.wait_for(6)
    assert len([r for r in customer_mails(sink) if "начата" in r.subject]) == 0


def test_an_answer_from_outlook_threads_to_the_customers_own_mail(desk, sink):
    """Outlook writes only the notice's Message-ID into References: the answer named the
    notice and the staff member's Message-ID, none of which the customer ever had, and
    came as a thread of its own in their Thunderbird. It now answers the customer's
    mail and names what they hold: their mail and support's to them."""
    tid, notice = open_ticket(desk, sink, msgid="<q1@shop-example.ru>")
    desk.ingest(
        make_mail(subject=f"Re: [TID#{tid}]", body="Ещё: ошибка 502.", msgid="<q2@shop-example.ru>")
    )
    desk.flush()
    # the notice of that mail is answered: #close on the first notice, older than the
    # customer's mail, would stop (domain/staleview.py)
    notice = [r for r in sink.wait_for(6) if r.rcpt_tos == ["anna@example.com"]][-1]
    assert notice.subject.startswith("Новое письмо клиента")
    confirmation = customer_mails(sink)[0].msg["Message-ID"]
    staff_id = "<AM6PR04MB1234@AM6PR04MB1234.eurprd04.prod.outlook.com>"
    refs = {"In-Reply-To": notice.msg["Message-ID"], "References": notice.msg["Message-ID"]}
    desk.ingest(staff_reply(tid, "Иван, обновите модуль.\n#close\n", msgid=staff_id, headers=refs))
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "обновите модуль" in r.text]
    assert answer.msg["In-Reply-To"] == "<q2@shop-example.ru>"
    refs = str(answer.msg["References"]).split()
    assert refs[0] == "<q1@shop-example.ru>" and "<q2@shop-example.ru>" in refs
    assert confirmation in refs
    assert staff_id not in refs and notice.msg["Message-ID"] not in refs


def test_an_answer_to_a_ticket_without_a_subject_keeps_the_notice_out_of_its_subject(desk, sink):
    """A customer writes with no subject (a phone's share button, a hasty mail). Staff
    answer the notice from their client, whose subject is "RE: " and the notice's:
    the customer got the answer under «Re: Новое обращение (бесплатная, до ...): (без
    темы)», the ticket's level and deadline, which are support's own."""
    raw = make_mail(subject="-").replace(b"Subject: -\r\n", b"")
    tid = desk.ingest_tid(raw)
    desk.flush()
    [notice] = [r for r in sink.wait_for(2) if "anna@example.com" in r.rcpt_tos]
    assert "Новое обращение (бесплатная, до " in notice.subject
    desk.ingest(staff_reply(tid, "Иван, уточните версию.", subject=f"RE: {notice.subject}"))
    desk.ingest(staff_reply(tid, "#close", subject=f"RE: {notice.subject}"))
    desk.flush()
    subjects = [r.subject for r in customer_mails(sink)][1:]
    assert subjects == [f"Re: (без темы) [TID#{tid}]", f"Обращение закрыто: (без темы) [TID#{tid}]"]


def test_a_staff_reply_exchange_marked_no_auto_reply_is_a_staff_reply(desk, sink):
    """Outlook through Exchange marks people's mail «X-Auto-Response-Suppress: All» (do
    not auto-reply to this), not only its robots'. A staff answer so marked was taken
    for automatic mail: kept as a customer's message of Anna's, both staff notified of
    «a new mail of the customer», and the customer got nothing. The staff member's own
    out-of-office reply (its subject says so) is still no answer."""
    tid, _notice = open_ticket(desk, sink)
    exchange = {"X-Auto-Response-Suppress": "All", "Thread-Topic": "Новое обращение"}
    answer = "Иван, очистите кэш браузера и повторите оплату."
    desk.ingest(staff_reply(tid, answer, headers=exchange))
    desk.flush()
    assert [r for r in customer_mails(sink) if answer in r.text]
    assert not [r for r in sink.received if "Новое письмо" in r.subject]
    [anna] = [m for m in desk.ticket(tid)["messages"] if m["from"] == "anna@example.com"]
    assert anna["kind"] == "staff" and "automated" not in anna
    ooo = "Я в отпуске до 10 декабря."
    subject = f"Автоматический ответ: [TID#{tid}]"
    desk.ingest(staff_reply(tid, ooo, headers=exchange, subject=subject))
    desk.flush()
    assert not [r for r in customer_mails(sink) if ooo in r.text]


def test_a_staff_members_out_of_office_is_a_note_staff_are_not_told_of(desk, sink):
    """A staff member's out-of-office answers maild's notice at its signed address.
    It was filed as a customer's message of Anna's, and every staff member got
    «Новое письмо клиента» with Anna as the customer, once per notice she was sent.
    It is a note of the ticket: nothing to the customer, nothing to staff."""
    tid, _notice = open_ticket(desk, sink)
    before, status = len(sink.received), desk.ticket(tid)["status"]
    ooo = "Я в отпуске до 10 декабря, по срочным вопросам пишите Борису."
    auto = {"Auto-Submitted": "auto-replied"}
    desk.ingest(staff_reply(tid, ooo, headers=auto, subject=f"Автоответ: [TID#{tid}]"))
    desk.flush()
    assert sink.received[before:] == []
    t = desk.ticket(tid)
    [note] = [m for m in t["messages"] if m["from"] == "anna@example.com"]
    assert note["kind"] == "note" and ooo in note["text"]
    assert t["status"] == status and t["first_reaction_at"] is None


def test_command_prompts_in_a_staff_answer_reach_the_customer(desk, sink):
    """«PS> » and «SQL> » open lines as The Bat!'s initials open a quote. A staff
    answer with commands to run was not sent at all: staff got «Ответ клиенту не
    отправлен», their text said to stand inside a quote. A prompt is text the staff
    member typed; a Bat! quote of the notice below it still never goes."""
    tid, notice = open_ticket(desk, sink)
    answer = (
        "Иван, выполните в PowerShell от администратора:\n"
        "PS> Restart-Service maild\n"
        "и в SQL*Plus:\n"
        "SQL> select count(*) from orders;\n\n"
        "С уважением, Анна"
    )
    bat = "\n".join(f"СП> {line}".rstrip() for line in notice.text.splitlines())
    text = f"{answer}\n\nВы писали 25 ноября 2026 г., 10:00:\n\n{bat}\n"
    desk.ingest(staff_reply(tid, text))
    desk.flush()
    [sent] = [r for r in customer_mails(sink) if "PowerShell" in r.text]
    lines = sent.text.splitlines()
    assert "PS> Restart-Service maild" in lines and "SQL> select count(*) from orders;" in lines
    assert "#close" not in sent.text and "СП>" not in sent.text  # none of the notice
    assert not [r for r in sink.to("anna@example.com") if "не отправлен" in r.subject]


def test_commands_change_the_ticket_and_are_not_shown_to_customer(desk, sink):
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#take\n#critical\n#assign boris@example.com\n\nСмотрим."))
    t = desk.ticket(tid)
    assert t["status"] == "open" and t["critical"] is True
    assert t["assignee"] == "boris@example.com"
    desk.ingest(staff_reply(tid, "#level vip\nПовысили уровень."))
    t = desk.ticket(tid)
    assert t["level"] == "vip" and t["reaction_due"] is None  # answered: none pending
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body="Лог во вложении."))
    desk.ingest(staff_reply(tid, "#development\n"))  # the pending deadline re-timed
    t = desk.ticket(tid)
    assert t["level"] == "development"
    due = datetime.fromisoformat(t["reaction_due"])
    created = datetime.fromisoformat(t["created_at"])
    assert (due - created).days >= 30  # 24 business days
    desk.ingest(staff_reply(tid, "#wait\nЖдём лог."))
    assert desk.ticket(tid)["status"] == "waiting"
    desk.flush()
    sink.wait_for(8)
    to_customer = customer_mails(sink)
    bodies = "\n".join(r.text for r in to_customer)
    assert "#take" not in bodies and "#level" not in bodies and "#wait" not in bodies
    assert "Смотрим." in bodies and "Ждём лог." in bodies
    # one mail per reply: the level change folded under the answer that made it
    [answer] = [r for r in to_customer if "Повысили уровень." in r.text]
    assert "VIP поддержка" in answer.text
    [level_mail] = [r for r in to_customer if "Изменён уровень" in r.subject]
    assert "отдел разработки" in level_mail.text and "24 рабочих дня" in level_mail.text


def test_a_take_after_a_colleague_closed_the_ticket_is_refused_and_says_who(desk, sink):
    """Two staff answer one notice: Anna closes the ticket with her answer, Boris, who
    read the notice a minute later, replies «#take». It opened the ticket again without a
    word: the customer had been told it was closed. Boris is told who closed it; #reopen
    opens it."""
    tid, notice = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Иван, исправлено в 7.0.1.\n#close\n"))
    boris = "boris@example.com"
    desk.ingest(staff_reply(tid, "#take\n", sender=boris))
    desk.flush()
    assert desk.ticket(tid)["status"] == "closed"
    [told] = [r for r in sink.to(boris) if r.subject.startswith("Команды не выполнены")]
    assert "#take не выполнена: обращение уже закрыто (anna@example.com, " in told.text
    assert "#reopen" in told.text
    assert [r.subject.split(":")[0] for r in customer_mails(sink)] == [
        "Обращение зарегистрировано",
        "Re",
    ]
    desk.ingest(staff_reply(tid, "#reopen\n#take\n", sender=boris))
    assert desk.ticket(tid)["status"] == "open"


def test_a_wait_alone_before_any_answer_is_refused_as_nothing_was_asked(desk, sink):
    """#wait alone on a ticket whose customer has had no answer: nobody asked them
    anything, yet the ticket waited for their answer with no deadline for staff, and
    days later they were reminded «мы ждём от вас ответа» and the ticket closed. The
    reply stops; the staff member is told to write the question in the same reply.
    #wait with the question, or once a question went, waits as ever."""
    tid, _ = open_ticket(desk, sink)
    due = desk.ticket(tid)["reaction_due"]
    for commands in ("#wait\n", "#take\n#wait\n"):
        desk.ingest(staff_reply(tid, commands))
        t = desk.ticket(tid)
        assert (t["status"], t["reaction_due"], t["first_reaction_at"]) == ("new", due, None)
    desk.flush()
    told = [r for r in sink.to("anna@example.com") if r.subject.startswith("Команды не")]
    assert len(told) == 2
    assert "#wait не выполнена: клиент ещё не получил от поддержки ни одного ответа" in (
        told[0].text
    )
    assert "Напишите вопрос клиенту в том же письме" in told[0].text
    assert [r.subject.split(":")[0] for r in customer_mails(sink)] == ["Обращение зарегистрировано"]
    desk.ingest(staff_reply(tid, "Иван, какая у вас версия?\n#wait\n"))
    assert desk.ticket(tid)["status"] == "waiting"
    desk.ingest(staff_reply(tid, "#reopen\n"))
    desk.ingest(staff_reply(tid, "#wait\n"))  # the question went before: waiting again
    assert desk.ticket(tid)["status"] == "waiting"
    desk.flush()
    assert len([r for r in sink.to("anna@example.com") if "не выполнен" in r.subject]) == 2


def test_free_support_passes_nothing_to_development_unless_its_level_changes(desk, sink):
    """The regulation's table of levels: free support has no «Передача задач в отдел
    разработки». #development on a free ticket moved it to development (24 business
    days, the customer told «передано в отдел разработки») without a word to staff."""
    tid, _ = open_ticket(desk, sink)
    assert desk.ticket(tid)["level"] == "free"
    desk.ingest(staff_reply(tid, "Передаём разработчикам.\n#development\n"))
    desk.flush()
    assert desk.ticket(tid)["level"] == "free"
    [told] = [r for r in sink.to("anna@example.com") if r.subject.startswith("Команды не")]
    assert "#development не выполнена: уровень «Бесплатная поддержка» не предусматривает" in (
        told.text
    )
    assert "#level" in told.text
    assert [r.subject.split(":")[0] for r in customer_mails(sink)] == [
        "Обращение зарегистрировано"
    ]  # neither the answer nor the transfer went
    desk.ingest(staff_reply(tid, "Передаём разработчикам.\n#level standard\n#development\n"))
    assert desk.ticket(tid)["level"] == "development"


def test_free_support_reaches_development_through_consulting_in_no_number_of_replies(desk, sink):
    """#consulting in one reply, #development in a later one passed a free ticket to
    development, which the two in one reply are refused: consulting is staff's move, not
    what the customer is owed (sender.entitled_level). The later reply is refused in the
    one reply's words; a #level the customer is owed lets it go, as in one reply."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Это общий вопрос.\n#consulting\n"))
    assert desk.ticket(tid)["level"] == "consulting"
    desk.ingest(staff_reply(tid, "#development\n"))
    desk.ingest(staff_reply(tid, "#consulting\n#development\n"))
    desk.flush()
    assert desk.ticket(tid)["level"] == "consulting"
    told = [r.text for r in sink.to("anna@example.com") if r.subject.startswith("Команды не")]
    said = "#development не выполнена: уровень «Бесплатная поддержка» не предусматривает"
    assert len(told) == 2 and all(said in " ".join(t.split()) for t in told)
    desk.ingest(staff_reply(tid, "#level vip\n#development\n"))
    assert desk.ticket(tid)["level"] == "development"
    # a customer owed a level that passes tasks on goes there through consulting too
    vip, _ = open_ticket(desk, sink, sender="petr@shop-example.ru")
    desk.ingest(staff_reply(vip, "#level vip\n"))
    desk.ingest(staff_reply(vip, "#consulting\n"))
    desk.ingest(staff_reply(vip, "#development\n"))
    assert desk.ticket(vip)["level"] == "development"


@pytest.mark.parametrize("sender", ["support@example.com", "a.smirnova@example.com"])
def test_a_reply_to_a_notice_from_another_address_of_the_staff_member_is_told(desk, sink, sender):
    """Anna's client answers her notice "as" the support address (a shared mailbox she
    may send as), or from an address of hers not on support.staff. It opened a ticket
    of its own, with the notice's «Новое обращение (...)» twice in its subject, its
    sender made a customer (the alias got a confirmation); Anna never heard that her
    answer did not go. Now it is a note of the ticket and Anna is told, once."""
    tid, notice = open_ticket(desk, sink)
    before = len(sink.received)
    quote = "\n".join("> " + s for s in notice.text.splitlines())
    for _ in range(2):
        text = f"Иван, обновите модуль.\n#close\n\n{quote}"
        desk.ingest(staff_reply(tid, text, sender=sender, to=staff_to(tid)))
    desk.flush()
    assert [t["tid"] for t in desk.tickets()] == [tid]
    t = desk.ticket(tid)
    assert t["status"] == "new"
    notes = [m["kind"] for m in t["messages"] if m["from"] == sender and m["direction"] == "in"]
    assert notes == ["note", "note"]
    [told] = sink.received[before:]
    assert told.rcpt_tos == ["anna@example.com"]
    assert told.subject == f"Ответ клиенту не отправлен: Не работает оформление заказа [TID#{tid}]"
    assert f"с адреса {sender}, а не с вашего адреса anna@example.com" in told.text
    # her address, renewed when the sender is outside support (domain/leak.py)
    reply_to = told.msg["Reply-To"].addresses[0].addr_spec
    epoch = 0 if sender == "support@example.com" else 1
    assert reply_to == sign_for(tid, "anna@example.com", REPLY_SECRET.encode(), SUPPORT, epoch)
    # answered from her own address, as the mail says, the answer goes
    desk.ingest(staff_reply(tid, "Иван, обновите модуль.\n#close\n\n" + quote))
    desk.flush()
    assert desk.ticket(tid)["status"] == "closed"
    assert [r for r in customer_mails(sink) if "обновите модуль" in r.text]


@pytest.mark.parametrize(
    ("headers", "subject"),
    [({"Precedence": "auto_reply"}, None), ({"X-Autoreply": "yes"}, None), ({}, "Автоответ: ")],
)
def test_an_out_of_office_sent_as_support_to_the_staff_address_is_a_note_no_one_is_told(
    desk, sink, headers, subject
):
    """Anna's client answers her notice "as" support with an out-of-office (its
    Precedence, X-Autoreply or «Автоответ:» subject says so, no Auto-Submitted): a
    note of the ticket, and Anna gets no «Ответ клиенту не отправлен», which her
    out-of-office would answer again."""
    tid, _ = open_ticket(desk, sink)
    before = len(sink.received)
    kw = {"subject": f"{subject}Re: Новое обращение [TID#{tid}]"} if subject else {}
    auto = staff_reply(
        tid, "Я в отпуске до 10 декабря.", sender=SUPPORT, to=staff_to(tid), headers=headers, **kw
    )
    desk.ingest(auto)
    desk.flush()
    msgs = desk.ticket(tid)["messages"]
    [note] = [m for m in msgs if m["from"] == SUPPORT and m["direction"] == "in"]
    assert note["kind"] == "note"
    assert sink.received[before:] == []


def test_critical_ticket_jumps_the_queue(desk, sink):
    first, _ = open_ticket(desk, sink, subject="Первый")
    second = desk.ingest_tid(make_mail(sender="petr@x.example", subject="Сайт лежит"))
    desk.ingest(staff_reply(second, "#critical\n"))
    assert [t["tid"] for t in desk.tickets()] == [second, first]


def test_note_is_internal_and_bad_command_is_reported_to_staff(desk, sink):
    tid, _ = open_ticket(desk, sink)
    before = len(customer_mails(sink))
    desk.ingest(staff_reply(tid, "#note\nКлиент звонил, просил перезвонить."))
    desk.ingest(staff_reply(tid, "#clsoe\nГотово.", sender="boris@example.com"))
    t = desk.ticket(tid)
    kinds = [m["kind"] for m in t["messages"] if m["direction"] in ("in", "out")]
    assert kinds.count("note") == 2
    assert t["status"] == "new"  # nothing was applied
    desk.flush()
    sink.wait_for(before + 2)
    assert len(customer_mails(sink)) == before  # nothing reached the customer
    [err] = [r for r in sink.to("boris@example.com") if "Команды не выполнены" in r.subject]
    assert "#clsoe" in err.text and "#close" in err.text


def test_a_command_with_a_space_after_its_sign_is_not_sent_to_the_customer(desk, sink):
    """«# close» over the answer reached the customer as its first line and closed
    nothing; the staff member now learns why nothing was sent."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "# close\nИван, исправлено в 7.0.1.\n"))
    desk.flush()
    assert [r.subject.split(":")[0] for r in customer_mails(sink)] == ["Обращение зарегистрировано"]
    [told] = [r for r in sink.to("anna@example.com") if "Команды не выполнены" in r.subject]
    assert "«# close»: между «#» и командой не должно быть пробела (#close)" in told.text
    assert desk.ticket(tid)["status"] == "new"


def test_command_error_mail_names_the_ticket_by_its_subject(desk, sink):
    """A reply whose own subject is only the tag (as mail clients write it): the error
    mail still says which ticket it is about."""
    tid, _ = open_ticket(desk, sink, subject="Не работает оформление заказа")
    desk.ingest(staff_reply(tid, "#level xyz\nОтвет.", subject=f"Re: [TID#{tid}]"))
    desk.flush()
    [err] = [r for r in sink.to("anna@example.com") if "Команды не выполнены" in r.subject]
    assert err.subject == f"Команды не выполнены: Не работает оформление заказа [TID#{tid}]"
    assert "xyz" in err.text


def test_close_rating_and_reopen(desk, sink):
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#close\nВсё исправлено в версии 7.0.1."))
    t = desk.ticket(tid)
    assert t["status"] == "closed" and t["closed_at"]
    desk.flush()  # returns once the relay has taken each mail
    # one mail: the answer, with the rating request under it
    [resolved] = [r for r in customer_mails(sink) if "Всё исправлено" in r.text]
    assert [r for r in customer_mails(sink) if "Обращение закрыто" in r.subject] == []
    assert "от 1 до 5" in resolved.text
    assert "смените" in resolved.text  # change the credentials you gave us
    # a rating does not reopen
    rating = make_mail(subject=f"Re: Обращение закрыто [TID#{tid}]", body="5\n\nСпасибо!")
    desk.ingest(rating)
    t = desk.ticket(tid)
    assert t["status"] == "closed" and t["rating"] == 5
    # a closing is rated once: a second rating leaves the first, and is not thanked again
    desk.ingest(make_mail(subject=f"Re: Обращение закрыто [TID#{tid}]", body="1"))
    t = desk.ticket(tid)
    assert t["status"] == "closed" and t["rating"] == 5
    desk.flush()  # the thanks for the first, the word that it is rated already
    assert [r for r in customer_mails(sink) if "Обращение уже оценено" in r.subject]
    assert len([r for r in customer_mails(sink) if "Спасибо за оценку" in r.subject]) == 1
    # any other reply reopens, and staff hear about it
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body="Ошибка вернулась."))
    t = desk.ticket(tid)
    assert t["status"] == "open" and t["reaction_due"] is not None
    desk.flush()
    sink.wait_for(9)
    assert any("открыто снова" in r.subject for r in sink.to("anna@example.com"))


def test_rating_shown_is_of_the_current_closing(desk, sink):
    """Rated 5, reopened by the customer's mail and closed again by staff:
    `ticket show --json` still said `"rating": 5` for a closing nobody had rated
    (its closing letter and the site asked for a rating anew), so a script could not
    tell it from a rated one. The 5 stays in the thread; the new closing's rating
    shows once given; `report sla` counts the ticket as before (the answer to the
    mail that reopened it besides: a follow-up's reaction, in time)."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Всё исправлено.\n#close"))

    def sla() -> dict:
        return {**desk.run("report", "sla", "--json").json(), "generated_at": None}

    counted = sla()
    [all_levels] = [b for b in counted["levels"] if b["level"] == "all"]
    assert (all_levels["tickets"], all_levels["in_time"]) == (1, 1)
    desk.ingest(make_mail(subject=f"Re: Обращение закрыто [TID#{tid}]", body="Оценка: 5"))
    assert desk.ticket(tid)["rating"] == 5
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body="Ошибка вернулась."))
    t = desk.ticket(tid)
    assert t["status"] == "open" and t["rating"] is None
    desk.ingest(staff_reply(tid, "Теперь исправлено.\n#close"))
    t = desk.ticket(tid)
    assert t["status"] == "closed" and t["rating"] is None
    assert [m["text"].strip() for m in t["messages"] if m["kind"] == "customer"][1] == "Оценка: 5"
    assert [x["rating"] for x in desk.tickets("--status", "closed")] == [None]
    desk.ingest(make_mail(subject=f"Re: Обращение закрыто [TID#{tid}]", body="3"))
    assert desk.ticket(tid)["rating"] == 3
    keys = ("followups", "followups_in_time", "followups_breached")
    now = sla()
    assert [tuple(b.pop(k) for k in keys) for b in now["levels"]] == [(1, 1, 0)] * 2
    assert [tuple(b.pop(k) for k in keys) for b in counted["levels"]] == [(0, 0, 0)] * 2
    assert now == counted


def test_signed_reply_address_matches_without_tag_and_forgery_does_not(desk, sink):
    tid, _notice = open_ticket(desk, sink)
    [confirmation] = customer_mails(sink)
    reply_to = confirmation.msg["Reply-To"].addresses[0].addr_spec
    ok = make_mail(to=reply_to, subject="Re: тема потерялась", body="Вот лог.")
    assert desk.ingest_tid(ok) == tid
    forged = reply_to.replace(reply_to.split(".", 1)[1].split("@")[0], "aaaaaaaaaa")
    other = make_mail(to=forged, subject="Re: тема потерялась", body="Вот лог 2.")
    assert desk.ingest_tid(other) != tid


@pytest.fixture
def trusted(tmp_path, sink):
    return Desk(tmp_path, sink.port, support={"authserv_id": "mx.example.com"})


def authres(domain: str, result: str = "pass", server: str = "mx.example.com") -> dict:
    return {
        "Authentication-Results": f"{server}; dkim={result} header.d={domain}; "
        f"spf={result} smtp.mailfrom={domain}"
    }


def test_forged_staff_mail_cannot_run_commands(trusted, sink):
    desk = trusted
    tid = desk.ingest_tid(make_mail(sender="ivan@shop-example.ru"))
    forged = staff_reply(
        tid, "#close\nЗакрываю.", to=SUPPORT, headers=authres("example.com", server="evil")
    )
    desk.ingest(forged)
    t = desk.ticket(tid)
    assert t["status"] != "closed"
    [note] = [m for m in t["messages"] if "Закрываю" in m["text"] and m["direction"] == "in"]
    assert note["kind"] == "note"  # stored, never relayed
    genuine = staff_reply(tid, "#close\nГотово.", to=SUPPORT, headers=authres("example.com"))
    desk.ingest(genuine)
    assert desk.ticket(tid)["status"] == "closed"
    desk.flush()
    sink.wait_for(4)
    alerts = [r for r in sink.to("anna@example.com") if "не принято" in r.subject]
    assert len(alerts) == 1 and "Закрываю" in alerts[0].text
    assert staff_to(tid) in alerts[0].text  # how to reply so that it counts


def test_entitlement_needs_spf_or_dkim_when_trusted(trusted, sink):
    desk = trusted
    desk.run("license", "add", "--key", "K-1", "--level", "vip", "--email", "boss@client.ru")
    unverified = desk.ingest_tid(make_mail(sender="boss@client.ru", subject="Без подписи"))
    verified = desk.ingest_tid(
        make_mail(sender="boss@client.ru", subject="С подписью", headers=authres("client.ru"))
    )
    assert desk.ticket(unverified)["level"] == "free"
    assert "не подтверждён" in desk.ticket(unverified)["identification"]["reason"]
    assert desk.ticket(verified)["level"] == "vip"
    desk.flush()
    sink.wait_for(4)
    conf = [r for r in sink.to("boss@client.ru") if "Без подписи" in r.subject][0]
    assert "будет исправлен" in conf.text
    # «... or answer this letter»: the confirmation's own reply address proves the
    # address (the level stayed free: mail only threads by a TID in the subject)
    tag = f"Re: Без подписи [TID#{unverified}]"
    desk.ingest(make_mail(sender="boss@client.ru", subject=tag, body="Отвечаю."))
    assert desk.ticket(unverified)["level"] == "free"  # anyone may write From: boss@
    reply_to = conf.msg["Reply-To"]
    desk.ingest(make_mail(sender="boss@client.ru", to=reply_to, subject=tag, body="Это я."))
    t = desk.ticket(unverified)
    assert t["level"] == "vip" and t["identification"]["reason"] == "адрес указан в лицензии K-1"
    # within a business week (a calendar week failed from New Year's Eve: the holidays
    # of January 1-8 put even the vip deadline on January 11)
    week = BusinessCalendar(tz="Europe/Moscow").add_business_days(
        datetime.fromisoformat(t["created_at"]), 5
    )
    assert datetime.fromisoformat(t["reaction_due"]) < week
    desk.flush()
    sink.wait_for(8)
    first, ack = [r for r in sink.to("boss@client.ru") if "добавлено к обращению" in r.subject]
    assert "Уровень обслуживания: Бесплатная поддержка" in first.text
    assert "Уровень обслуживания: Коммерческие клиенты: VIP поддержка" in ack.text, ack.text
    assert "Ваш адрес подтверждён" in ack.text and "подтверждён" not in first.text


def test_an_address_confirmed_after_its_license_went_gets_no_level_from_it(trusted, sink):
    """The license is removed (or expires) between the unproven first mail and the
    reply that proves the address: the registry now gives it nothing, so the ticket
    stays free and the customer is not told the level was corrected (it got VIP from
    the level kept on the ticket when it opened)."""
    desk = trusted
    desk.run("license", "add", "--key", "K-1", "--level", "vip", "--email", "boss@client.ru")
    tid = desk.ingest_tid(make_mail(sender="boss@client.ru", subject="Без подписи"))
    assert desk.ticket(tid)["level"] == "free"
    desk.flush()
    sink.wait_for(2)
    [conf] = sink.to("boss@client.ru")
    assert desk.run("license", "remove", "K-1").code == 0
    tag = f"Re: Без подписи [TID#{tid}]"
    reply_to = conf.msg["Reply-To"]
    desk.ingest(make_mail(sender="boss@client.ru", to=reply_to, subject=tag, body="Это я."))
    assert desk.ticket(tid)["level"] == "free"
    desk.flush()
    sink.wait_for(4)
    [ack] = [r for r in sink.to("boss@client.ru") if "добавлено к обращению" in r.subject]
    assert "Ваш адрес подтверждён" not in ack.text
    assert "Уровень обслуживания: Бесплатная поддержка" in ack.text


def test_credentials_are_redacted_two_days_after_close(desk, sink):
    body = (
        "Доступ к админке: https://shop.example/admin\nЛогин: admin\nПароль: S3cr3t!\n"
        "FTP: ftp://deploy:Hunter2@shop.example\n"
    )
    tid = desk.ingest_tid(make_mail(body=body, charset="utf-8"))
    # the reply quotes the customer's mail: its spool copy holds the password too
    quote = "\n\n25.11.2026 10:15, Иван пишет:\n> Логин: admin\n> Пароль: S3cr3t!\n"
    desk.ingest(staff_reply(tid, "#close\nГотово, смените пароль." + quote))
    closed_at = datetime.fromisoformat(desk.ticket(tid)["closed_at"])
    one_day = (closed_at.replace(microsecond=0)).isoformat()
    r = desk.run("jobs", "run", "--now", one_day, "--json")
    assert r.json()["redacted"] == 0
    assert "S3cr3t!" in desk.ticket(tid)["messages"][0]["text"]
    later = closed_at.replace(microsecond=0).timestamp() + 2 * 86400 + 60
    later_iso = datetime.fromtimestamp(later, closed_at.tzinfo).isoformat()
    assert desk.run("jobs", "run", "--now", later_iso, "--json").json()["redacted"] == 1
    text = desk.ticket(tid)["messages"][0]["text"]
    assert "S3cr3t!" not in text and "Hunter2" not in text
    assert "[данные доступа удалены]" in text and "Пароль:" in text
    spool = b"".join(p.read_bytes() for p in (desk.root / "data/spool/cur").iterdir())
    assert b"S3cr3t!" not in spool and b"Hunter2" not in spool
    assert base64.b64encode(b"S3cr3t!") not in spool
    assert "данные доступа удалены".encode() in spool


def test_a_ticket_reopened_before_its_redaction_keeps_its_access_data(desk, sink):
    """The redaction is of a closing: a ticket reopened within credentials_keep_days is
    worked on again, and staff may need the access data the customer gave, so the job
    leaves an open ticket as it is (and forgets the mark: the next closing marks it
    anew). A ticket redacted once is not counted again by the next runs."""
    body = "Доступ к админке: https://shop.example/admin\nЛогин: admin\nПароль: S3cr3t!\n"
    tid = desk.ingest_tid(make_mail(body=body, charset="utf-8"))
    desk.ingest(staff_reply(tid, "#close\nГотово."))
    closed_at = datetime.fromisoformat(desk.ticket(tid)["closed_at"]).replace(microsecond=0)
    desk.ingest(staff_reply(tid, "#reopen\nПроверим ещё раз."))
    assert desk.ticket(tid)["status"] != "closed"
    later = datetime.fromtimestamp(closed_at.timestamp() + 2 * 86400 + 60, closed_at.tzinfo)
    assert desk.run("jobs", "run", "--now", later.isoformat(), "--json").json()["redacted"] == 0
    assert "S3cr3t!" in desk.ticket(tid)["messages"][0]["text"]
    desk.ingest(staff_reply(tid, "#close\nТеперь готово."))
    closed_at = datetime.fromisoformat(desk.ticket(tid)["closed_at"]).replace(microsecond=0)
    later = datetime.fromtimestamp(closed_at.timestamp() + 2 * 86400 + 60, closed_at.tzinfo)
    assert desk.run("jobs", "run", "--now", later.isoformat(), "--json").json()["redacted"] == 1
    assert "S3cr3t!" not in desk.ticket(tid)["messages"][0]["text"]
    assert desk.run("jobs", "run", "--now", later.isoformat(), "--json").json()["redacted"] == 0


def test_commands_with_only_a_quote_send_no_quote_to_customer(desk, sink):
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#take\n\n25.11.2026 10:15, Иван пишет:\n> ошибка 500\n"))
    desk.ingest(staff_reply(tid, "#note звонил клиенту, не дозвонился"))
    desk.flush()
    sink.wait_for(4)
    mails = customer_mails(sink)
    assert [r for r in mails if "начата" in r.subject]
    assert not [r for r in mails if "> ошибка 500" in r.text]
    notes = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "note"]
    assert "не дозвонился" in notes[-1]["text"]


def test_cc_and_uncc_that_cannot_be_done_stop_the_reply_and_staff_are_told(tmp_path, sink):
    """#cc of support's own address would mail the ticket back to maild, #cc over the
    cap, #cc of the requester, #uncc of the requester or of a stranger would do
    nothing: each is an error
    that stops the reply, as a malformed command does, never a silent no-op."""
    desk = Desk(tmp_path, sink.port, limits={"max_participants": 1})
    tid, _ = open_ticket(desk, sink)
    attempts = {
        "#cc support@example.com": "адрес службы поддержки",
        "#cc support+x@example.com": "адрес службы поддержки",
        "#cc boris@example.com": "сотрудника",
        "#cc head@example.com": "руководителя поддержки, а не клиента",
        "#cc a1@shop-example.ru\n#cc a2@shop-example.ru": "a2@shop-example.ru не добавлен",
        "#uncc ivan@shop-example.ru": "автор обращения",
        "#uncc petr@shop-example.ru": "не участник обращения",
        "#cc Ivan@Shop-Example.ru": "автор обращения, ответы по обращению он уже получает",
    }
    for commands in attempts:
        desk.ingest(staff_reply(tid, f"{commands}\nСделано."))
    assert desk.ticket(tid)["participants"] == ["ivan@shop-example.ru"]
    desk.ingest(staff_reply(tid, "Ответ."))
    desk.flush()
    # (her own text comes back to her alone, in the mail that says why)
    assert not [r for r in sink.received if "Сделано." in r.text and r.rcpt_tos != [ANNA]]
    [answer] = [r for r in sink.received if "Ответ." in r.text]
    assert answer.rcpt_tos == ["ivan@shop-example.ru"]
    errors = [r.text for r in sink.to("anna@example.com") if "Команды не выполнены" in r.subject]
    assert len(errors) == len(attempts)
    for text, why in zip(errors, attempts.values(), strict=True):
        assert why in text


def test_cc_of_someone_already_on_the_ticket_stops_the_reply(dkim_desk, sink):
    """#cc of the requester or of a participant did nothing without a word: staff
    believed it added someone. It is an error that stops the reply."""
    desk, petr = dkim_desk, "petr@shop-example.ru"  # DKIM proves ivan's mail: petr joins
    headers = {"Cc": f"Пётр <{petr}>", **dkim_pass("ivan@shop-example.ru")}
    tid, _ = open_ticket(desk, sink, headers=headers)
    assert petr in desk.ticket(tid)["participants"]
    before = len(sink.received)
    desk.ingest(staff_reply(tid, "Иван, подключаю Петра.\n#cc Петр <Petr@Shop-Example.ru>"))
    desk.flush()
    [err] = sink.received[before:]
    assert err.rcpt_tos == ["anna@example.com"] and "Команды не выполнены" in err.subject
    assert f"#cc: {petr} — уже участник обращения" in err.text


def test_assign_of_an_address_not_on_the_staff_list_stops_the_reply(desk, sink):
    """The assignee gets the ticket's staff mail, internal text and all: a typo in
    #assign (anan@ for anna@) must not send it outside. Such a reply stops, as a bad
    command does, and the staff member is told why."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#assign anan@example.com\nСмотрим ваш вопрос."))
    t = desk.ticket(tid)
    assert t["assignee"] is None and t["status"] == "new"
    desk.flush()
    sent = [r.rcpt_tos for r in sink.received if "Смотрим ваш вопрос." in r.text]
    assert sent == [[ANNA]]  # to her alone: her text, in the mail that says why
    [err] = [r for r in sink.to("anna@example.com") if "Команды не выполнены" in r.subject]
    assert "anan@example.com — не сотрудник поддержки" in err.text
    assert "Возможно, имелся в виду anna@example.com?" in err.text
    # later staff mail (a customer's follow-up, an internal note) goes to staff only
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body="Есть новости?\nЛог приложил."))
    desk.flush()
    assert all("anan@example.com" not in r.rcpt_tos for r in sink.received)
    # the head, or an address nothing like a staff member's: no «имелся в виду anna@»
    desk.ingest(staff_reply(tid, "#assign head@example.com\nСмотрим ваш вопрос."))
    desk.ingest(staff_reply(tid, "#assign olga@example.com\nСмотрим ваш вопрос."))
    desk.flush()
    head, olga = [r for r in sink.to("anna@example.com") if "Команды не выполнены" in r.subject][1:]
    assert "head@example.com — руководитель поддержки (support.head), а не сотрудник" in head.text
    assert "olga@example.com — не сотрудник поддержки" in olga.text
    assert all("Возможно" not in r.text for r in (head, olga))
    assert desk.ticket(tid)["assignee"] is None
    # a staff member, as the mail client pastes them, is assigned
    desk.ingest(staff_reply(tid, "#assign Борис <Boris@Example.com>\nПередаю Борису."))
    assert desk.ticket(tid)["assignee"] == "boris@example.com"


def test_answer_typed_inside_the_quoted_notice_sends_none_of_the_notice(desk, sink):
    """Staff answer inline, between the quoted lines of the notice (Thunderbird,
    Outlook with "> " quotes), or above it with a signature under the quote: the
    customer gets the answer and at most their own quoted text, never a line of the
    notice itself (level, deadline, license, the commands)."""
    desk.run(
        "license", "add", "--key", "ADV-2026-0042", "--level", "vip",
        "--email", "ivan@shop-example.ru", "--name", "ООО Магазин",
    )  # fmt: skip
    tid, notice = open_ticket(desk, sink, body="Не работает оплата.\nЧто делать?")
    lines = notice.text.splitlines()
    start, end = lines.index("----- текст обращения -----"), lines.index("----- конец текста -----")
    own = {s.strip() for s in lines[: start + 1] + lines[end:] if s.strip()}
    assert "ADV-2026-0042" in notice.text and "#assign (#назначить) <адрес>" in notice.text
    quoted = ["> " + s if s else ">" for s in lines]
    inline = [
        f"25.11.2026 10:15, Служба поддержки <{SUPPORT}> пишет:",
        *quoted[:3],
        "",
        "Иван, здравствуйте.",
        "",
        *quoted[3 : end + 1],
        "",
        "Очистите кэш браузера и повторите оплату.",
        "",
        *quoted[end + 1 :],
    ]
    top = ["Проверили платёжный модуль: всё в порядке.", "", *quoted, "", "--", "Анна"]
    for body in (inline, top):
        desk.ingest(staff_reply(tid, "\n".join(body) + "\n"))
    desk.flush()
    answers = [
        r.text for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject
    ]
    assert len(answers) == 2
    assert "Иван, здравствуйте." in answers[0] and "Очистите кэш браузера" in answers[0]
    assert "Проверили платёжный модуль" in answers[1] and "Анна" in answers[1]
    for text in answers:
        assert "> Не работает оплата." in text  # the customer's own text may stay
        leaked = [s for s in text.splitlines() if s.lstrip("> ").strip() in own]
        assert leaked == []
    # the thread (and the site) keep what the customer got
    sent = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "staff"]
    assert all("ADV-2026-0042" not in t and "#assign" not in t for t in sent)


def test_staff_attachments_reach_the_customer_whatever_their_type(desk, sink):
    """The regulation's file types are what customers send; a staff member's manual
    (PDF) or log goes to the customer. One that cannot go (a bare BMP) stops the reply
    and the staff member is told, instead of "see the file" arriving without it."""
    tid, _ = open_ticket(desk, sink)
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
    files = [("инструкция.pdf", "application/pdf", pdf), ("лог.txt", "text/plain", b"ok\n")]
    desk.ingest(staff_reply(tid, "Иван, инструкция во вложении.", attachments=files))
    desk.ingest(
        staff_reply(tid, "Скриншот во вложении.", attachments=[("s.bmp", "image/bmp", bmp_bytes())])
    )
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "инструкция во вложении" in r.text]
    sent = [(p.get_filename(), p.get_content()) for p in answer.msg.iter_attachments()]
    assert sent == [("инструкция.pdf", pdf), ("лог.txt", "ok\n")]
    # older clients (Outlook 2007/2010) read no RFC 2231 filename*: the Content-Type's name
    # names the file for them too
    names = [p.get_param("name") for p in answer.msg.iter_attachments()]
    assert [str(make_header(decode_header(n))) for n in names] == ["инструкция.pdf", "лог.txt"]
    staff_msg = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "staff"][0]
    assert [a["accepted"] for a in staff_msg["attachments"]] == [True, True]
    assert not [r for r in customer_mails(sink) if "Скриншот во вложении" in r.text]
    [err] = [r for r in sink.to("anna@example.com") if "Ответ не отправлен" in r.subject]
    assert "«s.bmp» не отправлен" in " ".join(err.text.split()) and "архив" in err.text


def test_a_customer_whose_exchange_asks_for_no_auto_reply_is_still_waited_on(desk, sink):
    """Exchange stamps «X-Auto-Response-Suppress: All» on people's mail too (sent to a
    distribution list, by some transport rules). A customer's follow-up so stamped was
    taken for an out-of-office: a closed ticket stayed closed and no deadline started,
    so nobody was due to answer them. The request is honoured (no acknowledgement goes
    to them); the mail is a person's."""
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#close\nВсё исправлено в версии 7.0.1."))
    desk.flush()
    acks = len(customer_mails(sink))
    exchange = {"X-Auto-Response-Suppress": "All"}
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body="Ошибка вернулась.", headers=exchange))
    t = desk.ticket(tid)
    assert t["status"] == "open" and t["reaction_due"] is not None
    desk.flush()
    assert any("открыто снова" in r.subject for r in sink.to("anna@example.com"))
    assert len(customer_mails(sink)) == acks  # asked for none: none
    [notice] = [r for r in sink.to("anna@example.com") if "открыто снова" in r.subject]
    assert "X-Auto-Response-Suppress" in notice.text and "автоматическое" not in notice.text


def test_a_command_after_a_form_feed_or_vertical_tab_runs_on_its_own_line(desk, sink):
    """A line break written as a vertical tab or form feed (a client's, a pasted
    text's) breaks the line as ever, though the mail's text loses the other C0
    controls: the answer reaches the customer without the command, and #close runs."""
    tid, _notice = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "Исправили, проверьте, пожалуйста.\x0b#close\x0cСпасибо"))
    desk.flush()
    assert desk.ticket(tid)["status"] == "closed"
    [answer] = [m for m in customer_mails(sink) if "Исправили" in m.text]
    assert "#close" not in answer.text and "Спасибо" in answer.text


def test_verified_staff_writing_to_the_customers_signed_address_reach_the_ticket(trusted, sink):
    """A staff member whose mail is verified (DKIM/SPF) writing to the reply address
    signed for the customer (a reply-all to the customer's mail) reaches that ticket
    with no tag in the subject: staff may write into any ticket (issued.signed_tids);
    anyone else must hold an address signed for themselves."""
    desk = trusted
    tid = desk.ingest_tid(make_mail())
    mail = staff_reply(
        tid, "Посмотрел, исправим сегодня.", to=staff_to(tid, "ivan@shop-example.ru"),
        subject="Ответ", headers=authres("example.com"),
    )  # fmt: skip
    assert desk.ingest_tid(mail) == tid
