"""`maild status`'s text: the figures status.collect gathers, a line each, and the
reasons status.assess gives, each after "! ". Every time in it is in one zone, the
desk's (support.timezone): the notes in run/ are UTC, the fault's time the desk's,
and one output mixed the two ("fault since ...+03:00" beside "(since ...+00:00)").
`--json` gives the times as recorded."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any

from maild import imapnotes, servecheck
from maild.unreadables import tickets_line


def _ago(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.0f} s ago"


# a time with its UTC offset, as maild writes one (isoformat)
_TIME = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)")


def in_zone(text: str, tz: tzinfo) -> str:
    """`text` with every time that has its offset given in `tz`, to the second; one
    no zone can hold (year 1 or 9999, a note edited by hand: OverflowError) as it is."""

    def one(m: re.Match[str]) -> str:
        try:
            return datetime.fromisoformat(m.group()).astimezone(tz).isoformat("T", "seconds")
        except (ValueError, OverflowError):
            return m.group()

    return _TIME.sub(one, text)


def format_text(f: dict[str, Any]) -> str:
    s, o, t = f["spool"], f["outbox"], f["tickets"]
    oldest = "" if s["oldest_age"] is None else f", oldest {s['oldest_age']:.0f} s"
    lines = [
        f"maild: {f['state']}",
        f"spool: {s['pending']} pending{oldest}, {s['shunted']} shunted",
        f"outbox: {o['queued']} queued, {o['failing']} failing, {o['refused']} refused"
        + (f", {o['held']} held" if o.get("held") else "")
        + (f" (last {o['last_refused']})" if o.get("last_refused") else ""),
    ]
    if o["oldest_error"]:
        e = o["oldest_error"]
        lines.append(f"  oldest error: to {', '.join(e['to'])}: {e['error']}")
    if f["imap"] is not None:
        refused = ", login refused" if f["imap"].get("login_refused") else ""
        refused += ", mail cannot be spooled" if f["imap"].get("spool_failing") else ""
        refused += imapnotes.summary(f["imap"])
        refused += imapnotes.last_failure(f["imap"])
        lines.append(f"imap: last contact {_ago(f['imap']['age'])}{refused}")
        if f["imap"].get("backlog"):
            b = f["imap"]["backlog"]
            lines.append(
                f"  taking a backlog: {b.get('left')} of {b.get('total')} message(s) left "
                f"(the round began {b.get('since')})"
            )
    lines += [x for x in [servecheck.line(f.get("serve"))] if x]
    lines.append(f"scheduler: last run {_ago(f['scheduler']['age'])}")
    free = (f.get("storage") or {}).get("free_bytes")
    if free is not None:
        lines.append(f"storage: {free / (1 << 20):.0f} MB free")
    lines.append(tickets_line(t))
    if f["fault"]:
        lines.append(f"fault since {f['fault'].get('since')}: {f['fault'].get('error')}")
    if f.get("stale_fault"):
        stale = f["stale_fault"]
        lines.append(
            f"stale fault of a stopped process (pid {stale.get('pid')}), since "
            f"{stale.get('since')}: {stale.get('error')}"
        )
    lines += [f"! {r}" for r in f["reasons"]]
    return "\n".join(lines)
