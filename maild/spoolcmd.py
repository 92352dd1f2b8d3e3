"""`maild spool list [--json]` and `maild spool retry KEY|--all`: the mail shunted
to spool/bad/ after storage.max_attempts failed processings, and putting it back.
A message put back is processed by the running daemon within its rescan interval
(or at once by `maild serve`'s start)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from maild.app import App
from maild.faults import describe_mail
from maild.output import print_json, report
from maild.runner import received_at_of

EX_OK, EX_FAIL = 0, 1


def shunted_rows(app: App) -> list[dict[str, Any]]:
    """One row per shunted message: key, received_at, attempts, message_id, from, subject."""
    rows = []
    for key in app.spool.shunted():
        mail = describe_mail(app, key)
        rows.append(
            {
                "id": key,
                "received_at": received_at_of(key, app).isoformat(),
                "attempts": app.spool.attempts(key),
                "message_id": mail["message_id"],
                "from": mail["sender"],
                "subject": mail["subject"],
            }
        )
    return rows


def cmd_spool(app: App, args: argparse.Namespace) -> int:
    if args.action == "list":
        rows = shunted_rows(app)
        if args.json:
            print_json(rows)
        elif not rows:
            print("no shunted mail")
        for r in rows if not args.json else []:
            print(f"{r['id']}  {r['received_at']}  {r['from'] or '-'}  {r['subject']}")
        return EX_OK
    keys = app.spool.shunted() if args.all else [args.id]
    if not args.all and args.id is None:
        print("maild: give a spool id or --all", file=sys.stderr)
        return 64
    missing = [k for k in keys if not app.spool.retry(k)]
    retried = [k for k in keys if k not in missing]
    report(args.json, {"retried": retried}, *(f"{key}: back in the queue" for key in retried))
    for key in missing:
        print(f"maild: no shunted message {key}", file=sys.stderr)
    return EX_FAIL if missing else EX_OK
