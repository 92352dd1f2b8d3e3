"""How staff type command lines: a fixed word after a command in the other layout
(«#critical ytn» is «#critical нет», «#spam ljvty» «#spam домен»), while every other
argument means what it says; and the fullwidth «＃» some input methods and phones type
for «#»."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maild.domain.commands import Command, in_quote, parse_reply
from maild.domain.commandspec import KEYWORDS, REGISTRY, cheat_sheet, keyword
from maild.domain.layout import from_russian_layout, halfwidth, to_russian_layout

ANSWER = "Иван, сайт снова работает.\n"


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("#critical ytn", Command("critical", "нет")),  # нет with the Latin layout on
        ("#critical Ytn.", Command("critical", "нет")),
        ("#CRITICAL YTN", Command("critical", "нет")),
        ("#критично ytn", Command("critical", "нет")),
        ("#скшешсфд ytn", Command("critical", "нет")),
        ("#critical «ytn»", Command("critical", "нет")),
        ("#spam ljvty", Command("spam", "domain")),  # домен with the Latin layout on
        ("#spam [ljvty]", Command("spam", "domain")),
        ("#спам Ljvty", Command("spam", "domain")),
        ("#ызфь ljvty", Command("spam", "domain")),
    ],
)
def test_a_russian_word_typed_with_the_latin_layout_on_is_the_word(
    typed: str, command: Command
) -> None:
    """As a command's name is read in the other layout, so is its fixed word: refused
    before, «#critical ytn» stopped the reply and left the mark on."""
    reply = parse_reply(f"{typed}\n{ANSWER}")
    assert reply.commands == (command,) and reply.errors == ()
    assert reply.body == ANSWER


def forms(word: str) -> list[str]:
    """``word`` as typed and as typed with the other layout left on."""
    return [word, from_russian_layout(word), to_russian_layout(word)]


CASES = [(name, word) for name, words in KEYWORDS.items() for word in words]


@given(
    st.sampled_from(CASES),
    st.integers(0, 2),
    st.sampled_from([str, str.upper, str.capitalize]),
    st.sampled_from(["{}", "[{}]", "«{}»", '"{}"', "{}."]),
)
def test_every_fixed_word_is_read_in_either_layout(case, form: int, case_of, shape: str) -> None:
    name, word = case
    typed = shape.format(case_of(forms(word)[form]))
    for line in (f"#{name} {typed}", f"#{to_russian_layout(name)} {typed}"):
        assert parse_reply(line).commands == (Command(name, KEYWORDS[name][word]),), line


def test_the_fixed_words_of_a_command_mean_one_thing_in_any_layout() -> None:
    """No word of a command, typed in the other layout, is another of its words: the
    Latin "off" stays "off", and nothing reads «ytn» but as «нет»."""
    for name, words in KEYWORDS.items():
        meaning: dict[str, str] = {}
        for word, value in words.items():
            for typed in forms(word):
                assert meaning.setdefault(typed, value) == value, (name, typed)
                assert keyword(name, typed) == value, (name, typed)


def test_the_cheat_sheet_shows_every_fixed_word() -> None:
    """The sheet's «#critical нет» and «#spam домен» are the words read here."""
    sheet = [usage for usage, _ in cheat_sheet()]
    for name, words in KEYWORDS.items():
        [russian] = [w for w in words if not w.isascii()]
        assert f"#{name} {russian}" in sheet


LATIN = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_@.", min_size=1, max_size=20)
OTHERS = sorted(set(REGISTRY) - set(KEYWORDS))


@given(st.sampled_from(OTHERS), st.one_of(LATIN, st.sampled_from(["ytn", "ljvty", "Ytn"])))
def test_any_other_argument_in_latin_means_what_it_says(name: str, arg: str) -> None:
    """An answer named "ytn", a level, an address, a TID, a charset: read as typed,
    never as the Russian its keys would give."""
    arg = arg.rstrip(".,;!")
    if not arg:
        return
    value, error = REGISTRY[name].read(name, arg)
    reply = parse_reply(f"#{name} {arg}\n")
    if error is None:
        assert reply.commands == (Command(name, value),) and reply.errors == ()
    else:
        assert reply.errors == (error,) and reply.commands == ()


def test_a_saved_answer_or_a_level_named_like_a_fixed_word_keeps_its_name() -> None:
    assert parse_reply("#answer ytn").commands == (Command("answer", "ytn"),)
    assert parse_reply("#ответ ljvty").commands == (Command("answer", "ljvty"),)
    [error] = parse_reply("#level ytn").errors
    assert "«ytn»" in error
    [error] = parse_reply("#spam ljvty.ru").errors  # a domain's name: still the error
    assert error.startswith("#spam: «ljvty.ru» не понято.")


def test_a_fixed_word_in_the_other_layout_after_a_slip_is_a_slip() -> None:
    """«#critcal ytn» under the answer: the argument reads, so the line is a command
    mistyped, not text for the customer."""
    reply = parse_reply(f"{ANSWER}#critcal ytn\n")
    [error] = reply.errors
    assert "(может быть, #critical?)" in error and reply.body == ANSWER


# -- the fullwidth number sign ---------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("＃close", Command("close")),
        ("＃ｃｌｏｓｅ", Command("close")),  # an input method's fullwidth mode
        ("﹟close", Command("close")),
        ("＃сдщыу", Command("close")),
        ("＃level vip", Command("level", "vip")),
        ("＃critical ytn", Command("critical", "нет")),
        ("＃cc ｉｖａｎ＠ｓｈｏｐ．ｒｕ", Command("cc", "ivan@shop.ru")),
    ],
)
def test_a_fullwidth_number_sign_is_the_number_sign(typed: str, command: Command) -> None:
    """«＃close» went to the customer as text and closed nothing: it is «#close», on
    top, under the answer and in the quote alike."""
    for text in (f"{typed}\n{ANSWER}", f"{ANSWER}{typed}\n"):
        reply = parse_reply(text)
        assert reply.commands == (command,) and reply.errors == ()
        assert reply.body == ANSWER
    assert in_quote(f"{ANSWER}\n> {typed}\n", []) == [typed]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("＃clsoe", "Неизвестная команда: #clsoe (может быть, #close?)"),
        ("＃ close", "«＃ close»: между «＃» и командой не должно быть пробела"),
        ("＃close вопрос решён", "#close: команда без аргументов, лишнее: «вопрос решён»"),
    ],
)
def test_a_fullwidth_command_mistyped_under_the_answer_stops_the_reply(
    typed: str, error: str
) -> None:
    reply = parse_reply(f"{ANSWER}{typed}\n")
    [told] = reply.errors
    assert told.startswith(error) and reply.body == ANSWER


@pytest.mark.parametrize(
    "line", ["＃новинки", "＃123", "＃ Итоги", "？сдщыу", "＃новинки и ＃акции"]
)
def test_a_fullwidth_hashtag_or_number_stays_text(line: str) -> None:
    reply = parse_reply(f"{ANSWER}{line}\n")
    assert reply.errors == () and reply.commands == ()
    assert reply.body == f"{ANSWER}{line}\n"


@given(st.text(st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)))
def test_halfwidth_reads_each_fullwidth_ascii_form_but_the_question_mark(text: str) -> None:
    folded = halfwidth(text)
    assert len(folded) == len(text)
    assert all(c.isascii() or c == "？" for c in folded)


LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "#close",
                "#clsoe",
                "# close",
                "#level vip",
                "#levle vip",
                "#новинки",
                "#123",
                "#clsoe вопрос решён",
                "#closed вопросы",
                "#note проверил логи",
                "#сдщыу",
                "#critical ytn",
                "#tags",
                "",
                "Иван, проверьте модуль оплаты.",
                "> #close",
            ]
        ),
        st.text("#abclosevipнет ", max_size=12),
    ),
    max_size=6,
)


@given(LINES)
def test_a_reply_typed_with_fullwidth_signs_reads_as_with_plain_ones(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    plain, wide = parse_reply(text), parse_reply(text.replace("#", "＃"))
    assert wide.commands == plain.commands and len(wide.errors) == len(plain.errors)
    assert wide.body == plain.body.replace("#", "＃")
