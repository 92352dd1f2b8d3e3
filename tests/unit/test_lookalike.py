"""A command word with a letter of another alphabet that looks like the Latin one
(«#nоte» with a Russian «о»), and a Russian alias with a Latin one («#спaм»): the
command it looks like, or an error naming the letter; never text for the customer
(domain/lookalike.py). And the arguments typed by hand: a TID as the subject matcher
reads it (tid.parse_tid), several addresses on one line (commandspec._address)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.commands import Command, parse_reply
from maild.domain.commandspec import ALIASES, COMMANDS
from maild.domain.lookalike import TO_LATIN, TO_RUSSIAN, told, unconfused
from maild.domain.tid import parse_tid

ANSWER = "Иван, проверьте модуль оплаты.\n"
SIGNED = "\nАнна\n"
# Latin letter -> its lookalikes in other alphabets, and the other way round
LATIN_LOOKALIKES = {
    latin: [chr(c) for c, lat in TO_LATIN.items() if lat == latin]
    for latin in set(TO_LATIN.values())
}
RUSSIAN_LOOKALIKES = {chr(c): [lat] for c, lat in TO_RUSSIAN.items()}


def below(line: str):
    """The reply: an answer, ``line`` under it, a signature."""
    return parse_reply(f"{ANSWER}{line}\n{SIGNED}")


def one_lookalike(word: str, data: st.DataObject) -> str | None:
    """``word`` with one of its letters replaced by a lookalike of another alphabet,
    or None when none of its letters has one."""
    table = LATIN_LOOKALIKES if word.isascii() else RUSSIAN_LOOKALIKES
    places = [i for i, c in enumerate(word) if c in table]
    if not places:
        return None
    i = data.draw(st.sampled_from(places))
    return word[:i] + data.draw(st.sampled_from(table[word[i]])) + word[i + 1 :]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([*COMMANDS, *ALIASES]), st.data(), st.booleans(), st.booleans())
def test_a_command_with_one_lookalike_letter_is_never_text(word, data, top, upper) -> None:
    """Under the answer «#nоte», «#tаke», «#wаit», «#spаm» were text: the customer got
    the line, and a note's internal text with it."""
    typed = one_lookalike(word, data)
    if typed is None:
        return
    typed = typed.upper() if upper else typed
    reply = parse_reply(f"#{typed}\n{ANSWER}") if top else below(f"#{typed}")
    assert f"#{typed}" not in reply.body
    assert reply.errors or [c.name for c in reply.commands] == [ALIASES.get(word, word)]


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("#n\u043ete", Command("note")),
        ("#t\u0430ke", Command("take")),
        ("#w\u0430it", Command("wait")),
        ("#sp\u0430m", Command("spam")),
        ("#clos\u0435", Command("close")),
        ("#m\u0435rge 1234-5678", Command("merge", "1234-5678")),
        ("#level v\u0456p", Command("level", "vip")),  # a Ukrainian «і»
        ("#level \u0440artner", Command("level", "partner")),
        ("#l\u0435v\u0435l v\u0456\u0440", Command("level", "vip")),
        ("#critical \u043eff", Command("critical", "нет")),
        ("#\u0441п\u0430м", Command("spam")),  # all Russian: as ever
        ("#сп\u0061м", Command("spam")),  # a Latin "a" in a Russian alias
        ("#charset wind\u043ews-1251", Command("charset", "cp1251")),
        ("#merge [\u0422ID#1234-5678]", Command("merge", "1234-5678")),
        ("#\u041dUMAN", Command("human")),  # typed in capitals: a Russian «Н»
        ("#charset WIND\u041eWS-1251", Command("charset", "cp1251")),  # and «О»
    ],
)
def test_a_lookalike_letter_under_the_answer_is_the_command(line, command) -> None:
    reply = below(line)
    assert reply.commands == (command,) and reply.errors == ()
    assert reply.body == ANSWER + SIGNED


@pytest.mark.parametrize(
    "line",
    [
        "#таке",  # Ukrainian "such", all Cyrillic: no #take
        "#n\u043etes про настройку",  # as "#notes про настройку"
        "#SEOоптимизация",  # a hashtag of two words run together
        "#notes",
    ],
)
def test_a_word_of_one_alphabet_or_a_hashtag_stays_text(line) -> None:
    reply = below(line)
    assert reply.commands == () and reply.errors == () and line in reply.body


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("#level v\u0456pp", "в слове «v\u0456pp» буква «\u0456» — украинская, а не латинская"),
        ("#cl\u043es\u0435e", "в слове «cl\u043es\u0435e» буквы «\u043e», «\u0435» — русские"),
        ("#cc buh@sh\u043ep.ru", "в слове «sh\u043ep» буква «\u043e» — русская, а не латинская"),
        ("#спaмм", "в слове «спaмм» буква «a» — латинская, а не русская"),
        # a Russian «д» in a Latin word: that letter is named, not the Latin ones
        ("#level v\u0434p", "в слове «v\u0434p» буква «\u0434» — русская, а не латинская"),
    ],
)
def test_an_error_names_the_letters_of_another_alphabet(line, said) -> None:
    """«неизвестный уровень «vіp»» looked as what staff typed: which letter?"""
    [error] = below(line).errors
    assert said in error, error


def test_an_address_mixing_alphabets_is_no_address() -> None:
    """«buh@shоp.ru» with a Russian «о» would mail another domain, or none."""
    [error] = below("#cc buh@sh\u043ep.ru").errors
    assert error.startswith("#cc: в адресе «buh@sh\u043ep.ru» латинские буквы смешаны с русскими")


@pytest.mark.parametrize("address", ["info@компания.com", "иван.ivanov@shop.ru"])
def test_an_address_is_judged_a_name_at_a_time(address) -> None:
    """A Cyrillic domain under a Latin zone («компания.com»), a local part of two
    names: each name between «@» and «.» is of one alphabet, no lookalike of
    another's, and the address is the customer's to add."""
    reply = below(f"#cc {address}")
    assert not reply.errors and [c.arg for c in reply.commands] == [address]


@pytest.mark.parametrize("address", ["müller@firma.de", "jörg@firma.de", "info@müller-bau.de"])
def test_an_address_with_letters_of_latin_words_is_an_address(address) -> None:
    """«ü», «ö» are letters of German words, no lookalikes of another alphabet."""
    reply = below(f"#cc {address}")
    assert not reply.errors and [c.arg for c in reply.commands] == [address]


def test_an_error_explains_three_words_of_three_letters_at_most() -> None:
    """A hostile line of many mixed words, each of many odd letters: the error names
    TOLD words and TOLD letters of each (lookalike.TOLD), not a screenful."""
    line = " ".join(f"w{c}xyz\u043e\u0435\u0430\u0441\u0440" for c in "abcde")
    said = told(line)
    assert said.count("в слове") == 3 and "wdxyz" not in said
    assert (
        said.count("буквы «\u043e», «\u0435», «\u0430» — русские") == 3 and "«\u0441»" not in said
    )


def test_told_and_unconfused() -> None:
    assert unconfused("v\u0456\u0440") == "vip"
    assert unconfused("таке") == "таке" and told("таке") == ""
    assert told("#CL\u041eSE") == "в слове «CL\u041eSE» буква «\u041e» — русская, а не латинская"
    assert told("x" * 10_000 + "\u043e").count("…") == 1  # a long word is cut


@pytest.mark.parametrize(
    "arg",
    [
        "[TID4821-7730]",
        "TID4821-7730",
        "№4821-7730",
        "#4821-7730",
        "[4821-7730]",
        "«4821-7730»",
        '"4821-7730"',
        "(48217730)",
        "[TID:4821-7730]",
    ],
)
def test_a_tid_argument_as_typed_by_hand(arg) -> None:
    assert parse_tid(arg) == "4821-7730"
    assert below(f"#merge {arg}").commands == (Command("merge", "4821-7730"),)


@pytest.mark.parametrize("sep", [", ", " ", "; ", ",", ";"])
def test_several_addresses_on_a_line_are_told_one_per_line(sep) -> None:
    [error] = below(f"#cc buh@shop.ru{sep}dir@shop.ru").errors
    assert error == (
        "#cc: в строке несколько адресов; по одному адресу в строке:"
        " «#cc buh@shop.ru», «#cc dir@shop.ru»"
    )
    [error] = below(f"#assign anna@example.com{sep}boris@example.com").errors
    assert "назначить можно одного сотрудника" in error
