"""Bench: the support site's ticket page with 50 messages on a 100k-ticket store.

    .venv/bin/python -m bench.web_page [--tickets 100000] [--dir /tmp/web-bench]

Seeds a store (bench/seed.py; reused when --dir already holds one), grows one
ticket to 50 messages (customer and staff in turn, a PNG on every fifth), serves
the real site (maild.web.server, aiohttp on uvloop, as `maild serve` runs it) on a
loopback port and GETs the page through HTTP. Prints the median and p95 per page.
Not a test: the figure goes to bench/FINDINGS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from bench.seed import REPLY, SECRET, TEXT, seed
from maild.app import App
from maild.config import parse
from maild.domain.pageshown import shown_kind
from maild.web import tokens
from maild.web.server import SITE, start_site


def grow(app: App, tid: str, total: int) -> str:
    """The ticket with `total` messages a customer sees (its confirmation and
    notices come on top); returns its requester."""
    ticket, messages = app.store.load(tid)
    now = app.now()
    for n in range(sum(map(shown_kind, messages)), total):
        staff = n % 2 == 1
        files = []
        if n % 5 == 0:
            files = [
                {
                    "filename": f"screen{n}.png",
                    "content_type": "image/png",
                    "size": 48213,
                    "accepted": True,
                    "reason": None,
                    "sha256": "0" * 64,
                }
            ]
        messages.append(
            {
                "message_id": f"<bench{n}@client.example>",
                "direction": "out" if staff else "in",
                "from": "anna@example.com" if staff else ticket["requester"],
                "kind": "staff" if staff else "customer",
                "received_at": now.isoformat(),
                "text": (REPLY * 4 if staff else TEXT * 3 + f"Пароль от админки: secret{n}\n"),
                "attachments": files,
            }
        )
    with app.store.locked():
        app.store.save(ticket, messages)
    return ticket["requester"]


async def measure(app: App, url: str, rounds: int, cold: bool) -> list[tuple[float, float]]:
    """(wall, CPU) seconds per GET, server and client in this one process (the CPU
    figure says what a busy machine's waiting adds); `cold`: the pages' caches
    emptied before each."""
    import aiohttp

    daemon = SimpleNamespace(enqueue=lambda key: None, outbox_wake=asyncio.Event())
    runner = await start_site(app, daemon)
    texts = runner.app[SITE].pages.texts
    times = []
    async with aiohttp.ClientSession() as client:
        for _ in range(rounds):
            if cold:
                texts.clear()
            t0, cpu0 = time.perf_counter(), time.process_time()
            async with client.get(url) as r:
                body = await r.read()
                assert r.status == 200 and body.count(b'class="msg ') == 50, r.status
            times.append((time.perf_counter() - t0, time.process_time() - cpu0))
    await runner.cleanup()
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--dir", default="/tmp/maild-web-bench")
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    root = Path(args.dir)
    if not (root / "reply_secret").exists():
        t0 = time.monotonic()
        seeded = seed(root, args.tickets, workers=2)
        print(f"seeded {seeded.n} tickets in {time.monotonic() - t0:.0f} s")
    port = 18080
    cfg = parse(
        {
            "support": {
                "address": "support@example.com",
                "staff": ["anna@example.com"],
                "reply_secret": SECRET.decode(),
            },
            "storage": {"path": str(root)},
            "web": {"listen": f"127.0.0.1:{port}", "base_url": f"http://127.0.0.1:{port}"},
        },
        "bench",
    )
    app = App(cfg)
    tid = min(p.stem for p in (root / "tickets").glob("1*/*.json"))  # any: the same each run
    requester = grow(app, tid, 50)
    token = tokens.ticket_token(app.web_secret, tid, requester, datetime.now(UTC), 90)
    n = sum(1 for _ in (root / "tickets").glob("*/*.json"))
    import uvloop

    for cold in (True, False):
        url = f"http://127.0.0.1:{port}/t/{token}"
        times = uvloop.run(measure(app, url, args.rounds, cold))
        ms = sorted(t * 1e3 for t, _ in times)
        cpu = statistics.median(c * 1e3 for _, c in times)
        print(
            f"{n} tickets; ticket {tid}, 50 messages shown, {'cold' if cold else 'warm'}: "
            f"median {statistics.median(ms):.1f} ms, p95 {ms[int(len(ms) * 0.95)]:.1f} ms, "
            f"max {ms[-1]:.1f} ms over {len(ms)} GETs; CPU median {cpu:.1f} ms; "
            f"load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
