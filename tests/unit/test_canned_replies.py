"""The canned-reply rules of robots.py: only canned quick answers to our automatic mail
make a robot (robots.canned_run, own_words); a person adding details quickly stays one;
the same canned answer however slow makes one at its SLOW_REPLIES-th in a row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from maild.domain.robots import canned_run, own_words, robot_reason

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
STAFF = ("anna@example.com",)
OLGA = "olga@romashka.ru"
WHY = "ответ робота: 3-й ответ подряд на автоматическое письмо быстрее чем через 5 минут"
SLOW_WHY = "ответ робота: 4-й ответ подряд на автоматическое письмо одним и тем же текстом"
PNG = {"filename": "s.png", "content_type": "image/png", "size": 9, "accepted": True,
       "reason": None, "sha256": "ab"}  # fmt: skip
REFUSED = {**PNG, "filename": "s.bmp", "accepted": False, "reason": "BMP", "sha256": None}


def ours(n: int, at: datetime) -> dict:
    """Our automatic mail n to Olga (the confirmation, then acknowledgements)."""
    return {
        "message_id": f"<auto{n}@example.com>",
        "direction": "out",
        "kind": "confirmation",
        "from": "support@example.com",
        "to": [OLGA],
        "received_at": at.isoformat(),
        "text": f"Ваше обращение [TID#4821-7730] зарегистрировано, письмо {n}.",
        "attachments": [],
    }


def reply(
    text: str, at: datetime, files: list[dict] | None = None, kept: bool = True, fast: bool = True
) -> dict:
    """Olga's reply to our automatic mail as maild stores it (``kept``: with its
    own_words, as stored now; without: as stored before records kept them, when only a
    fast one was marked so; ``fast``: within 5 minutes)."""
    record = {
        "message_id": f"<r{at.timestamp()}@romashka.ru>",
        "direction": "in",
        "from": OLGA,
        "kind": "customer",
        "received_at": at.isoformat(),
        "text": text,
        "attachments": files or [],
    }
    if fast:
        record["fast_reply_to_auto"] = True
    if kept:
        record["fast_words"] = own_words(text)
    return record


def exchange(
    texts: list[tuple[str, list[dict]]], kept: bool = True, gap: int = 1
) -> list[str | None]:
    """What robot_reason says of each of Olga's replies, each `gap` minutes after our
    mail it answers (In-Reply-To naming it), the thread growing as maild stores it."""
    thread = [
        {"direction": "in", "from": OLGA, "kind": "customer", "received_at": T0.isoformat(),
         "message_id": "<first@romashka.ru>", "text": "Не работает корзина", "attachments": []},
        ours(0, T0),
    ]  # fmt: skip
    said = []
    for n, (text, files) in enumerate(texts):
        at = T0 + timedelta(minutes=(gap + 1) * n + gap)
        said.append(
            robot_reason(
                sender=OLGA,
                subject="Re: [TID#4821-7730] Не работает корзина",
                refs=[f"<auto{n}@example.com>"],
                received_at=at,
                messages=thread,
                staff=STAFF,
                own_subject="Не работает корзина",
                words=own_words(text),
                files=any(f["accepted"] for f in files),
            )
        )
        thread += [reply(text, at, files, kept, fast=gap <= 5), ours(n + 1, at)]
    return said


QUOTE = (
    "\n\n25.11.2026, 10:00, Служба поддержки <support@example.com>:\n"
    "> Ваше обращение [TID#4821-7730] зарегистрировано.\n> Уровень: Бесплатная поддержка\n"
)


def test_a_customer_adding_details_quickly_is_no_robot() -> None:
    details = [
        ("Вот скриншот ошибки." + QUOTE, [PNG]),
        ("И ещё скриншот, из мобильной версии." + QUOTE, [PNG]),
        ("Забыла: адрес сайта romashka.ru, версия 7.0.3." + QUOTE, []),
        ("И ещё: ошибка только в Safari." + QUOTE, []),
    ]
    assert exchange(details) == [None, None, None, None]
    # the same on records stored before they kept their words: read from their text
    assert exchange(details, kept=False) == [None, None, None, None]


def test_new_files_are_news_whatever_the_words() -> None:
    screens = [("" + QUOTE, [PNG]), ("" + QUOTE, [PNG]), ("" + QUOTE, [PNG])]
    assert exchange(screens) == [None, None, None]
    # a file refused (a BMP outside an archive) brings nothing new: the same as none
    assert exchange([("", [REFUSED])] * 3) == [None, None, WHY]


def test_a_robots_same_answer_is_a_robot_at_its_third_as_before() -> None:
    canned = "Thank you for contacting us. Your request has been received."
    assert exchange([(canned, [])] * 3) == [None, None, WHY]
    # its numbers (its ticket, the date, the time) change each round, our quote too,
    # its spacing and case may: the same words all the same
    rounds = [
        (f"Ticket #{117904 + n} created {25 + n}.11.2026 10:0{n}.\nTHANK  you." + QUOTE, [])
        for n in range(3)
    ]
    rounds[1] = (rounds[1][0].replace("THANK  you", "Thank you"), [])
    assert exchange(rounds) == [None, None, WHY]
    assert exchange(rounds, kept=False) == [None, None, WHY]
    # replies with no words of their own and no file, as the rule always counted
    assert exchange([("", [])] * 3) == [None, None, WHY]


def test_new_words_break_the_run_and_repeats_count_from_there() -> None:
    canned = "Спасибо, ваше письмо получено."
    said = exchange([(canned, []), (canned, []), ("Забыла: версия 7.0.3.", []), (canned, [])])
    assert said == [None, None, None, None]
    # a robot of two answers in turn shows itself one exchange later
    a, b = "Ваше письмо получено.", "Мы ответим в течение суток."
    assert exchange([(a, []), (b, []), (a, []), (b, [])]) == [
        None,
        None,
        None,
        WHY.replace("3-й", "4-й"),
    ]


def test_canned_run_counts_this_reply_and_the_fast_ones_in_a_row_before_it() -> None:
    at = T0 + timedelta(minutes=1)
    slow = {**reply("ok", at), "fast_reply_to_auto": False}
    thread = [reply("ok", at), slow, reply("ok", at), reply("ok", at)]
    assert canned_run(OLGA, thread, own_words("ok"), False) == 3
    assert canned_run(OLGA, thread, own_words("ok"), True) == 0  # a new file
    assert canned_run(OLGA, thread, own_words("новое"), False) == 0


def test_own_words_is_a_short_digest_of_the_replys_own_words() -> None:
    text = "Заявка №12 принята 25.11.2026 в 10:15.\n\n> Ваше обращение [TID#4821-7730]\n"
    words = own_words(text)
    assert len(words) == 16 and int(words, 16) >= 0  # a digest, not the text twice
    assert words == own_words("  ЗАЯВКА №7   принята 1.12.2026 в 9:05.")
    assert words != own_words("Заявка №12 отклонена 25.11.2026 в 10:15.")
    assert own_words("") == own_words("   \n") == own_words("> только цитата\n") == ""


def test_a_slow_robots_same_answer_is_a_robot_at_its_fourth() -> None:
    rounds = [
        (f"Ваше обращение зарегистрировано под номером {5001 + n}." + QUOTE, []) for n in range(6)
    ]
    for gap in (36, 61, 24 * 60):  # however slow
        assert exchange(rounds[:4], gap=gap) == [None, None, None, SLOW_WHY]
    # fast ones and slow ones in a row are one run of the slow rule
    at = T0 + timedelta(minutes=1)
    thread = [reply("ok", at), reply("ok", at, fast=False), reply("ok", at)]
    assert canned_run(OLGA, thread, own_words("ok"), False, slow=True) == 4
    assert canned_run(OLGA, thread, own_words("ok"), False) == 2  # the fast rule's


def test_a_person_repeating_themselves_slowly_stays_one_thrice() -> None:
    nag = [("Когда будет ответ?" + QUOTE, [])] * 3
    assert exchange(nag, gap=24 * 60) == [None, None, None]
    # new words each time never make a run, however many
    texts = ["Ошибка 500.", "Из другого браузера то же.", "Заказ 4411 тоже.", "Склад?", "Жду."]
    assert exchange([(t + QUOTE, []) for t in texts], gap=45) == [None] * 5
    # a new file breaks the run as it does a fast one
    same = "Посмотрите, пожалуйста." + QUOTE
    assert exchange([(same, [])] * 3 + [(same, [PNG])], gap=45) == [None] * 4


def test_replies_stored_before_slow_ones_were_marked_start_no_slow_run() -> None:
    canned = [("Ваше обращение зарегистрировано." + QUOTE, [])] * 4
    assert exchange(canned, kept=False, gap=45) == [None] * 4


def test_an_earlier_reply_with_a_new_file_ends_the_run_it_is_in() -> None:
    # a person who sent a screenshot, then twice quickly nothing of her own (a client's
    # empty reply, a forward that lost its text) stays one: the file was news
    said = exchange([("" + QUOTE, [PNG]), ("" + QUOTE, []), ("" + QUOTE, [])])
    assert said == [None, None, None]
    # the fourth such reply counts only the three after the file
    assert exchange([("" + QUOTE, [PNG])] + [("" + QUOTE, [])] * 3)[-1] == WHY


def test_a_reply_with_no_words_of_its_own_is_canned_among_a_robots_repeats() -> None:
    canned = "Спасибо, ваше письмо получено."
    # the robot's text twice, then its reply with nothing of its own: the third in a row
    assert exchange([(canned, []), (canned, []), ("" + QUOTE, [])]) == [None, None, WHY]
