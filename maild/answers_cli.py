"""`maild answers list`: the saved answers staff insert with `#answer NAME`."""

from __future__ import annotations

import argparse
from pathlib import Path

from maild.app import App
from maild.domain.sla import LEVELS
from maild.output import print_json

EX_OK = 0


# What a saved answer looks like in a ticket, for the preview line.
SAMPLE = {
    "tid": "1234-5678",
    "level_id": "standard",
    "level_name": LEVELS["standard"].name_ru,
    "reaction": LEVELS["standard"].reaction_ru(),
    "due": "",
    "due_short": "",
    "name": "",
    "requester": "client@example.com",
}


def _preview(app: App, name: str, path: Path) -> str:
    """The first line of the answer as a customer would read it (else as written)."""
    try:
        text = app.renderer.answer(name, SAMPLE)
    except Exception:  # a local answer may use what the sample lacks: show it as written
        text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def answers_list(app: App, args: argparse.Namespace) -> int:
    """Each answer's name, the directory it comes from and its first line."""
    rows = []
    for name in app.renderer.answer_names():
        path = next(
            d / "answers" / f"{name}.txt"
            for d in app.renderer.dirs
            if (d / "answers" / f"{name}.txt").exists()
        )
        rows.append({"name": name, "path": str(path), "first_line": _preview(app, name, path)})
    if args.json:
        print_json(rows)
    elif not rows:
        print("no saved answers")
    for r in [] if args.json else rows:
        print(f"{r['name']:<20} {r['first_line'][:70]}")
        print(f"{'':<20} {r['path']}")
    return EX_OK
