"""Unit tests for maild.domain.conflicts: commands of one reply that contradict «#close»."""

from __future__ import annotations

import pytest

from maild.domain.commands import Command
from maild.domain.conflicts import without_conflicts


@pytest.mark.parametrize("other", ["wait", "reopen", "development"])
def test_close_and_a_contradicting_command_run_neither_in_either_order(other) -> None:
    for order in ([Command("close"), Command(other)], [Command(other), Command("close")]):
        runs, [error] = without_conflicts([*order, Command("critical")])
        assert runs == (Command("critical"),)
        assert error.startswith(f"#close и #{other} противоречат друг другу")
        assert "Не выполнена ни одна из них." in error


def test_every_line_of_them_is_left_and_each_conflict_named() -> None:
    reply = [Command("close"), Command("wait"), Command("reopen"), Command("close")]
    runs, errors = without_conflicts([*reply, Command("level", "vip")])
    assert runs == (Command("level", "vip"),)
    assert [e.split(" противоречат")[0] for e in errors] == ["#close и #wait", "#close и #reopen"]


def test_commands_that_agree_all_run() -> None:
    for reply in (
        [Command("close"), Command("level", "vip"), Command("critical"), Command("note")],
        [Command("level", "vip"), Command("level", "vip")],  # the same level twice
        [Command("level", "consulting"), Command("consulting")],
        [Command("level", "standard"), Command("development")],  # owed, then passed on
        [Command("take"), Command("wait")],
        [Command("reopen"), Command("take"), Command("development")],
        [Command("close"), Command("close")],
    ):
        assert without_conflicts(reply) == (tuple(reply), [])


def test_wait_runs_after_take_and_reopen_whatever_the_order() -> None:
    reply = [Command("wait"), Command("reopen"), Command("take"), Command("wait")]
    runs, errors = without_conflicts(reply)
    assert runs == (Command("reopen"), Command("take"), Command("wait")) and errors == []


def test_take_and_close_agree_and_take_runs_first_whatever_the_order() -> None:
    for reply in ([Command("close"), Command("take")], [Command("take"), Command("close")]):
        runs, errors = without_conflicts([*reply, Command("critical")])
        assert runs == (Command("take"), Command("close"), Command("critical")) and not errors


@pytest.mark.parametrize(
    "levels",
    [
        [Command("level", "vip"), Command("level", "partner")],
        [Command("consulting"), Command("development")],
        [Command("consulting"), Command("level", "vip")],
    ],
)
def test_two_different_levels_run_neither_and_say_so(levels) -> None:
    """Two levels, two reaction times: the last line won without a word."""
    runs, [error] = without_conflicts([levels[0], Command("critical"), levels[1]])
    assert runs == (Command("critical"),)
    assert "противоречат друг другу: у обращения один уровень обслуживания" in error
    assert error.startswith("#") and "Не выполнена ни одна из них." in error


@pytest.mark.parametrize("transfer", [Command("development"), Command("level", "development")])
def test_a_level_runs_before_the_transfer_whatever_the_order(transfer) -> None:
    """«#development» above «#level vip» ended at vip, the transfer lost: the level owed
    runs first, the transfer after it, each other command where it stands."""
    level = Command("level", "vip")
    for reply in ([transfer, Command("critical"), level], [level, Command("critical"), transfer]):
        runs, errors = without_conflicts(reply)
        assert runs == (level, Command("critical"), transfer) and errors == []


@pytest.mark.parametrize("off_first", [True, False])
def test_critical_and_critical_off_run_neither_in_either_order(off_first) -> None:
    """«#critical» and «#critical нет» in one reply: the last line won without a word.
    Neither runs now, the reply's other commands do, and the staff member is told."""
    pair = [Command("critical", "нет"), Command("critical")]
    reply = [*(pair if off_first else pair[::-1]), Command("take"), Command("critical")]
    runs, [error] = without_conflicts(reply)
    assert runs == (Command("take"),)
    assert error.startswith("#critical и #critical нет противоречат друг другу")
    assert "Не выполнена ни одна из них." in error
    # the same mark twice agrees
    for same in ([Command("critical")] * 2, [Command("critical", "нет")] * 2):
        assert without_conflicts(same) == (tuple(same), [])


@pytest.mark.parametrize(
    ("one", "other", "named"),
    [
        (Command("merge", "1111-1111"), Command("merge", "2222-2222"), "#merge 1111-1111, #merge"),
        (Command("assign", "anna@s.ru"), Command("assign", "boris@s.ru"), "#assign anna@s.ru, #"),
        (Command("spam", "domain"), Command("spam"), "#spam домен, #spam"),
    ],
)
def test_two_different_lines_of_a_command_taken_once_run_neither(one, other, named) -> None:
    # two #merge merged into the last one, and the customer was told of it; two #assign
    # left the last; «#spam домен» with «#spam» blocked as the first said
    for order in ([one, other], [other, one]):
        runs, [error] = without_conflicts([*order, Command("note")])
        assert runs == (Command("note"),)
        assert "противоречат друг другу" in error and "Не выполнена ни одна из них." in error
    assert without_conflicts([one, other])[1][0].startswith(named)
    assert without_conflicts([one, one]) == ((one, one), [])  # the same line twice is one


def test_cc_and_uncc_of_one_address_run_neither_and_others_run() -> None:
    reply = [
        Command("cc", "buh@shop.ru"),
        Command("cc", "dir@shop.ru"),
        Command("uncc", "BUH@shop.ru"),
    ]
    runs, [error] = without_conflicts(reply)
    assert runs == (Command("cc", "dir@shop.ru"),)
    assert error.startswith("#cc buh@shop.ru и #uncc buh@shop.ru противоречат друг другу")


def test_cc_and_uncc_of_one_address_in_two_spellings_are_named_as_typed() -> None:
    # boss@окна.рф from an SMTPUTF8 client, boss@xn--80atjc.xn--p1ai copied from a header:
    # one mailbox; the error names it as the staff member typed it first
    reply = [Command("cc", "boss@окна.рф"), Command("uncc", "boss@xn--80atjc.xn--p1ai")]
    runs, [error] = without_conflicts(reply)
    assert runs == ()
    assert error.startswith("#cc boss@окна.рф и #uncc boss@окна.рф противоречат друг другу")
