"""What staff read about their own commands, end to end: the real `maild ingest` of a
verified staff reply, `maild outbox flush` to a real aiosmtpd relay, `maild ticket
show`. Before it, a customer notice a staff member's command caused (#level, #take,
#merge) that the cap on automatic mail stopped was only a ticket note: the staff
member believed the customer was told."""

from __future__ import annotations

import pytest

from tests.helpers import PNG, Desk, Sink, make_mail, staff_to
from tests.integration.test_deadlines_e2e import at, ingest_at

IVAN = "ivan@shop-example.ru"
ANNA = "anna@example.com"


def staff_says(desk: Desk, tid: str, body: str, staff: str = ANNA) -> None:
    """A verified staff reply (to the notice's Reply-To, signed for ``staff``)."""
    desk.ingest(make_mail(sender=staff, to=staff_to(tid, staff), subject=f"[TID#{tid}]", body=body))
    assert desk.flush().code == 0


@pytest.mark.parametrize(
    ("command", "notice"),
    [
        ("#level consulting", "«изменён уровень обслуживания»"),
        ("#consulting", "«изменён уровень обслуживания»"),
        ("#take", "«работа начата»"),
        ("#merge OTHER", "«обращение объединено»"),
    ],
)
def test_staff_learn_the_cap_stopped_the_notice_their_command_caused(
    tmp_path, sink, command, notice
):
    # the confirmation is the one automatic mail the ticket may get this hour
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_ticket_per_hour": 1})
    other = desk.ingest_tid(make_mail(subject="Первый вопрос"))
    tid = desk.ingest_tid(make_mail(subject="Корзина не работает"))
    assert desk.flush().code == 0
    before = len(sink.to(IVAN))
    staff_says(desk, tid, command.replace("OTHER", other))
    assert len(sink.to(IVAN)) == before  # the cap holds: nothing more to the customer
    told = [r for r in sink.to(ANNA) if "не отправлено" in r.text]
    assert len(told) == 1, [r.subject for r in sink.to(ANNA)]
    text = " ".join(told[0].text.split())
    assert f"Клиенту {IVAN} не отправлено уведомление {notice}" in text, text
    assert "достигнут предел автоматических писем" in text
    assert "не больше 1 автоматического письма по обращению в час" in text
    assert f"[TID#{tid}]" in told[0].subject
    # the ticket's note says the same in Russian, without the template's file name
    shown = desk.run("ticket", "show", tid).out
    assert f"Не отправлено уведомление {notice} клиенту {IVAN}" in " ".join(shown.split())
    assert ".txt" not in shown and "suppressed" not in shown


def test_a_notice_that_goes_tells_staff_nothing_more(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(subject="Корзина не работает"))
    assert desk.flush().code == 0
    staff_says(desk, tid, "#take")
    assert not [r for r in sink.to(ANNA) if "не отправлено" in r.text]
    assert any("Работа по обращению начата" in r.subject for r in sink.to(IVAN))


def test_the_follow_up_notice_says_a_deadline_passed_has_passed(tmp_path, sink):
    """«Реакция не позднее: ...» of a deadline already past, in staff's notice of a
    customer's follow-up, says so: staff read it as the time they still have."""
    desk = Desk(tmp_path, sink.port)
    tid = ingest_at(desk, at(23, 10), make_mail(subject="Корзина не работает"))
    ingest_at(desk, at(23, 11), make_mail(subject=f"Re: [TID#{tid}]", body="Ошибка 500."))
    ingest_at(desk, at(30, 11), make_mail(subject=f"Re: [TID#{tid}]", body="Ответьте же!"))
    assert desk.flush().code == 0
    early, late = [r for r in sink.to(ANNA) if "Новое письмо клиента" in r.subject]
    [line] = [x for x in early.text.splitlines() if x.startswith("Реакция не позднее")]
    assert "истёк" not in line, line
    [line] = [x for x in late.text.splitlines() if x.startswith("Реакция не позднее")]
    assert line.endswith("(МСК) — срок уже истёк"), line


def test_the_robot_notice_gives_its_reason_without_brackets_in_brackets(tmp_path, sink):
    """Another desk's robot answers our confirmation with its own tag in the subject:
    staff's notice says why the sender is marked a robot, in one pair of brackets."""
    desk = Desk(tmp_path, sink.port)
    robot = "helpdesk@vendor.example"
    tid = desk.ingest_tid(make_mail(sender=robot, subject="Сбой выгрузки"))
    assert desk.flush().code == 0
    [confirmation] = sink.to(robot)
    mid = str(confirmation.msg["Message-ID"])
    answer = make_mail(
        sender=robot,
        subject=f"[#12345] Re: {confirmation.subject}",
        body="Ваша заявка зарегистрирована.",
        headers={"In-Reply-To": mid, "References": mid},
    )
    assert desk.ingest_tid(answer) == tid
    assert desk.flush().code == 0
    [told] = [r for r in sink.to(ANNA) if r.subject.startswith("Отправитель отмечен как робот")]
    text = " ".join(told.text.split())
    assert "(причина — ответ робота другой системы заявок: в теме «[#12345]»)." in text, text
    shown = " ".join(desk.run("ticket", "show", tid).out.split())
    assert "робот (ответ робота другой системы заявок: в теме «[#12345]»)" in shown, shown


def test_the_unsent_notice_does_not_say_a_capped_notice_went(tmp_path, sink):
    """Files without a text and #take: the answer does not go (staff_unsent), and the
    cap stops «работа начата» too; the unsent notice does not tell the staff member the
    customer got it (staff_capped tells them it did not)."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_ticket_per_hour": 1})
    tid = desk.ingest_tid(make_mail(subject="Корзина не работает"))
    assert desk.flush().code == 0
    before = len(sink.to(IVAN))
    files = [("shot.png", "image/png", PNG)]
    reply = make_mail(
        sender=ANNA, to=staff_to(tid), subject=f"[TID#{tid}]", body="#take", attachments=files
    )
    desk.ingest(reply)
    assert desk.flush().code == 0
    assert len(sink.to(IVAN)) == before
    [unsent] = [r for r in sink.to(ANNA) if r.subject.startswith("Ответ клиенту не отправлен")]
    text = " ".join(unsent.text.split())
    assert "получено и команды выполнены, но само письмо клиенту не отправлено" in text, text
    assert "ушло" not in text, text
    [capped] = [r for r in sink.to(ANNA) if r.subject.startswith("Клиенту не отправлено")]
    # the cap's own words, which the staff member is to judge it by
    words = "достигнут предел автоматических писем (не больше 1 автоматического письма по обращению"
    assert words in " ".join(capped.text.split()), capped.text


@pytest.mark.parametrize("command", ["#take", "#level consulting", "#consulting"])
def test_staff_learn_a_blocked_address_got_no_notice_of_their_command(tmp_path, sink, command):
    """A customer on the block list gets no automatic mail, the notices of staff's
    commands among it: the one who gave the command is told, as of the cap."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail(subject="Корзина не работает"))
    assert desk.flush().code == 0
    assert desk.run("block", "add", IVAN).code == 0
    before = len(sink.to(IVAN))
    staff_says(desk, tid, command)
    assert len(sink.to(IVAN)) == before
    [told] = [r for r in sink.to(ANNA) if r.subject.startswith("Клиенту не отправлено")]
    assert f"[TID#{tid}]" in told.subject
    text = " ".join(told.text.split())
    assert f"Клиенту {IVAN} не отправлено уведомление «" in text, text
    assert "адрес в списке блокировки (maild block list)" in text, text
    assert "предел" not in text and "blocked" not in text, text


def test_staff_learn_an_address_refused_for_good_got_no_notice_of_their_command(tmp_path):
    """The relay refused the customer's address for good (the confirmation): «работа
    начата» of #take is not queued to it, and the one who gave #take is told why."""
    relay = Sink(refuse={IVAN: f"550 5.1.1 <{IVAN}>: Recipient address rejected"}).start()
    try:
        desk = Desk(tmp_path, relay.port)
        tid = desk.ingest_tid(make_mail(subject="Корзина не работает"))
        assert desk.flush().code == 0
        staff_says(desk, tid, "#take")
        assert relay.handler.tries[IVAN] == 1  # the notice was not tried
        [told] = [r for r in relay.to(ANNA) if r.subject.startswith("Клиенту не отправлено")]
        text = " ".join(told.text.split())
        assert f"Клиенту {IVAN} не отправлено уведомление «работа начата»" in text, text
        assert "почтовый сервер отказался принимать письма на этот адрес" in text, text
        assert "«#cc АДРЕС»" in text and "предел" not in text, text
    finally:
        relay.stop()


def test_ticket_show_speaks_russian_to_staff(tmp_path):
    """`maild ticket show` of a ticket with a refused file, an address the relay refused
    for good and an empty message: its words are Russian; the JSON keeps its values."""
    relay = Sink(refuse={IVAN: f"550 5.1.1 <{IVAN}>: Recipient address rejected"}).start()
    try:
        desk = Desk(tmp_path, relay.port)
        files = [("shot.png", "image/png", PNG), ("run.exe", "application/x-msdownload", b"MZ")]
        tid = desk.ingest_tid(make_mail(subject="Корзина не работает", attachments=files))
        desk.ingest(make_mail(subject=f"Re: [TID#{tid}]", body=""))
        assert desk.flush().code == 0
        shown = desk.run("ticket", "show", tid).out
    finally:
        relay.stop()
    for english in ("refused for good", "accepted", "refused:", "  to ", "(empty)", " B,"):
        assert english not in shown, (english, shown)
    assert f"{IVAN} не принимается почтовым сервером с " in shown, shown
    assert "ответ сервера: 550 5.1.1" in shown, shown
    assert "[shot.png image/png 67 байт, принят]" in shown, shown
    assert "[run.exe application/x-msdownload 2 байт, отклонён: Файл\u00a0«run.exe»" in shown, shown
    assert f"  кому: {IVAN}" in shown and "   (без текста)" in shown, shown
    [shot, exe] = desk.ticket(tid)["messages"][0]["attachments"]
    assert shot["accepted"] is True and exe["accepted"] is False


def test_ticket_show_gives_automatic_mail_its_first_line_and_any_text_forty(tmp_path, sink):
    """`maild ticket show` is for reading a thread in a terminal: of a confirmation or
    a notice, maild's own templated mail, it prints the first line (it says which mail
    it was; the template says the rest), and of any text its first 40 lines (a pasted
    log of thousands would bury the thread; `--json` keeps the whole)."""
    desk = Desk(tmp_path, sink.port)
    body = "\n".join(f"строка журнала {n:02}" for n in range(1, 61))
    tid = desk.ingest_tid(make_mail(subject="Журнал ошибок", body=body))
    assert desk.flush().code == 0
    shown = [*desk.run("ticket", "show", tid).out.splitlines(), ""]
    texts = {m["kind"]: m["text"] for m in desk.ticket(tid)["messages"]}
    assert texts["confirmation"].count("\n") > 3 and texts["notice"].count("\n") > 3
    for kind in ("confirmation", "notice"):
        [at] = [i for i, line in enumerate(shown) if f"  {kind}  " in line]
        entry = shown[at + 1 : shown.index("", at)]  # up to the next message's blank line
        assert entry == ["   " + texts[kind].strip().splitlines()[0]], shown
    assert "   строка журнала 40" in shown and "   строка журнала 41" not in shown, shown
    assert "строка журнала 60" in desk.ticket(tid)["messages"][0]["text"]
