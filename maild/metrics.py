"""`[metrics] listen`: the daemon's counters and `maild status`'s figures, served
in the Prometheus text format (version 0.0.4) at /metrics inside `maild serve`.

Mail is processed and sent in forked child processes (maild.server), so the
counters live in one shared-memory array (Counters) the daemon makes before the
fork and hands to what counts: every process adds to the same numbers, and the
daemon's HTTP endpoint reads them. Written by hand,
not with prometheus_client: its multi-process mode needs a directory of files and
an environment variable set before import, for five counters and one histogram.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
from typing import Any

from maild.app import App
from maild.status import STATES, collect

log = logging.getLogger("maild.metrics")

COUNTERS = {
    "received": ("maild_mail_received_total", "Mail accepted into the spool."),
    "opened": ("maild_tickets_opened_total", "Tickets opened."),
    "sent": ("maild_mail_sent_total", "Outgoing mail the relay accepted."),
    "failed": ("maild_mail_failed_total", "Attempts to send outgoing mail that failed."),
}
NAMES = list(COUNTERS)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HIST = "maild_processing_seconds"
SLOTS = len(NAMES) + len(BUCKETS) + 2  # counters, buckets, count, sum


class Counters:
    """The counters, the histogram's buckets (not cumulative), its count and sum."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("fork")
        self.values = ctx.Array("d", SLOTS)

    def add(self, name: str, n: float = 1) -> None:
        if n:
            with self.values.get_lock():
                self.values[NAMES.index(name)] += n

    def observe(self, seconds: float) -> None:
        slot = next((i for i, b in enumerate(BUCKETS) if seconds <= b), len(BUCKETS))
        base = len(NAMES)
        with self.values.get_lock():
            if slot < len(BUCKETS):
                self.values[base + slot] += 1
            self.values[base + len(BUCKETS)] += 1  # count (+Inf)
            self.values[base + len(BUCKETS) + 1] += seconds

    def snapshot(self) -> list[float]:
        with self.values.get_lock():
            return self.values[:]


def _gauges(figures: dict[str, Any]) -> list[tuple[str, str, float | None]]:
    s, o, t = figures["spool"], figures["outbox"], figures["tickets"]
    sched = figures["scheduler"]["age"]
    out = [
        ("maild_spool_pending", "Mail spooled, not processed yet.", s["pending"]),
        ("maild_spool_oldest_age_seconds", "Age of the oldest pending mail.", s["oldest_age"]),
        ("maild_spool_shunted", "Mail shunted to spool/bad.", s["shunted"]),
        ("maild_outbox_queued", "Outgoing mail queued.", o["queued"]),
        ("maild_outbox_failing", "Queued mail whose last attempt failed.", o["failing"]),
        ("maild_outbox_refused", "Mail the relay refused for good, set aside.", o["refused"]),
        ("maild_scheduler_last_run_age_seconds", "Since the last scheduler run.", sched),
        ("maild_tickets_open", "Tickets not closed.", t["open"]),
        ("maild_tickets_overdue", "Open tickets past their reaction time.", t["overdue"]),
        ("maild_fault", "1 while processing is paused on a fault.", int(bool(figures["fault"]))),
        ("maild_health", "0 healthy, 1 degraded, 2 failing.", STATES.index(figures["state"])),
    ]
    if figures.get("listener") is not None:
        stalled = int(bool(figures["listener"].get("spool_failing")))
        text = "1 while the SMTP/LMTP listener answers 451: mail cannot be spooled."
        out.append(("maild_listener_spool_failing", text, stalled))
    stalled = int(bool((figures.get("ingest") or {}).get("spool_failing")))
    text = "1 while mail piped to maild ingest is deferred: it cannot be spooled."
    out.append(("maild_ingest_spool_failing", text, stalled))
    if figures["imap"] is not None:
        age = figures["imap"]["age"]
        out.append(("maild_imap_last_contact_age_seconds", "Since the last IMAP round.", age))
        refused = int(bool(figures["imap"].get("login_refused")))
        text = "1 while the IMAP server refuses the login."
        out.append(("maild_imap_login_refused", text, refused))
        stalled = int(bool(figures["imap"].get("spool_failing")))
        text = "1 while mail waits on the IMAP server because it cannot be spooled."
        out.append(("maild_imap_spool_failing", text, stalled))
        backlog = (figures["imap"].get("backlog") or {}).get("left", 0)
        text = "Messages the current IMAP round still has to take (noted after its first minute)."
        out.append(("maild_imap_backlog", text, backlog))
        unfetchable = (figures["imap"].get("unfetchable") or {}).get("count", 0)
        text = "Messages the IMAP server keeps failing to give (they wait in its folder)."
        out.append(("maild_imap_unfetchable", text, unfetchable))
        unmoved = (figures["imap"].get("unmoved") or {}).get("count", 0)
        text = "Messages spooled that the IMAP server does not move to the processed folder."
        out.append(("maild_imap_unmoved", text, unmoved))
    return out


def exposition(values: list[float], figures: dict[str, Any]) -> str:
    """The Prometheus text format of the counters and the status figures."""
    lines = []
    for i, (name, text) in enumerate(COUNTERS.values()):
        lines += [f"# HELP {name} {text}", f"# TYPE {name} counter", f"{name} {values[i]:g}"]
    base = len(NAMES)
    lines += [f"# HELP {HIST} Time to process one message.", f"# TYPE {HIST} histogram"]
    total = 0.0
    for i, bound in enumerate(BUCKETS):
        total += values[base + i]
        lines.append(f'{HIST}_bucket{{le="{bound:g}"}} {total:g}')
    count, seconds = values[base + len(BUCKETS)], values[base + len(BUCKETS) + 1]
    lines += [f'{HIST}_bucket{{le="+Inf"}} {count:g}', f"{HIST}_sum {seconds:g}"]
    lines.append(f"{HIST}_count {count:g}")
    for name, text, value in _gauges(figures):
        if value is not None:  # never happened: no sample rather than a made-up one
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
    return "\n".join(lines) + "\n"


async def serve_metrics(app: App, counters: Counters, host: str, port: int) -> asyncio.Server:
    """A minimal HTTP/1.0 endpoint: GET /metrics (or /) answers the exposition."""
    loop = asyncio.get_running_loop()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 10)
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request.decode("latin-1").split()
            path = parts[1].split("?")[0] if len(parts) > 1 else ""
            if parts[:1] != ["GET"] or path not in ("/", "/metrics"):
                writer.write(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            else:
                here = functools.partial(collect, app, serving=True)  # in serve itself
                figures = await loop.run_in_executor(None, here)
                body = exposition(counters.snapshot(), figures).encode()
                writer.write(
                    b"HTTP/1.0 200 OK\r\n"
                    b"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
            await writer.drain()
        except (TimeoutError, OSError):
            pass
        except Exception:
            log.exception("metrics: answering a scrape failed")
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
