"""How staff type command lines: a fixed word after a command in the other layout
(«#critical ytn» is «#critical нет», «#spam ljvty» «#spam домен»), while every other
argument means what it says; the fullwidth «＃» some input methods and phones type
for «#»; and a Russian alias typed with the Latin layout left on («#pfrhsnm»)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from maild.domain.commandnames import NAMES
from maild.domain.commands import Command, in_quote, parse_reply
from maild.domain.commandspec import (
    ALIASES,
    COMMANDS,
    KEYWORDS,
    REGISTRY,
    cheat_sheet,
    keyword,
    resolve,
)
from maild.domain.layout import from_russian_layout, halfwidth, russian_typed, to_russian_layout
from maild.domain.nearmiss import SHORT, latin_typed, near_command, one_slip
from maild.domain.sla import LEVELS

ANSWER = "Иван, сайт снова работает.\n"


def test_every_command_named_is_registered() -> None:
    """commandnames.NAMES (what flowed text is read by) and commandspec.REGISTRY (what
    runs) name the same commands, in the cheat sheet's order."""
    assert tuple(REGISTRY) == COMMANDS == NAMES


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


@given(st.text(st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E), min_size=1))
def test_a_notes_text_is_kept_as_typed_fullwidth_signs_and_all(text: str) -> None:
    """The sign and the name are read as halfwidth reads them; the note's text is the
    staff member's, as typed: «客户说：系统（生产）坏了！» lost its fullwidth signs."""
    for sign in ("#", "＃"):
        reply = parse_reply(f"{ANSWER}{sign}note 客户说：{text}\n")
        assert reply.commands == (Command("note", f"客户说：{text}".strip()),)


@given(st.text(st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)))
@example("？close")  # read "?close", a KOI8-R «№close»
def test_halfwidth_reads_each_fullwidth_ascii_form_but_the_question_mark(text: str) -> None:
    folded = halfwidth(text)
    assert len(folded) == len(text) and folded.count("？") == text.count("？")
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


# -- a Russian alias typed with the Latin layout left on ---------------------------------

RUSSIAN_ALIASES = sorted(a for a in ALIASES if not a.isascii())
# an argument each command reads, for a line that runs it
READS = {
    "level": "vip",
    "assign": "anna@example.com",
    "answer": "request_info",
    "merge": "1234-5678",
    "charset": "koi8-r",
    "cc": "petr@example.com",
    "uncc": "petr@example.com",
}


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("#pfrhsnm", Command("close")),  # #закрыть with the Latin layout left on
        ("#dpznm", Command("take")),
        ("#pfvtnrf", Command("note")),
        ("#PFRHSNM.", Command("close")),
        ("#;lfnm", Command("wait")),  # «ж» is the ";" key: no letter to a regex
        ("#;lfnm.", Command("wait")),
        ("#;lfnm!", Command("wait")),
        ("#pfrhsnm!", Command("close")),  # as "#close!"
        ("#hfphf,jnrf", Command("development")),  # «б» is ","
        ("#j,]tlbybnm 1234-5678", Command("merge", "1234-5678")),  # «ъ» is "]"
        ("#ehjdtym vip", Command("level", "vip")),
        ("#rhbnbxyj ytn", Command("critical", "нет")),
        ("#jndtn request_info", Command("answer", "request_info")),
    ],
)
def test_a_russian_alias_typed_with_the_latin_layout_on_is_the_command(
    typed: str, command: Command
) -> None:
    """«#pfrhsnm» (#закрыть) under the answer went to the customer as text and closed
    nothing; on top it was an unknown command."""
    for text in (f"{typed}\n{ANSWER}", f"{ANSWER}{typed}\n"):
        reply = parse_reply(text)
        assert reply.commands == (command,) and reply.errors == (), text
        assert reply.body == ANSWER


@pytest.mark.parametrize("alias", RUSSIAN_ALIASES)
def test_every_russian_alias_is_read_in_the_latin_layout(alias: str) -> None:
    name = ALIASES[alias]
    typed = from_russian_layout(alias)
    assert resolve(typed) == name and resolve(typed.upper()) == name
    arg = READS.get(name, "")
    line = f"#{typed} {arg}".strip()
    assert parse_reply(f"{ANSWER}{line}\n").commands == parse_reply(f"#{name} {arg}").commands


@pytest.mark.parametrize(
    ("line", "meant"),
    [
        ("#pfrhsn", "#закрыть?"),  # a letter left out
        ("#pfrhnsm", "#закрыть?"),  # two swapped
        ("#pfrhnsm вопрос решён", "#закрыть?"),
        ("#;lfn", "#ждать?"),
        ("#;LFN", "#ждать?"),  # Caps Lock on, too
        ("#hfphf,jnr", "#разработка?"),
        ("#pfvtnrfw", "#заметка?"),
    ],
)
def test_a_slip_of_a_russian_alias_typed_in_the_latin_layout_is_a_slip(
    line: str, meant: str
) -> None:
    """As «#закрыь» and «#clsoe» are, under the answer and on top."""
    for text in (f"{ANSWER}{line}\n", f"{line}\n{ANSWER}"):
        reply = parse_reply(text)
        [error] = reply.errors
        assert f"(может быть, {meant})" in error and reply.body == ANSWER, text
    assert near_command(line.split()[0][1:]) == meant[1:-1]


def slips_of(word: str) -> set[str]:
    """Every word one slip from ``word`` as nearmiss counts them, over the keys a
    Russian word typed in the Latin layout is made of."""
    keys = "abcdefghijklmnopqrstuvwxyz;',.[]`"
    out = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    if len(word) > SHORT:
        out |= {word[:i] + word[i + 1 :] for i in range(len(word))}
        out |= {
            word[:i] + k + word[i + j :] for i in range(len(word) + 1) for k in keys for j in (0, 1)
        }
    return out - {word}


LATIN_TARGETS = [t for t in (*COMMANDS, *ALIASES) if t.isascii()]


@pytest.mark.parametrize("alias", RUSSIAN_ALIASES)
def test_no_russian_alias_typed_in_the_latin_layout_or_its_slips_is_a_latin_command(
    alias: str,
) -> None:
    """Exhaustive: neither an alias's Latin spelling nor any word one slip from it is a
    Latin name or alias, or one slip from one: a word means one command, and a
    Latin slip is told as the Latin command's."""
    typed = from_russian_layout(alias)
    for word in {typed} | slips_of(typed):
        assert resolve(word) in (None, ALIASES[alias]), word
        for target in LATIN_TARGETS:
            assert word != target and not one_slip(word, target), (alias, word, target)


# The English staff write about this desk: the README's words, less its code (where
# «#pfrhsnm» stands as an example). The rule was also checked once against 264,494
# words of Webster's 2nd and GCIDE and wordfreq's 300,000 commonest English words:
# none is a Russian alias typed so, or one slip from one.
README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
ENGLISH = sorted(set(re.findall(r"[a-z]+", re.sub(r"`[^`\n]*`", " ", README).lower())))


def test_no_english_word_is_a_russian_alias_typed_in_the_latin_layout() -> None:
    """A hashtag (#notes, #todo, #fix) stays what it was: no Russian alias typed in
    the Latin layout, nor a slip of one."""
    assert len(ENGLISH) > 2000
    for word in ENGLISH + ["todo", "fyi", "asap", "bug", "fix", "wontfix", "urgent", "tags"]:
        assert not latin_typed(word), word
        assert resolve(word) in (None, resolve(from_russian_layout(word))), word
        near = near_command(word)
        assert near is None or near.isascii(), (word, near)


@given(st.sampled_from(RUSSIAN_ALIASES), st.integers(0, 20), st.sampled_from(";',.[]`"))
def test_a_word_with_a_layout_key_in_it_is_read_whole_when_it_reads_as_an_alias(
    alias: str, at: int, key: str
) -> None:
    """«#;lfnm» is read whole, its ";" the key of «ж»: run or told as a slip, never
    the customer's; a word with such a key that is no alias typed so is read as
    before ("#close," is #close)."""
    typed = from_russian_layout(alias)
    word = typed[:at] + key + typed[at:]
    reply = parse_reply(f"{ANSWER}#{word}\n")
    if latin_typed(word.rstrip(".,")):
        assert (reply.commands or reply.errors) and reply.body == ANSWER, word
    assert parse_reply(f"{ANSWER}#close,\n").commands == (Command("close"),)


# -- a level typed in the other layout ---------------------------------------------------


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_a_level_typed_in_the_russian_layout_is_the_level(level: str) -> None:
    """«#level мшз»: the Russian layout switched on after the Latin name was an error;
    a level is a fixed word, as «нет» is, and none typed so is a Russian word."""
    typed = to_russian_layout(level)
    for line in (f"#level {typed}", f"#level {typed.capitalize()}", f"#уровень {typed}"):
        reply = parse_reply(f"{line}\n{ANSWER}")
        assert reply.commands == (Command("level", level),) and reply.errors == (), line
    for line in (f"#ehjdtym {level}", f"#думуд {typed}"):
        assert parse_reply(line).commands == (Command("level", level),), line


def test_a_word_no_layout_makes_a_level_is_still_an_error() -> None:
    [error] = parse_reply("#level золото\nТекст").errors
    assert error.startswith("#level: неизвестный уровень «золото»")
    [error] = parse_reply("#level мшзз\nТекст").errors
    assert error.startswith("#level: неизвестный уровень «мшзз»")


def test_a_long_hashtag_of_punctuation_costs_linear_time() -> None:
    """A «#» line of «.,:!» and a letter, at the top, under the answer or quoted:
    read for a Latin-layout alias (LATIN_TYPED_RE), 16,000 dots took 4-6 s and twice
    as many four times that; an unverified head mail runs it too (headmail)."""
    line = "#" + "." * 200_000 + "x"
    started = time.process_time()
    for text in (f"{line}\n", f"{ANSWER}\n{line}\n", f"{ANSWER}\n> {line}\n"):
        parse_reply(text)
        in_quote(text, [])
    assert time.process_time() - started < 5  # (about 0.5 s here)


# -- an answer's name typed with the Latin layout left on, and hashtag prose ------------

# Hashtag prose whose punctuation stands on the keys of «б ю ж х ъ э ё»: what
# parse_reply and in_quote gave before answer names were read in the Latin layout
# (38c560b). Under the answer the first ones are text; the others, a known command
# with no name after it, stop the reply as an error wherever they stand; quoted,
# none is a command in the quote.
PROSE_TEXT = ["#answers'", '#answers":', "#answer1[k]", "#answers' list", "#todo's", "#ответы'"]
PROSE_NO_NAME = [
    "#answer's",
    "#answer's.",
    "#answer'll",
    "#answer[k]",
    "#answer[0]",
    "#answer{k}",
    "#ANSWER`,",
    "#answer...",
    "#answer;",
    "#answer don't",
    "#answer 'thanks'",
    '#answer "thanks"',
    "#answer thanks'",
    "#ответ'ы",
]
NO_NAME = "#answer: нужно имя сохранённого ответа"


@pytest.mark.parametrize("line", PROSE_TEXT + PROSE_NO_NAME)
def test_hashtag_prose_with_layout_keys_reads_as_before_answer_names_in_latin(line: str) -> None:
    """«'» is the key of «э», «[» of «х»: read so, "#answer's" was an answer named «эы»
    (a command in the quote) and "#answers'" a slip of "#answer «э»" that stopped the
    reply; an English word's quote, possessive, brackets or dots are no Russian word."""
    assert in_quote(f"{ANSWER}\n> {line}\n", []) == []
    top, below = parse_reply(f"{line}\n{ANSWER}"), parse_reply(f"{ANSWER}{line}\n")
    assert top.commands == below.commands == ()
    if line in PROSE_TEXT:
        assert top.errors[0].startswith("Неизвестная команда: #")
        assert below.errors == () and below.body == f"{ANSWER}{line}\n"
    else:
        assert top.errors[0].startswith(NO_NAME) and below.errors[0].startswith(NO_NAME)


@pytest.mark.parametrize(
    "typed",
    ["cgfcb,j", ",kfujlfh.", "CGFCB,J", "CGFCB<J", "<KFUJLFH>", "Cgfcb,j", "<kfujlfh.", "gkfn`;"]
    + ["enjxy.", "thanks.", "thanks!", "thanks", "request_info", "[jhjij", "'rcgthn"],
)
def test_a_name_typed_in_the_latin_layout_is_still_a_name(typed: str) -> None:
    """«спасибо» with Caps Lock on (CGFCB,J) or Shift held (CGFCB<J), «хорошо»,
    «эксперт», «платёж»; a phone's "." or "!" after a name."""
    for text in (f"#answer {typed}\n{ANSWER}", f"{ANSWER}#answer {typed}\n"):
        assert parse_reply(text).commands == (Command("answer", typed.lower()),), text
    assert in_quote(f"{ANSWER}\n> #answer {typed}\n", []) == [f"#answer {typed}"]


def test_an_unknown_word_typed_in_the_latin_layout_is_named_whole_and_no_command_hinted() -> None:
    """«#cgfcb,j» (an answer's name «спасибо», its #answer left out) was told as
    "#cgfcb", with «может быть, #спам?»: «спасб» is near #спам, which blocks the sender."""
    [error] = parse_reply(f"#cgfcb,j\n{ANSWER}").errors
    assert error.startswith("Неизвестная команда: #cgfcb,j; список команд"), error
    [error] = parse_reply(f"#pfrhsn,\n{ANSWER}").errors  # a slip of #закрыть still is one
    assert "(может быть, #закрыть?)" in error


@pytest.mark.parametrize("typed", ["#,kfujlfh.", "#,kfujlfh", "#'nj", "#<KFUJLFH>"])
def test_a_word_typed_in_the_latin_layout_on_a_key_no_letter_stands_on_is_unknown(
    typed: str,
) -> None:
    """«#,kfujlfh.» («#благодарю», an answer's name, its #answer left out) starts with
    a key no Latin letter stands on: no command word was read, and the line went to
    the customer as the answer's first line. It is unknown, as «#cgfcb,j» is; a line
    of signs alone («#...», «#;)») stays text, and so do "#.NET", "#.bashrc", "#`code`"
    (the keys of «ю» and «ё» start few Russian words)."""
    reply = parse_reply(f"{typed}\n{ANSWER}")
    [error] = reply.errors
    assert error.startswith(f"Неизвестная команда: {typed};"), error
    assert "#спам?" not in error
    assert typed not in reply.body
    for text in (
        "#;)",
        "#...",
        "#!!!",
        "#,",
        "#1 заказ",
        "#.NET Framework 4.8",
        "#.bashrc",
        "#`code`",
    ):
        assert parse_reply(f"{text}\n{ANSWER}").errors == (), text
    [error] = parse_reply(f"#,kfujlfh{'.' * 100_000}\n{ANSWER}").errors
    assert error.startswith("Неизвестная команда: #,kfujlfh.;"), error[:80]


@pytest.mark.parametrize("typed", ["#gj'nfv", "#spammer", "#cgfvth", "#спамер"])
def test_a_loose_likeness_never_hints_the_command_that_blocks_the_sender(typed: str) -> None:
    """«#gj'nfv» («поэтам» typed with the Latin layout on) was told «может быть, #спам?»:
    a staff member who took the hint quarantined the ticket and blocked its customer."""
    [error] = parse_reply(f"{typed}\n{ANSWER}").errors
    assert error.startswith(f"Неизвестная команда: {typed}"), error
    assert "#spam?" not in error and "#спам?" not in error, error


def test_a_slip_of_spam_is_still_named_as_one() -> None:
    [error] = parse_reply(f"#sapm\n{ANSWER}").errors
    assert "(может быть, #spam?)" in error, error


@pytest.mark.parametrize(
    "word", ["спасибо", "благодарю", "объём", "подъезд", "всё", "эксперт", "хорошо", "платёж"]
)
def test_a_russian_word_typed_in_the_latin_layout_reads_as_one(word: str) -> None:
    typed = from_russian_layout(word)
    assert russian_typed(typed) and russian_typed(typed.upper()), typed
    assert russian_typed(from_russian_layout(word.capitalize())), typed


@pytest.mark.parametrize(
    "typed",
    ["'s", "[k]", "[k]ey", "...and", "thanks'", '"thanks"', "don't", "x<y", "a:b", "stop", "my"],
)
def test_english_punctuation_on_the_keys_of_russian_letters_is_no_russian_word(typed: str) -> None:
    assert not russian_typed(typed)


def test_the_heads_note_line_is_not_named_among_the_commands_that_did_not_run() -> None:
    """headmail.head_commands: the head's mail is a note anyway, so his «#note» did what
    it says; he is told only of the lines that did not run («#close»)."""
    from maild.domain.headmail import head_commands

    assert head_commands("Посмотрите срочно.\n#note\n#close\n") == ["#close"]
