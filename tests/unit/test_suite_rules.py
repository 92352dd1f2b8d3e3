"""Rules the suite keeps for its own tests: what makes a failure say what went wrong."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def bare_waits(source: str) -> list[int]:
    """Lines of `wait_until(...)` used as a statement: its value (the condition, or
    false at the timeout) thrown away."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "wait_until"
    ]


def test_the_rule_finds_a_bare_wait_and_passes_an_asserted_one() -> None:
    source = "wait_until(lambda: x)\nassert wait_until(lambda: y)\nz = wait_until(f)\n"
    assert bare_waits(source) == [1]


def test_every_wait_for_a_condition_uses_what_it_waited_for() -> None:
    """A wait whose condition never came returns false after its timeout; a bare
    `wait_until(...)` then lets the test go on, and it fails later (or, worse, passes)
    with nothing saying that what it waited for never happened. Assert it, or keep the
    value and use it."""
    found = [
        f"{path.relative_to(TESTS.parent)}:{line}"
        for path in sorted(TESTS.rglob("*.py"))
        for line in bare_waits(path.read_text(encoding="utf-8"))
    ]
    assert found == [], found
