"""Unit tests for maild.domain.mergecmd: the ticket #merge names, and what may stand
beside it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from maild.domain.commands import Command
from maild.domain.conflicts import without_conflicts
from maild.domain.forget import PLACEHOLDER
from maild.domain.mergecmd import _told, beside_errors, target_error
from tests.unit.test_decide import POLICY

HERE = {"tid": "3333-3333"}


def loaded(tid: str) -> tuple[dict, list]:
    return {"tid": tid}, []


def test_a_target_merged_elsewhere_is_refused_naming_where_it_went() -> None:
    # 2222-2222 was merged into 1111-1111: the merge went there without a word
    error = target_error(loaded("1111-1111"), HERE, "2222-2222", None)
    assert error is not None
    assert error.startswith("#merge: обращение 2222-2222 уже объединено с обращением 1111-1111")
    assert "напишите #merge 1111-1111" in error
    assert target_error(loaded("1111-1111"), HERE, "1111-1111", None) is None


def test_a_reply_to_a_ticket_merged_away_naming_where_it_went_says_so() -> None:
    # written to 2222-2222, merged into 1111-1111: the reply came to 1111-1111
    here = {"tid": "1111-1111"}
    error = target_error(loaded("1111-1111"), here, "1111-1111", "2222-2222")
    assert error is not None and "сам" not in error
    assert error.startswith("#merge: обращение 2222-2222 уже объединено с обращением 1111-1111")
    itself = target_error(loaded("1111-1111"), here, "1111-1111", None)
    assert itself == "#merge: нельзя объединить обращение с самим собой"
    assert target_error(None, here, "9999-9999", None) == "#merge: обращения 9999-9999 нет"


def test_a_merge_answered_on_a_ticket_merged_away_moves_nothing() -> None:
    # written to 2222-2222, merged into 1111-1111: «#merge 3333-3333» moved all of
    # 1111-1111, which the staff member never named
    here = {"tid": "1111-1111"}
    error = target_error(loaded("3333-3333"), here, "3333-3333", "2222-2222")
    assert error is not None
    assert error.startswith("#merge 3333-3333 не выполнена: обращение 2222-2222")
    assert "уже объединено с обращением 1111-1111" in error
    assert "ответьте на письмо по обращению 1111-1111" in error
    assert error.endswith("строкой #merge 3333-3333.")
    # the target merged on since: the hint names where it went
    onward = target_error(loaded("4444-4444"), here, "3333-3333", "2222-2222")
    assert onward is not None and onward.endswith("строкой #merge 4444-4444.")
    assert target_error(loaded("3333-3333"), here, "3333-3333", None) is None


def test_commands_that_change_a_ticket_beside_merge_are_refused() -> None:
    merge = Command("merge", "1111-1111")
    [one] = beside_errors([merge, Command("close")])
    assert one.startswith("#close не выполнена: в письме с #merge 1111-1111")
    assert "[TID#1111-1111]" in one
    [both] = beside_errors([Command("level", "vip"), merge, Command("critical")])
    assert both.startswith("#level vip, #critical не выполнены")


def test_what_goes_with_the_merge_stands_beside_it() -> None:
    merge = Command("merge", "1111-1111")
    beside = [Command("cc", "buh@s.ru"), Command("note"), Command("answer", "x"), Command("human")]
    assert beside_errors([merge, *beside, merge]) == []
    assert beside_errors([Command("close")]) == []  # no #merge
    # two targets: neither merge runs (conflicts), so #close runs on this ticket
    two = [merge, Command("merge", "2222-2222"), Command("close")]
    assert beside_errors(without_conflicts(two)[0]) == []


def test_no_warning_of_different_customers_when_either_ticket_has_none() -> None:
    """A ticket whose customer was erased (forget.PLACEHOLDER) has no one whose mail
    the merge mixes with another's: the staff member is told nothing."""
    ctx: Any = SimpleNamespace(policy=POLICY)
    gone = {"tid": "1111-1111", "requester": PLACEHOLDER}
    ivan = {"tid": "2222-2222", "requester": "ivan@shop.example"}
    assert _told(ctx, ivan, [], gone) == []
    assert _told(ctx, gone, [], ivan) == []
    assert _told(ctx, gone, ["ivan@shop.example"], gone) == []


def test_no_warning_when_the_same_customer_is_spelled_otherwise_on_each_ticket() -> None:
    """Ivan wrote from Ivan@Shop.example once and from ivan@shop.example again, or
    from boss@окна.рф and boss@xn--80atjc.xn--p1ai: the same people (comparable_address),
    so «объединены обращения разных клиентов» would tell the staff member a falsehood."""
    ctx: Any = SimpleNamespace(policy=POLICY)
    for here, there in (
        ("Ivan@Shop.example", "ivan@shop.example"),
        ("boss@окна.рф", "boss@xn--80atjc.xn--p1ai"),
    ):
        target = {"tid": "1111-1111", "requester": there}
        assert _told(ctx, {"tid": "2222-2222", "requester": here}, [here], target) == [], here


def test_a_command_written_twice_beside_merge_is_named_once() -> None:
    """«#close» on two lines beside #merge is one command refused: «#close не
    выполнена ... эту команду», not «#close, #close не выполнены ... эти команды»."""
    merge = Command("merge", "1111-1111")
    assert beside_errors([Command("close"), merge, Command("close")]) == beside_errors(
        [merge, Command("close")]
    )
