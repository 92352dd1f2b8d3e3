"""README says what the code does where a table of the code is copied into it: the
staff commands and their aliases, the service levels. A command or level added or
removed on one side only fails here."""

from __future__ import annotations

import re
from pathlib import Path

from maild.domain.commandspec import ALIASES, REGISTRY
from maild.domain.sender import ENTITLED_LEVELS
from maild.domain.sla import LEVELS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
WORD = r"[^\W\d_][\w-]*"


def section(title: str) -> str:
    """README's text under the heading ``## title``, up to the next one of that level."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def command_rows() -> list[set[str]]:
    """The commands each row of the staff commands' table names in its first column
    ("| `#consulting` / `#development` (`#консультация` / `#разработка`) | ...")."""
    rows = [s for s in section("Email commands for staff").splitlines() if s.startswith("| `#")]
    return [set(re.findall(rf"`#({WORD})", row.split("|")[1])) for row in rows]


def test_the_staff_commands_table_names_every_command_and_alias_and_no_other() -> None:
    named = set().union(*command_rows())
    assert set(REGISTRY) - named == set(), "commands README's table does not name"
    assert set(ALIASES) - named == set(), "aliases README's table does not name"
    assert named - set(REGISTRY) - set(ALIASES) == set(), "README names what is none"


def test_each_alias_stands_in_the_row_of_its_command() -> None:
    for alias, target in ALIASES.items():
        [row] = [r for r in command_rows() if alias in r]
        assert target in row, (alias, target, row)


def test_the_levels_line_names_every_level() -> None:
    """ "Levels: `partner`, ..." lists those a license, a group or free mail gives; the
    same paragraph names those staff move a ticket to."""
    [start] = [m.start() for m in re.finditer(r"^Levels: ", README, re.MULTILINE)]
    line = README[start : README.index("\n", start)]
    paragraph = README[start : README.index("\n\n", start)]
    assert re.findall(r"`(\w+)`", line) == list(ENTITLED_LEVELS)
    assert set(LEVELS) - set(re.findall(r"`(\w+)`", paragraph)) == set()
