"""A command's other names (ALIASES): each names a real command, is read in every form
a command's name is (as written, typed with the Russian layout left on, after "№" or
the "?" a KOI8-R client sends for it), and staff are shown it."""

from __future__ import annotations

import pytest

from maild.domain import commands
from maild.domain.commands import Command, holds_notice, parse_reply

# the keyboard's keys, Latin and what the Russian layout types on each (layout.py
# reads the second as the first; a test of its own, not that table)
LATIN = "`qwertyuiop[]asdfghjkl;'zxcvbnm,."
RUSSIAN = "ёйцукенгшщзхъфывапролджэячсмитьбю"


def in_russian_layout(word: str) -> str:
    """What the Russian layout types for ``word``'s keys ("close": "сдщыу")."""
    return word.translate(str.maketrans(LATIN, RUSSIAN))


def names() -> dict[str, str]:
    """Every word staff may type for a command, as written: command -> itself, alias ->
    its command."""
    return {**{c: c for c in commands.REGISTRY}, **commands.ALIASES}


def forms(word: str) -> set[str]:
    """``word`` as written, capitalised, and typed with the Russian layout left on."""
    return {word, word.capitalize(), in_russian_layout(word)}


def ran(line: str) -> tuple[Command, ...]:
    parsed = parse_reply(f"{line}\nСпасибо, смотрим.\n")
    assert not parsed.errors, (line, parsed.errors)
    assert parsed.body == "Спасибо, смотрим.\n", line  # the line never reaches the customer
    return parsed.commands


@pytest.fixture
def latin_alias(monkeypatch):
    """A Latin alias, as a newcomer would add one ("priority": #critical): none is
    shipped, and the rules must hold for one as for the Russian words."""
    monkeypatch.setitem(commands.ALIASES, "priority", "critical")


def test_every_alias_names_a_command_and_no_typed_form_names_two() -> None:
    """An alias of a misspelt command ("critcal") was never noticed; nor would be an
    alias whose Russian-layout form is another command's."""
    assert {t for t in commands.ALIASES.values() if t not in commands.REGISTRY} == set()
    assert not set(commands.ALIASES) & set(commands.REGISTRY)
    meant: dict[str, str] = {}
    for word, target in names().items():
        assert word == word.lower(), word
        for form in {word, in_russian_layout(word)}:
            assert meant.setdefault(form, target) == target, (form, meant[form], target)


# an argument for each command that must have one
ARGS = {
    "level": "vip",
    "assign": "boris@example.com",
    "answer": "request_info",
    "merge": "1234-5678",
    "charset": "koi8-r",
    "cc": "olga@shop-example.ru",
    "uncc": "olga@shop-example.ru",
}


@pytest.mark.parametrize("sign", ["#", "№"])
def test_every_command_and_alias_runs_in_every_form(sign: str) -> None:
    for word, target in names().items():
        arg = f" {ARGS[target]}" if target in ARGS else ""
        for form in forms(word):
            assert [c.name for c in ran(f"{sign}{form}{arg}")] == [target], form


def test_a_latin_alias_runs_typed_in_the_russian_layout_too(latin_alias) -> None:
    """«#зкшщкшен» (priority, the layout left on) was «Неизвестная команда», and
    «№зкшщкшен» went to the customer as text: only a name was looked up in the layout."""
    for line in ("#priority", "#Priority.", "№priority", "#зкшщкшен", "№зкшщкшен", "?зкшщкшен"):
        assert ran(line) == (Command("critical"),), line


def test_a_question_mark_before_latin_is_text_for_an_alias_as_for_a_name(latin_alias) -> None:
    """ "?" is what a KOI8-R client sends for «№», which only the Russian layout types:
    «?priority» ran while «?critical» stayed text (being an alias was taken for being
    typed in Russian)."""
    for line in ("?priority", "?critical"):
        parsed = parse_reply(f"{line}\n")
        assert (parsed.commands, parsed.errors, parsed.body) == ((), (), f"{line}\n"), line
    for line in ("?закрыть", "?сдщыу"):
        assert ran(line) == (Command("close"),), line


def test_the_argument_after_a_russian_word_is_read_in_the_layout_too() -> None:
    """«#уровень мшз»: the layout still Russian after the word, as after «#думуд»."""
    assert ran("#уровень мшз") == ran("#думуд мшз") == (Command("level", "vip"),)
    assert ran("#ответ привет") == (Command("answer", "привет"),)  # a Russian name stays


def test_the_cheat_sheet_shows_each_command_with_its_aliases(latin_alias) -> None:
    sheet = [usage for usage, _ in commands.cheat_sheet()]
    assert "#close (#закрыть)" in sheet and "#level (#уровень) <уровень>" in sheet
    assert "#critical (#критично, #priority)" in sheet and "#cc <адрес>" in sheet
    for word, target in commands.ALIASES.items():
        # a command's own line (MORE_LINES under it show a word it takes: «#spam домен»)
        [usage] = [u for u in sheet if u.startswith(f"#{target} (")]
        assert f"#{word}" in usage, (word, usage)


def test_the_unknown_command_error_sends_to_the_list_with_the_aliases(latin_alias) -> None:
    """The commands, their aliases too, are listed once at the foot of the mail that
    names the error (the cheat sheet above); each error listing them all made a reply
    of 200,000 unknown lines a 100 MB mail."""
    [error] = parse_reply("#clsoe\n").errors
    assert error == (
        "Неизвестная команда: #clsoe (может быть, #close?); список команд — в конце письма"
    )


def test_a_notice_from_before_the_aliases_were_shown_is_still_known() -> None:
    """holds_notice knows the cheat sheet's lines; a notice sent before an upgrade
    has them without the aliases."""
    for usage, help in [("#close", "закрыть (клиенту уйдёт просьба оценить работу)")]:
        assert holds_notice(f"Проверьте.\n\n  {usage:<22} {help}\n")
    for usage, help in commands.cheat_sheet():
        assert holds_notice(f"Проверьте.\n\n  {usage} {help}\n")
