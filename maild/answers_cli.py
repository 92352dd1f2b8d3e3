"""`maild answers list`: the saved answers staff insert with `#answer NAME`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TypedDict

from maild.app import App
from maild.domain.answers import SAMPLE
from maild.output import print_json
from maild.overrides import answer_path, answer_problem

EX_OK, EX_FAIL = 0, 1


def _preview(app: App, name: str, path: Path, problem: str | None) -> str:
    """The first line of the answer as a customer would read it (else as written)."""
    if problem:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:  # a dangling link, a directory: its problem says so
            return ""
    else:
        text = app.renderer.answer(name, SAMPLE)
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


class _Row(TypedDict):
    """An answer's line of `answers list` (`--json`: these keys)."""

    name: str
    path: str
    first_line: str
    problem: str | None


def _meanwhile(app: App, row: _Row) -> str:
    """What a reply with `#answer NAME` does while the answer cannot be made."""
    shipped = app.renderer.dirs[-1] / "answers" / f"{row['name']}.txt"
    if shipped.exists() and str(shipped) != row["path"]:
        return f"#answer {row['name']} inserts the shipped answer ({shipped})"
    return f"a staff reply with #answer {row['name']} is held back, its writer told why"


def answers_list(app: App, args: argparse.Namespace) -> int:
    """Each answer's name, the directory it comes from and its first line; one that
    cannot be made (a broken {% %}, a filter or a name maild does not have, a file
    that cannot be read, a text that comes out empty) is named with its line and
    error, and the exit is 1."""
    rows: list[_Row] = []
    r = app.renderer
    ctx = {**SAMPLE, **r.desk_context(answer=True)}
    for name in r.answer_names:
        path = answer_path(r.dirs, f"answers/{name}.txt")
        problem = answer_problem(r.env, r.dirs, name, ctx)
        first = _preview(app, name, path, problem)
        rows.append({"name": name, "path": str(path), "first_line": first, "problem": problem})
    if args.json:
        print_json(rows)
    elif not rows:
        print("no saved answers")
    shut = _unlisted(r.dirs)
    for folder in shut:
        print(f"maild: cannot list {folder}: the saved answers there are left out", file=sys.stderr)
    for row in [] if args.json else rows:
        print(f"{row['name']:<20} {row['first_line'][:70]}")
        print(f"{'':<20} {row['path']}")
        if row["problem"]:
            print(f"{'':<20} ! cannot be made: {row['problem']}; {_meanwhile(app, row)}")
    return EX_FAIL if shut or any(row["problem"] for row in rows) else EX_OK


def _unlisted(dirs: list[Path]) -> list[Path]:
    """The answers/ folders that are there but this user may not list: `#answer` finds
    none of theirs (a glob of them comes back empty, without a word)."""
    folders = [d / "answers" for d in dirs]
    return [f for f in folders if f.is_dir() and not os.access(f, os.R_OK | os.X_OK)]
