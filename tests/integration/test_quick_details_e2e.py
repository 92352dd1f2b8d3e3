"""Quick replies to our automatic mail, end to end through `maild ingest`, `outbox flush`
and a real aiosmtpd relay: a customer adding details in three quick replies stays a
person; a robot answering with its canned text is still marked; one that varies its
words each round is stopped by the caps on automatic mail (robots.canned_run, caps.py).
Before, the customer's third quick reply marked her a robot: staff got «Отправитель
отмечен как робот», she no acknowledgement, and staff no notice of her next mail."""

from __future__ import annotations

from tests.helpers import PNG, Desk, Received, make_mail

OLGA = "olga@romashka.ru"
STAFF = ("anna@example.com", "boris@example.com")
# a robot's answers that differ in words each round (a "tip of the day" under them)
TIPS = [
    "Перезагрузите роутер.",
    "Проверьте кабель.",
    "Очистите кэш браузера.",
    "Обновите драйверы.",
    "Смените пароль.",
    "Проверьте баланс.",
    "Отключите VPN.",
    "Сделайте резервную копию.",
    "Закройте лишние вкладки.",
    "Проверьте антивирус.",
]


def answer(desk: Desk, ours: Received, sender: str, own: str, files=()) -> None:
    """``sender`` answers our mail ``ours`` at once, as a mail client does: In-Reply-To
    and References naming it, its text quoted under their own."""
    mid = str(ours.msg["Message-ID"])
    quoted = "".join(f"> {line}\n" for line in ours.text.splitlines())
    body = f"{own}\n\n25.11.2026, 10:05, Служба поддержки <support@example.com>:\n{quoted}"
    desk.ingest(
        make_mail(
            sender=sender,
            subject=f"Re: {ours.subject}",
            body=body,
            headers={"In-Reply-To": mid, "References": mid},
            attachments=list(files),
        )
    )
    assert desk.flush().code == 0


def test_a_customer_adding_details_in_three_quick_replies_stays_a_person(desk, sink):
    tid = desk.ingest_tid(make_mail(sender=f"Ольга <{OLGA}>", subject="Не работает корзина"))
    assert desk.flush().code == 0
    details = [
        ("Вот скриншот ошибки.", [("screen1.png", "image/png", PNG)]),
        ("И ещё скриншот, из мобильной версии.", [("screen2.png", "image/png", PNG)]),
        ("Забыла: адрес сайта romashka.ru, версия 7.0.3.", []),
    ]
    for own, files in details:
        answer(desk, sink.to(OLGA)[-1], f"Ольга <{OLGA}>", own, files)
    # the confirmation, then an acknowledgement of each reply, as the regulation promises
    mine = sink.to(OLGA)
    assert len(mine) == 4, [m.subject for m in mine]
    assert all(f"[TID#{tid}]" in m.subject for m in mine)
    # each staff member was told of each reply, and of no robot
    for own, _files in details:
        told = [m for m in sink.received if OLGA not in m.rcpt_tos and own in m.text]
        assert sorted(r for m in told for r in m.rcpt_tos) == sorted(STAFF), own
    assert not [m for m in sink.received if "робот" in m.subject]
    t = desk.ticket(tid)
    assert "robots" not in t, t.get("robots")
    assert not [m for m in t["messages"] if m["kind"] == "note" and "робот" in m["text"]]


def test_a_robot_answering_with_its_canned_text_is_marked_at_its_third_answer(desk, sink):
    robot = "help@vendor.example"
    tid = desk.ingest_tid(make_mail(sender=robot, subject="Вопрос по интеграции"))
    assert desk.flush().code == 0
    for n in range(3):  # its own numbers each round; our mail quoted under it
        canned = f"Спасибо! Ваше письмо получено {25 + n}.11.2026 в 10:0{n}, номер {5531 + n}."
        answer(desk, sink.to(robot)[-1], robot, canned)
    assert len(sink.to(robot)) == 3  # the confirmation and two acknowledgements
    assert "3-й ответ подряд" in desk.ticket(tid)["robots"][robot]
    assert len([m for m in sink.received if "Отправитель отмечен как робот" in m.subject]) == 2


def test_a_robot_varying_its_words_each_round_is_stopped_by_the_rounds(desk, sink):
    """Spared by the fast-reply rule (new words each time, as a person's), another desk's
    robot answering each mail we send it gets the confirmation and three
    acknowledgements (robotrounds.ACK_ROUNDS: no staff answer between), and then the
    loop ends; staff's notice of its fourth answer says why none went."""
    robot = "help@vendor.example"
    tid = desk.ingest_tid(make_mail(sender=robot, subject="Вопрос по интеграции"))
    assert desk.flush().code == 0
    answered = 0
    for n, tip in enumerate(TIPS):
        got = sink.to(robot)
        if len(got) == answered:
            break  # nothing new from us: the robot has nothing to answer
        answered = len(got)
        answer(desk, got[-1], robot, f"Письмо получено, номер {100 + n}. Совет дня: {tip}")
    else:
        raise AssertionError(f"still answered after {len(TIPS)} rounds")
    assert answered == 4, [m.subject for m in sink.to(robot)]
    t = desk.ticket(tid)
    assert "robots" not in t  # the rounds stopped it, not the mark
    assert [m for m in sink.to(STAFF[0]) if "это уже 4-е письмо подряд" in m.text]
    # staff were told of each of its answers, no more: as many as we sent it
    for staff in STAFF:
        about = [m for m in sink.to(staff) if "Совет дня" in m.text]
        assert len(about) == answered, staff
