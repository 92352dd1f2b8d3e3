"""`maild answers list`: the saved answers staff insert with `#answer NAME`."""

from __future__ import annotations

import argparse
import json
import sys

from maild.app import App

EX_OK = 0


def answers_list(app: App, args: argparse.Namespace) -> int:
    """Each answer's name, the directory it comes from and its first line."""
    rows = []
    for name in app.renderer.answer_names():
        path = next(
            d / "answers" / f"{name}.txt"
            for d in app.renderer.dirs
            if (d / "answers" / f"{name}.txt").exists()
        )
        lines = path.read_text(encoding="utf-8").strip().splitlines()
        rows.append({"name": name, "path": str(path), "first_line": lines[0] if lines else ""})
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    elif not rows:
        print("no saved answers")
    for r in [] if args.json else rows:
        print(f"{r['name']:<20} {r['first_line'][:70]}")
        print(f"{'':<20} {r['path']}")
    return EX_OK
