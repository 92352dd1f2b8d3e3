"""Unit tests for maild.domain.commands: the command block at the top of a staff reply."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.commands import COMMANDS, Command, in_quote, parse_reply
from maild.domain.sla import LEVELS


def test_single_command_and_body() -> None:
    parsed = parse_reply("#close\n\nДобрый день! Ошибка исправлена в версии 5.2.\n")
    assert parsed.commands == (Command("close"),)
    assert parsed.errors == ()
    assert parsed.body == "Добрый день! Ошибка исправлена в версии 5.2.\n"
    assert parsed.note is False


@pytest.mark.parametrize("name", ["take", "close", "reopen", "wait", "consulting", "development"])
def test_every_argumentless_command(name: str) -> None:
    assert parse_reply(f"#{name}\nТекст").commands == (Command(name),)


def test_critical_command() -> None:
    assert parse_reply("#critical\nСайт лежит, смотрим").commands == (Command("critical"),)


def test_several_commands_with_blank_lines_between() -> None:
    text = "#take\n\n#level vip\n\n\n#critical\nПринято в работу.\n\nС уважением,\nПётр"
    parsed = parse_reply(text)
    assert parsed.commands == (Command("take"), Command("level", "vip"), Command("critical"))
    assert parsed.body == "Принято в работу.\n\nС уважением,\nПётр"


def test_case_insensitive_names_and_level() -> None:
    parsed = parse_reply("#CLOSE\n#Level VIP\n")
    assert parsed.commands == (Command("close"), Command("level", "vip"))
    assert parsed.errors == ()


def test_leading_bom_and_whitespace_are_fine() -> None:
    parsed = parse_reply("\ufeff\n   \n  #close  \r\n\r\nСпасибо за обращение.\r\n")
    assert parsed.commands == (Command("close"),)
    assert parsed.body == "Спасибо за обращение.\r\n"


def test_zero_width_space_from_html_client() -> None:
    assert parse_reply("\u200b#take\nРаботаем").commands == (Command("take"),)


@pytest.mark.parametrize("start", ["\u200b ", "\ufeff\t", " \u200b  "])
def test_blanks_after_an_invisible_character_before_a_command_are_fine(start: str) -> None:
    """An HTML client's zero width space, then the blanks of the line's indent: the
    line is still «#close», run, and not sent to the customer as text."""
    parsed = parse_reply(f"{start}#close\nГотово.")
    assert parsed.commands == (Command("close"),) and "#close" not in parsed.body


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u061c", "\u00ad"])
def test_a_direction_mark_or_soft_hyphen_before_a_command_is_invisible_too(mark) -> None:
    """A client writing right to left (or a paste) leaves an LRM, RLM or ALM, or a soft
    hyphen, at a line's start: unseen, it kept "#close" from running and sent it to the
    customer as text."""
    parsed = parse_reply(f"{mark}#close\nГотово.")
    assert parsed.commands == (Command("close"),) and "#close" not in parsed.body


def test_colon_after_name_is_tolerated() -> None:
    parsed = parse_reply("#level: partner\n#assign: anna@example.com\nТекст")
    assert parsed.commands == (Command("level", "partner"), Command("assign", "anna@example.com"))


@pytest.mark.parametrize("level", list(LEVELS))
def test_every_level_id_is_accepted(level: str) -> None:
    assert parse_reply(f"#level {level}").commands == (Command("level", level),)


def test_unknown_level_error_lists_known_ids() -> None:
    parsed = parse_reply("#level gold\nТекст")
    assert parsed.commands == ()
    (error,) = parsed.errors
    assert error.startswith("#level: неизвестный уровень «gold»; допустимы: ")
    assert all(level in error for level in LEVELS)
    assert parsed.body == "Текст"


def test_level_without_argument() -> None:
    (error,) = parse_reply("#level\n").errors
    assert error.startswith("#level: нужен уровень")


def test_unknown_command_is_an_error_and_suggests_the_near_one() -> None:
    parsed = parse_reply("#clsoe\n\nТекст ответа")
    assert parsed.commands == ()
    (error,) = parsed.errors
    assert error.startswith("Неизвестная команда: #clsoe")
    assert "#close?" in error
    # The mistyped line is a command line: it is never shown to the customer.
    assert parsed.body == "Текст ответа"


def test_a_period_a_phone_typed_after_a_command_is_no_argument() -> None:
    """iOS and Android type ". " for a double space."""
    r = parse_reply("#take.\nИван, проверьте.\n#close.\n#level vip!\n#note Звонил.")
    assert [(c.name, c.arg) for c in r.commands] == [
        ("take", None),
        ("close", None),
        ("level", "vip"),
        ("note", "Звонил."),
    ]
    assert r.errors == () and r.body == "Иван, проверьте.\n"


@pytest.mark.parametrize("line", ["#close — вопрос решён", "#take #wait", "#close please"])
def test_a_known_command_with_words_after_it_is_an_error_below_the_answer_too(line) -> None:
    """Under the answer it was read as text: it went to the customer as typed and ran
    nothing, and the staff member heard nothing."""
    r = parse_reply(f"Иван, исправлено в 7.0.1.\n{line}\n")
    [error] = r.errors
    assert error.startswith(f"{line.split()[0]}: команда без аргументов, лишнее: ")
    assert not r.commands


def test_argument_on_argumentless_command_is_an_error() -> None:
    parsed = parse_reply("#close сейчас\nТекст")
    assert parsed.commands == ()
    assert parsed.errors == ("#close: команда без аргументов, лишнее: «сейчас»",)


def test_good_and_bad_lines_are_reported_together() -> None:
    parsed = parse_reply("#take\n#levle vip\n#wait\nЖдём ответа клиента")
    assert parsed.commands == (Command("take"), Command("wait"))
    assert len(parsed.errors) == 1
    assert parsed.errors[0].startswith("Неизвестная команда: #levle")


def test_assign_bare_address_is_lower_cased() -> None:
    assert parse_reply("#assign Anna.Petrova@Example.COM").commands == (
        Command("assign", "anna.petrova@example.com"),
    )


def test_assign_address_pasted_with_display_name() -> None:
    parsed = parse_reply("#assign Анна Петрова <anna@example.com>\nПередаю Анне.")
    assert parsed.commands == (Command("assign", "anna@example.com"),)


@pytest.mark.parametrize("scheme", ["mailto:", "MAILTO:", "Mailto:"])
def test_assign_mailto_link_from_html_client(scheme: str) -> None:
    """A link's scheme is any case (RFC 3986): «MAILTO:» as some clients write it is
    the link's, not part of an address refused as «не похоже на адрес»."""
    assert parse_reply(f"#assign {scheme}anna@example.com").commands == (
        Command("assign", "anna@example.com"),
    )


@pytest.mark.parametrize("name", ["assign", "cc", "uncc", "human"])
@pytest.mark.parametrize(
    "typed",
    [
        "Buh@Shop.ru<mailto:buh@shop.ru>",
        "Бухгалтерия <buh@shop.ru<mailto:buh@shop.ru>>",
        "Бухгалтерия<mailto:buh@shop.ru>",
    ],
)
def test_an_address_outlook_made_a_link_is_one_address(name: str, typed: str) -> None:
    """Outlook's plain text of an address it made a link, `address<mailto:address>`:
    one address, not «в строке несколько адресов»."""
    parsed = parse_reply(f"Иван, добавила.\n#{name} {typed}\n")
    assert (parsed.commands, parsed.errors) == ((Command(name, "buh@shop.ru"),), ())


def test_a_link_to_another_address_is_two_addresses() -> None:
    """A link whose text names another address: the reader sees one, it leads to the
    other; which one is meant is not guessed."""
    [error] = parse_reply("#cc buh@shop.ru<mailto:dir@shop.ru>").errors
    assert "«#cc buh@shop.ru», «#cc dir@shop.ru»" in error


@pytest.mark.parametrize(
    "quoted", ["«ivan@shop.example»", '"ivan@shop.example"', "“ivan@shop.example”"]
)
@pytest.mark.parametrize("name", ["human", "cc", "uncc"])
def test_an_address_copied_with_its_quotes_is_the_address(name: str, quoted: str) -> None:
    """A notice shows the line in quotes («#human ivan@…»): copied with them, the
    address is still the address, not an unknown one."""
    assert parse_reply(f"#{name} {quoted}").commands == (Command(name, "ivan@shop.example"),)


@pytest.mark.parametrize(
    "address",
    ["b" * 10_000 + "@x.ru", "b@" + "x" * 64 + ".ru", "b@" + "x." * 130 + "ru"],
)
def test_cc_of_an_address_no_relay_takes_is_an_error(address: str) -> None:
    """An address no mail system takes (longer than RFC 5321's 254 octets, a domain's
    label past 63) is no participant: added, each answer's copy to the customer held
    it in To and the relay refused it («500 Line too long»), so the customer got
    nothing, the outbox failing for good, and the staff member was told nothing."""
    parsed = parse_reply(f"#cc {address}\nОтвет.")
    assert parsed.commands == ()
    (error,) = parsed.errors
    assert error.startswith("#cc: «") and "не принимает" in error
    assert len(error) < 300


def test_uncc_of_a_long_address_still_reads_it() -> None:
    """A participant an older maild added so can still be taken off."""
    address = "b" * 300 + "@x.ru"
    assert parse_reply(f"#uncc {address}").commands == (Command("uncc", address),)


def test_assign_without_address() -> None:
    assert parse_reply("#assign\nТекст").errors == ("#assign: нужен адрес сотрудника",)


@pytest.mark.parametrize("bad", ["anna", "anna@", "@example.com", "anna@localhost", "a b@c.ru"])
def test_assign_rejects_what_is_not_an_address(bad: str) -> None:
    parsed = parse_reply(f"#assign {bad}")
    assert parsed.commands == ()
    (error,) = parsed.errors
    assert error == f"#assign: «{bad}» не похоже на адрес электронной почты"


def test_note_makes_the_whole_reply_internal() -> None:
    parsed = parse_reply("#note\nКлиент на старой версии ядра, обновлять не хочет.")
    assert parsed.note is True
    assert parsed.commands == (Command("note"),)
    assert parsed.body == "Клиент на старой версии ядра, обновлять не хочет."


def test_note_may_carry_text_on_its_line() -> None:
    parsed = parse_reply("#note проверил логи, дело в кеше\n")
    assert parsed.note is True
    assert parsed.errors == ()
    assert parsed.commands == (Command("note", "проверил логи, дело в кеше"),)


def test_hash_number_after_the_block_is_text() -> None:
    text = "#close\nЗаказ оформлен.\n#123 is the order number\n#close"
    parsed = parse_reply(text)
    assert parsed.commands == (Command("close"), Command("close"))
    assert parsed.body == "Заказ оформлен.\n#123 is the order number\n"


def test_hash_number_at_the_top_is_text_not_an_error() -> None:
    parsed = parse_reply("#123 — номер вашего заказа, он уже отгружен.")
    assert parsed.commands == ()
    assert parsed.errors == ()
    assert parsed.body == "#123 — номер вашего заказа, он уже отгружен."


def test_markdown_heading_is_text() -> None:
    assert parse_reply("# Инструкция\n1. Откройте настройки").commands == ()


def test_reply_without_commands_is_unchanged() -> None:
    text = "Добрый день!\n\nПроверьте права на папку upload.\n"
    parsed = parse_reply(text)
    assert parsed == parse_reply(text)
    assert (parsed.commands, parsed.errors, parsed.body, parsed.note) == ((), (), text, False)


def test_only_commands_gives_empty_body() -> None:
    parsed = parse_reply("#take\n#close\n")
    assert parsed.commands == (Command("take"), Command("close"))
    assert parsed.body == ""


def test_empty_text() -> None:
    assert parse_reply("") == parse_reply("\n\n")
    assert parse_reply("").commands == ()


def test_russian_aliases() -> None:
    parsed = parse_reply("#Взять\n#закрыть\n#уровень vip\n#заметка\n")
    assert parsed.commands == (
        Command("take"),
        Command("close"),
        Command("level", "vip"),
        Command("note"),
    )
    assert parsed.note is True


def test_quoted_history_below_is_body() -> None:
    text = (
        "#close\nГотово.\n\nOn Mon, 25 Nov 2026 at 10:00, Ivan <ivan@example.com> wrote:\n> #take"
    )
    parsed = parse_reply(text)
    assert parsed.commands == (Command("close"),)
    assert parsed.body.endswith("> #take")


@st.composite
def command_lines(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(COMMANDS))
    if name == "level":
        return f"#level {draw(st.sampled_from(list(LEVELS)))}"
    if name in ("assign", "cc", "uncc"):
        return f"#{name} staff@example.com"
    if name == "answer":
        return "#answer install"
    if name == "merge":
        return "#merge 1234-5678"
    if name == "charset":
        return "#charset koi8-r"
    return f"#{name}"


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    parsed = parse_reply(text)
    assert set(parsed.body.splitlines()) <= set(text.splitlines())
    assert parsed.note == any(c.name == "note" for c in parsed.commands)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(command_lines(), min_size=1, max_size=6),
    st.text().filter(lambda t: "#" not in t and "№" not in t),
)
def test_valid_block_parses_without_errors(lines: list[str], body: str) -> None:
    body = "Ответ клиенту\n" + body
    parsed = parse_reply("\n".join(lines) + "\n" + body)
    assert parsed.errors == ()
    assert len(parsed.commands) == len(lines)
    assert parsed.body == body


def test_command_on_the_last_line_is_run_and_removed() -> None:
    parsed = parse_reply("Добрый день!\nИсправили.\n\n#close\n")
    assert parsed.commands == (Command("close"),)
    assert parsed.errors == ()
    assert "#close" not in parsed.body and "Исправили." in parsed.body


def test_unknown_word_inside_the_text_is_text() -> None:
    parsed = parse_reply("Смотрите тег\n#новинки\nв каталоге")
    assert parsed.commands == () and parsed.errors == ()
    assert "#новинки" in parsed.body


def test_command_in_the_quote_is_not_run() -> None:
    text = "Готово.\n\nOn Mon, 25 Nov 2026 at 10:00, Ivan <ivan@example.com> wrote:\n#close\n"
    assert parse_reply(text).commands == ()


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("#сдщыу", Command("close")),
        ("#ефлу", Command("take")),
        ("№сдщыу", Command("close")),
        ("#думуд мшз", Command("level", "vip")),
        ("#ьукпу 1234-5678", Command("merge", "1234-5678")),
        ("#срфкыуе цштвщцы-1251", Command("charset", "cp1251")),
    ],
)
def test_russian_layout_is_read_as_latin(typed: str, command: Command) -> None:
    parsed = parse_reply(f"{typed}\nТекст")
    assert parsed.commands == (command,) and parsed.errors == ()


def test_number_sign_with_a_number_is_text() -> None:
    assert parse_reply("№12345 — ваш заказ").commands == ()


def test_answers_stand_where_their_line_was() -> None:
    parsed = parse_reply("Здравствуйте!\n#answer install\nЕщё:\n#answer bmp\nАнна")
    assert [c.arg for c in parsed.commands] == ["install", "bmp"]
    filled = parsed.fill(lambda name: f"<{name}>\n")
    assert filled == "Здравствуйте!\n<install>\nЕщё:\n<bmp>\nАнна"


def test_merge_and_charset_arguments_are_checked() -> None:
    assert parse_reply("#merge [TID#1234-5678]").commands == (Command("merge", "1234-5678"),)
    assert parse_reply("#merge завтра").errors[0].startswith("#merge: нужен номер")
    assert parse_reply("#charset nope-8").errors[0].startswith("#charset: неизвестная")
    # nothing named: not «неизвестная кодировка «»», but what to write
    for typed in ("#charset", "#кодировка"):
        [error] = parse_reply(f"{typed}\n").errors
        assert (
            error == "#charset: нужно имя кодировки, например: #charset windows-1251 (или koi8-r)"
        )


def test_spam_cc_uncc() -> None:
    parsed = parse_reply("#spam\n#cc Пётр <petr@shop.ru>\n#uncc MALLORY@evil.example\n")
    assert parsed.commands == (
        Command("spam"),
        Command("cc", "petr@shop.ru"),
        Command("uncc", "mallory@evil.example"),
    )
    assert parse_reply("#spam domain").commands == (Command("spam", "domain"),)
    assert parse_reply("#спам").commands == (Command("spam"),)
    assert parse_reply("#spam everything").errors
    assert parse_reply("#cc").errors and parse_reply("#cc not-an-address").errors


def test_a_reply_of_many_lines_costs_linear_time() -> None:
    """The reply's text between commands was built by adding each line to a string
    (a copy each time): 40,000 lines took 2 s, four times as many sixteen times that."""
    text = "#note\n" + "> строка журнала\nещё строка\n" * 20_000
    started = time.process_time()
    reply = parse_reply(text)
    assert time.process_time() - started < 1.2  # (0.3 s here)
    assert reply.body.count("\n") == 40_000 and reply.note


NOTICE_TEXT = (
    "Новое обращение 1234-5678\n----- текст обращения -----\nНе работает.\n#critical\n"
    "----- конец текста -----\n"
    "  #note                  весь ответ — внутренняя заметка, клиенту не уходит\n"
)
OUTLOOK_HEAD = "От: Служба поддержки <support@s.ru>\nОтправлено: 3 декабря 2026 г.\nКому: a@s.ru\n"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # under Outlook's header, the original unquoted: the reply's last line
        (f"Иван, обновите.\n\n{OUTLOOK_HEAD}\n{NOTICE_TEXT}\n#close\n", ["#close"]),
        (f"\n{OUTLOOK_HEAD}\n{NOTICE_TEXT}#сдщыу.\n", ["#сдщыу."]),
        # typed inside a "> " quote (iOS Mail keeps it quoted)
        ("Иван, обновите.\n\nпишет:\n> Не работает.\n> #take\n", ["#take"]),
        # on top: parse_reply runs it
        (f"#close\n\n{OUTLOOK_HEAD}\n{NOTICE_TEXT}", []),
        # a line of the ticket's mail (the customer's own, the notice's cheat sheet)
        (f"Иван.\n\n{OUTLOOK_HEAD}\n{NOTICE_TEXT}", []),
        # prose, an unknown word, a command run before (a staff member's own mail quoted)
        (f"Ок.\n\n{OUTLOOK_HEAD}\n#take away\n#hashtag\n#wait\n", []),
    ],
)
def test_commands_standing_in_the_quote(text: str, found: list[str]) -> None:
    before = [{"text": NOTICE_TEXT, "commands": []}, {"text": "Ок.", "commands": ["#wait"]}]
    assert in_quote(text, before) == found


@pytest.mark.parametrize(("typed", "hint"), [("#сдщыуу", "#close"), ("#ефл", "#take")])
def test_a_typo_in_the_russian_layout_gets_the_command_as_a_hint(typed: str, hint: str) -> None:
    [error] = parse_reply(f"{typed}\nИван, исправлено.").errors
    assert f"(может быть, {hint}?)" in error


@pytest.mark.parametrize(
    ("line", "command"),
    [("?сдщыу", "close"), ("?закрыть", "close"), ("?close", None), ("?Почему", None)],
)
def test_a_question_mark_for_the_number_sign_before_russian(line: str, command) -> None:
    """KOI8-R has no «№»: a client sends «?» for it."""
    reply = parse_reply(f"{line}\nИван, исправлено.")
    assert [c.name for c in reply.commands] == ([command] if command else [])
    assert reply.errors == ()


def test_a_command_the_reply_runs_on_top_is_no_command_in_its_quote() -> None:
    """The refused mail sent again (a reply to the staff member's own sent mail): the
    command now on top, its old line quoted below."""
    text = f"#reopen\n#take\n\n{OUTLOOK_HEAD}\n#take\n"
    assert in_quote(text, [], parse_reply(text).commands) == []
    assert in_quote(text, []) == ["#take"]


@pytest.mark.parametrize("line", ["# close", "№ сдщыу", "# level vip", "# ;lfnm", "# pfrhsnm!"])
def test_a_command_with_a_space_after_its_sign_at_the_top_stops_the_reply(line: str) -> None:
    """«# close» went to the customer as the first line of the answer, closing nothing;
    so did «# ;lfnm» (#ждать typed with the Latin layout left on: no letter to start
    its word)."""
    reply = parse_reply(f"{line}\nИван, исправлено.")
    [error] = reply.errors
    assert error.startswith(f"«{line}»: между «{line[0]}» и командой не должно быть пробела")
    assert reply.commands == () and reply.body == "Иван, исправлено."


def test_a_heading_is_text_at_the_top_and_further_down() -> None:
    assert parse_reply("# Итоги\nвсё работает").errors == ()
    assert parse_reply("# 1. Итоги\nвсё работает").errors == ()
    assert parse_reply("#...\nвсё работает").errors == ()
    assert parse_reply("Иван, смотрите:\n# Итоги\nвсё работает").errors == ()


def test_the_cheat_sheet_and_the_level_error_name_the_same_levels() -> None:
    """#level's line names the levels a contract gives; #consulting and #development
    say they are #level consulting / development: the error offers all seven alike."""
    from maild.domain.commandspec import cheat_sheet

    sheet = " ".join(f"{usage} {help}" for usage, help in cheat_sheet())
    (error,) = parse_reply("#level gold").errors
    for level in LEVELS:
        assert level in error and level in sheet, level
    assert "#consulting" in error and "#development" in error
    assert "= #level consulting" in sheet and "= #level development" in sheet


@pytest.mark.parametrize("typed", ["домен", "[домен]", "domain", "Домен", "вщьфшт"])
def test_spam_takes_the_domain_as_the_cheat_sheet_shows_it(typed: str) -> None:
    assert parse_reply(f"#spam {typed}").commands == (Command("spam", "domain"),)
    assert parse_reply(f"#спам {typed}").commands == (Command("spam", "domain"),)


def test_spam_says_its_word_is_the_word_itself_not_a_domains_name() -> None:
    """«#spam [домен]» in the cheat sheet read as a placeholder, and «#spam cust6.ru»
    was refused with no word of why: the sheet shows the word bare on a line of its
    own, and the error says what it means."""
    from maild.domain.commandspec import cheat_sheet

    sheet = dict(cheat_sheet())
    assert sheet["#spam домен"] == "то же; блокируется весь домен отправителя"
    assert not [u for u in sheet if "[домен]" in u]
    (error,) = parse_reply("#spam cust6.ru").errors
    assert error.startswith("#spam: «cust6.ru» не понято.")
    assert "«#spam домен» (само слово «домен» или domain, а не имя домена)" in error
    assert "весь домен отправителя" in error


def test_human_has_a_russian_name() -> None:
    assert parse_reply("#человек ivan@shop.ru").commands == (Command("human", "ivan@shop.ru"),)
    assert parse_reply("#человек").commands == (Command("human"),)


def test_the_cheat_sheet_fits_a_mail_line() -> None:
    """Every line of the sheet as staff mail sets it (commands.txt) under 79 characters."""
    from maild.domain.commandspec import cheat_sheet

    sheet = cheat_sheet()
    width = max(len(usage) for usage, _ in sheet)
    assert [u for u, h in sheet if len(f"  {u:<{width}} {h}") > 78] == []


def test_a_notice_of_an_earlier_cheat_sheet_is_known_as_a_notice() -> None:
    """A notice sent before the sheet changed, set unquoted under a reply, still holds
    a line only staff mail has: nothing of such a reply may go."""
    from maild.domain.commands import holds_notice

    old = "  #note (#заметка)                 весь ответ — внутренняя заметка, клиенту не уходит"
    assert holds_notice(f"Иван, обновите.\n\n{old}\n")


@pytest.mark.parametrize(
    "typed",
    [
        "#critical нет",
        "#critical off",
        "#критично нет",
        "#критично off",
        "#CRITICAL Нет.",
        "#скшешсфд щаа",
        "#скшешсфд нет",
        "#критично щаа",
        "#critical [нет]",
        "№скшешсфд нет",
    ],
)
def test_critical_off_is_read_in_every_form_the_parser_takes(typed: str) -> None:
    """«#critical нет» takes the mark off: typed in Russian or Latin, the command's
    Russian name, the Russian layout left on, as every command is read."""
    reply = parse_reply(f"{typed}\nИван, сайт снова работает.\n")
    assert reply.commands == (Command("critical", "нет"),) and reply.errors == ()
    assert reply.body == "Иван, сайт снова работает.\n"


@pytest.mark.parametrize("typed", ["#critical да", "#critical снять", "#критично срочно"])
def test_any_other_word_after_critical_is_an_error_naming_both_forms(typed: str) -> None:
    (error,) = parse_reply(f"{typed}\n").errors
    assert error.startswith("#critical: «")
    assert "«#critical» отмечает обращение как срочное" in error
    assert "«#critical нет» (или #critical off) снимает отметку" in error


def test_the_cheat_sheet_shows_how_to_take_the_critical_mark_off() -> None:
    from maild.domain.commandspec import cheat_sheet

    sheet = [usage for usage, _ in cheat_sheet()]
    assert dict(cheat_sheet())["#critical нет"] == "снять отметку «срочное»"
    # under the command's own line, as «#spam домен» under «#spam»
    assert sheet.index("#critical нет") == sheet.index("#critical (#критично)") + 1


@pytest.mark.parametrize(
    ("typed", "named", "latin"),
    [("#уровень золото", "«золото»", "«pjkjnj»"), ("#думуд мшзз", "«мшзз»", "«vipp»")],
)
def test_an_argument_typed_in_the_russian_layout_is_named_as_typed(
    typed: str, named: str, latin: str
) -> None:
    """The error of an argument no layout reads names it as typed, then its Latin
    reading: «pjkjnj» alone was a word nobody typed; «vipp» shows a slip."""
    [error] = parse_reply(f"{typed}\nТекст").errors
    assert named in error and error.endswith(f"(в латинской раскладке: {latin})"), error
    assert error.index(named) < error.index(latin)


def test_a_command_among_quoted_lines_of_an_interleaved_answer_is_in_quote() -> None:
    """An answer written between "> " lines has its own text below the quote too: a
    "> #close" there is the quote's, told to the staff member, not run."""
    text = "Ответ на первый вопрос.\n> #close\nОтвет на второй.\n"
    assert parse_reply(text).commands == ()
    assert in_quote(text, []) == ["#close"]


FORWARDED = "-------- Пересланное сообщение --------"


def test_a_command_inside_a_mail_she_forwards_is_not_hers() -> None:
    """Below a forward's marker stands its writer's mail, its «#close» no command of
    the staff member who forwards it (quotes.forward_at: trim_reply cuts no history
    there, a forward being the mail's content); above it, hers run."""
    r = parse_reply(f"#take\nСмотрите, что пишет клиент.\n\n{FORWARDED}\n#close\nСпасибо.\n")
    assert [c.name for c in r.commands] == ["take"]
