"""`maild fsck`: its lines (or --json) and its exit code, from the checks of
maild/fsck.py."""

from __future__ import annotations

import argparse

from maild.app import App
from maild.fsck import Fsck
from maild.output import print_json

EX_OK, EX_FAIL = 0, 1


def cmd_fsck(app: App, args: argparse.Namespace) -> int:
    """Print one line per problem (and what was fixed); exit 0 clean, 1 not."""
    check = Fsck(app, repair=args.repair, quick=args.quick).run()
    unfixed = len(check.problems) - len(check.fixed)
    left = check.held - sum(check.working.values())  # of a process that died
    if args.json:
        pending = check.pending + check.held
        out = {"problems": check.problems, "fixed": check.fixed, "pending": pending}
        print_json({**out, "stray": check.stray})
    else:
        for line in check.problems:
            print(line)
        for line in check.fixed:
            print(f"fixed: {line}")
        print(
            f"{len(check.tickets)} ticket(s), {len(check.problems)} problem(s)"
            + (f", {len(check.fixed)} fixed" if args.repair else "")
            + (f"; {check.pending} message(s) waiting in spool/new" if check.pending else "")
            + "".join(
                f"; {n} in spool/claimed/ being processed by a running maild (pid {pid})"
                for pid, n in check.working.items()
            )
            + (f"; {left} in spool/claimed/ (serve takes them back)" if left else "")
        )
        if check.lock_broken and check.repairable:  # (its line above says what to do)
            print("`maild fsck --repair` repairs nothing until the store lock is mended")
        elif check.repairable and not args.repair:
            print(_repair_hint(check.repairable, len(check.problems)))
    return EX_OK if (unfixed == 0 if args.repair else not check.problems) else EX_FAIL


def _repair_hint(repairable: int, problems: int) -> str:
    """A plain fsck's last line: the lines of problems --repair fixes say nothing of
    it (only those it cannot fix say what to do)."""
    which = "it" if problems == 1 else "all of them" if repairable == problems else None
    if which is None:
        return (
            f"`maild fsck --repair` fixes {repairable} of these {problems} problems; "
            "the others say what to do"
        )
    return f"`maild fsck --repair` fixes {which}"
