"""`maild ingest`: one raw message, as an MTA's pipe transport gives it, through the
whole pipeline. Exit 0 once it is stored (its output, when stdout does not take it, is
said on stderr: a retry would only be a duplicate), 65 for an empty input or one over
the size the listener takes (the message's fault: the MTA returns it to its sender,
as after the listener's 552), 75 for every other failure (not the message's fault:
the MTA keeps it and retries)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
from typing import BinaryIO

from maild import ingestnote
from maild.app import App
from maild.configschema import SCHEMA
from maild.domain.decision import Decision
from maild.domain.logid import message_id_for_log
from maild.output import OutputUnwritable, print_json
from maild.privileges import describe, user_name
from maild.runner import ingest

EX_OK, EX_DATAERR, EX_TEMPFAIL = 0, 65, 75
HEAD_BYTES = 1 << 20  # where a message too big to take is looked into for its Message-ID
CHUNK = 1 << 20  # bytes read at a time


def cmd_ingest(app: App, args: argparse.Namespace) -> int:
    where = "the message (stdin)" if args.file == "-" else args.file
    limit = _limit(app)
    try:
        if args.file == "-":
            if sys.stdin is None:  # `<&-`
                raise OSError(errno.EBADF, "it is closed")
            raw = _read(sys.stdin.buffer, limit + 1)
        else:
            with open(args.file, "rb") as f:
                raw = _read(f, limit + 1)
    except OSError as e:  # not the message's fault: 75, as for everything else
        why = e.strerror or str(e)
        if e.errno in (errno.EACCES, errno.EPERM):  # (root's maild reads as the owner)
            why += (f" (maild reads it as {user_name(os.geteuid())}, the storage's owner: "
                    f"pipe it in instead: maild ingest - < {args.file})")  # fmt: skip
        print(f"maild: cannot read {where}, nothing spooled: {why}", file=sys.stderr)
        return EX_TEMPFAIL
    if not raw.strip():  # an MTA never pipes one: a shell's redirect went wrong
        where = "standard input" if args.file == "-" else args.file
        print(f"maild: {where} holds no message (empty), nothing spooled", file=sys.stderr)
        return EX_DATAERR
    if len(raw) > limit:  # read no further: memory stays bounded whatever comes
        msgid = message_id_for_log(raw[:HEAD_BYTES])  # (of the whole, 350 MB of memory)
        print(f"maild: {msgid} message too large to accept: over {limit} "
              "bytes (smtp.max_message_size), nothing spooled", file=sys.stderr)  # fmt: skip
        return EX_DATAERR
    try:
        key, decision = ingest(app, raw)
    except OSError as e:  # permanent or not, 75: the MTA keeps the mail
        why = describe(e, app.config.storage_path)  # a folder of it left root's: the chown
        print(f"maild: {message_id_for_log(raw)} cannot spool the message: {why}", file=sys.stderr)
        ingestnote.cannot_spool(app.config.storage_path, why)  # for `maild status`
        return EX_TEMPFAIL
    ingestnote.spooled(app.config.storage_path)
    try:
        _say_ingested(args, key, decision)
        sys.stdout.flush()
    except OutputUnwritable as e:  # stored: the MTA must not retry (nor bounce) it
        with contextlib.suppress(OSError):  # (nor when stderr cannot take it either)
            print(f"maild: ingest: the mail is stored ({_outcome(key, decision)}), but "
                  f"cannot write the output (stdout): {e}", file=sys.stderr)  # fmt: skip
    return EX_OK


def _read(f: BinaryIO, most: int) -> bytes:
    """Up to ``most`` bytes of ``f``, a megabyte at a time: read(most) at once sets
    ``most`` bytes aside before it reads one (a 1 GiB smtp.max_message_size, for each
    mail of a few kilobytes)."""
    chunks, size = [], 0
    while size < most and (chunk := f.read(min(CHUNK, most - size))):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _limit(app: App) -> int:
    """The most bytes a message may have: what the listener takes (smtp.max_message_size,
    its default without [smtp]), so a pipe takes what LMTP would."""
    smtp = app.config.smtp
    return smtp.max_message_size if smtp else SCHEMA["smtp"]["max_message_size"][2]


def _outcome(key: str, decision: Decision | None) -> str:
    if decision is None:
        return f"spooled {key}, processing deferred"
    if decision.outcome == "quarantined":
        return f"quarantined {decision.tid}"
    return f"{decision.outcome} [TID#{decision.tid}]"


def _say_ingested(args: argparse.Namespace, key: str, decision: Decision | None) -> None:
    if args.json:
        held = decision is not None and decision.outcome == "quarantined"
        print_json(
            {
                "spool_key": key,
                "tid": decision.tid if decision and not held else None,
                "outcome": decision.outcome if decision else "pending",
                **({"quarantine_id": decision.tid} if decision and held else {}),
            }
        )
    elif decision is not None and decision.outcome == "quarantined":
        print(f"quarantined {decision.tid}")  # the id for `maild spam show`
    elif decision is not None:
        print(f"{decision.outcome} [TID#{decision.tid}]")
    else:
        print(f"spooled {key}, processing deferred")
