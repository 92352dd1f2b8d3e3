"""Fast seeding of a maild store with N tickets, in the store's own on-disk layout.

Tickets are made by the domain's own functions (maild.domain.ticket) and written
with the store's own serialiser and paths (maild.adapters.store): one TinyDB file
per ticket, the Message-ID and sender indexes, and the summaries (open/ parts and
archive/<YYYY-MM>.json), each summary file written once, all without fsync (it is
a fixture, not mail), in `workers` processes.

Mostly closed tickets spread over `months` months before `now`, `n_open` of them
still open (new/open/waiting, created in the last 30 days): how many tickets are
open depends on the desk's workload, not on its history, so both the 1k and the
100k store of the benchmark have the same 200. Every ticket has the customer's message,
maild's confirmation and notice, and (closed or open) a staff reply.

`seed(root, n)` returns a Seeded with samples to check lookups against.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from maild.adapters.store import SUMMARY_FIELDS, DurableJSONStorage, Store, open_part
from maild.adapters.store.indexes import index_path
from maild.domain import ticket as tk
from maild.domain.replyaddr import sign_message_id
from maild.domain.sender import Identification

SUPPORT = "support@example.com"
DOMAIN = "example.com"
SECRET = b"bench-seed-reply-secret-0123456789abcdef"
STAFF = ("anna@example.com", "boris@example.com")
LEVELS = ("free", "free", "free", "standard", "standard", "operative", "vip", "partner")
TEXT = (
    "Здравствуйте! После обновления до версии 7.0 при оформлении заказа появляется ошибка 500. "
    "В журнале сервера сообщение о нехватке памяти, хостинг говорит, что всё в порядке. "
    "Доступ к панели управления можем предоставить. Просим помочь как можно скорее. "
)
REPLY = (
    "Добрый день! Ошибка связана с модулем кеширования: отключите его в настройках "
    "и очистите кеш, после этого оформление заказа заработает. Если нет — напишите нам. "
)


@dataclass
class Seeded:
    n: int
    open_tids: list[str] = field(default_factory=list)
    closed_tids: list[str] = field(default_factory=list)
    # tid -> (requester, inbound Message-ID, confirmation Message-ID, subject)
    samples: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)


def _due(level: str, start: datetime) -> datetime:
    # a plausible deadline; the calendar's exact arithmetic is not the point here
    return start + timedelta(hours={"partner": 2, "vip": 4, "operative": 8}.get(level, 24))


def _tid(rng: random.Random, taken: set[str]) -> str:
    while True:
        n = rng.randrange(10**7, 10**8)
        tid = f"{n // 10**4:04d}-{n % 10**4:04d}"
        if tid not in taken:
            taken.add(tid)
            return tid


def make_ticket(
    i: int, tid: str, created: datetime, status: str, rng: random.Random
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    level = rng.choice(LEVELS)
    requester = f"client{i}@c{i % 997}.example"
    ident = Identification(
        level,
        "none" if level == "free" else "license",
        None if level == "free" else f"K-{i % 500}",
        "не найден в лицензиях" if level == "free" else f"лицензия K-{i % 500}",
    )
    subject = f"Обращение {i}: не работает оформление заказа"
    t = tk.new_ticket(tid, requester, subject, ident, created, _due, participants=())
    msgid = f"<seed.{i}@c{i % 997}.example>"
    # maild's own ids: signed, naming the ticket (domain.replyaddr.sign_message_id)
    conf_id = sign_message_id(hashlib.sha1(msgid.encode()).hexdigest()[:24], tid, SECRET, DOMAIN)
    notice_id = sign_message_id(
        hashlib.sha1((msgid + "n").encode()).hexdigest()[:24], tid, SECRET, DOMAIN
    )
    at = created.isoformat()
    messages = [
        {
            "message_id": msgid,
            "direction": "in",
            "from": requester,
            "kind": "customer",
            "received_at": at,
            "text": TEXT,
            "subject": subject,
            "to": [SUPPORT],
            "cc": [],
            "attachments": [],
            "spool_key": None,
            "automated": None,
            "parse_problem": None,
        },
        {
            "message_id": notice_id,
            "direction": "out",
            "from": SUPPORT,
            "kind": "notice",
            "received_at": at,
            "text": f"Новое обращение [TID#{tid}]\n{TEXT}",
            "to": list(STAFF),
            "attachments": [],
            "template": "staff_new.txt",
        },
        {
            "message_id": conf_id,
            "direction": "out",
            "from": SUPPORT,
            "kind": "confirmation",
            "received_at": at,
            "text": f"Обращение зарегистрировано [TID#{tid}]\n{TEXT}",
            "to": [requester],
            "attachments": [],
            "template": "confirmation.txt",
        },
    ]
    if status != "new":
        replied = created + timedelta(hours=rng.randint(1, 30))
        t = tk.on_staff_reply(t, replied)
        reply_id = f"<seed-reply.{i}@example.com>"
        messages.append(
            {
                "message_id": f"<seed-staff.{i}@example.com>",
                "direction": "out",
                "from": STAFF[i % 2],
                "kind": "staff",
                "received_at": replied.isoformat(),
                "text": REPLY,
                "subject": f"Re: {subject}",
                "to": [SUPPORT],
                "cc": [],
                "attachments": [],
                "spool_key": None,
                "automated": None,
                "parse_problem": None,
                "sent_as": reply_id,
            }
        )
        if status == "closed":
            t, _ = tk.apply_command(t, "close", None, replied + timedelta(days=1), _due, STAFF[0])
        elif status == "waiting":
            t, _ = tk.apply_command(t, "wait", None, replied, _due, STAFF[0])
    return t, messages


def _write_chunk(
    root: Path, plan: list[tuple[int, str, datetime, str]], seed_value: int, sample_at: set[int]
) -> tuple[list, dict, dict]:
    """Write the tickets of `plan`; return their summaries and samples."""
    store = Store.__new__(Store)  # the paths only: no directories made, no lock taken
    store.root, store._root = root, os.fspath(root)
    made_dirs: set[str] = set()
    open_rows: list[dict[str, Any]] = []
    archive_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    samples: dict[str, tuple[str, str, str, str]] = {}

    def put(path: str | Path, data: bytes) -> None:
        parent = os.path.dirname(path)
        if parent not in made_dirs:
            os.makedirs(parent, exist_ok=True)
            made_dirs.add(parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    for i, tid, created, status in plan:
        rng = random.Random(seed_value * 1_000_003 + i)
        ticket, messages = make_ticket(i, tid, created, status, rng)
        doc = {"ticket": {"1": ticket}, "messages": {str(k): m for k, m in enumerate(messages, 1)}}
        # the store's own serialisation (DurableJSONStorage.write) without the fsync
        put(
            store._ticket_path(tid),
            json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode(),
        )
        # Message-ID index: the customer's message (dedup); maild's own ids carry
        # their TID, signed, and are not indexed
        conf = next(m["message_id"] for m in messages if m["kind"] == "confirmation")
        put(index_path(store.root, "msgid", messages[0]["message_id"]), tid.encode())
        summary = {k: ticket.get(k) for k in SUMMARY_FIELDS}
        if status == "closed":
            archive_rows[str(store._archive_path(ticket))].append(summary)
        else:
            open_rows.append(summary)
        if i in sample_at:
            samples[tid] = (ticket["requester"], messages[0]["message_id"], conf, ticket["subject"])
    return open_rows, dict(archive_rows), samples


def seed(
    root: Path,
    n: int,
    *,
    n_open: int = 200,
    months: int = 36,
    now: datetime | None = None,
    seed_value: int = 7,
    samples: int = 200,
    workers: int = 4,
) -> Seeded:
    """Write n tickets into the store at `root` (created if needed)."""
    Store(root)  # the store's directories
    secret = root / "reply_secret"  # what App reads (config sets no reply_secret)
    if not secret.exists():
        secret.write_bytes(SECRET)
    elif secret.read_bytes() != SECRET:
        raise ValueError(f"{secret} holds another secret: seed into a new store")
    rng = random.Random(seed_value)
    now = now or datetime.now(UTC)
    span = timedelta(days=30.4 * months).total_seconds()
    taken: set[str] = set()
    n_open = min(n_open, n)
    open_at = set(rng.sample(range(n), n_open))
    sample_at = set(rng.sample(range(n), min(samples, n)))
    plan = []
    for i in range(n):
        tid = _tid(rng, taken)
        if i in open_at:  # open tickets are recent
            created = now - timedelta(seconds=rng.uniform(3600, 30 * 86400))
            plan.append((i, tid, created, rng.choice(("new", "open", "waiting"))))
        else:
            created = now - timedelta(seconds=rng.uniform(86400, span))
            plan.append((i, tid, created, "closed"))
    chunks = [plan[k::workers] for k in range(workers)]
    if workers > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(workers) as pool:
            results = pool.starmap(_write_chunk, [(root, c, seed_value, sample_at) for c in chunks])
    else:
        results = [_write_chunk(root, plan, seed_value, sample_at)]

    out = Seeded(n)
    open_rows: list[dict[str, Any]] = []
    archive_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o, a, smp in results:
        open_rows += o
        for path, rows in a.items():
            archive_rows[path] += rows
        out.samples.update(smp)
    out.open_tids = [r["tid"] for r in open_rows]
    out.closed_tids = [r["tid"] for rows in archive_rows.values() for r in rows]

    def merge(path: Path, rows: list[dict[str, Any]]) -> None:
        rows.sort(key=lambda r: r["created_at"])
        storage = DurableJSONStorage(str(path), sync=False)
        data = storage.read() or {}
        table = data.setdefault("_default", {})
        next_id = max((int(k) for k in table), default=0) + 1
        for k, row in enumerate(rows):
            table[str(next_id + k)] = row
        storage.write(data)

    parts: dict[Path, list[dict[str, Any]]] = defaultdict(list)
    for row in open_rows:
        parts[open_part(root, row["tid"])].append(row)
    for path, rows in parts.items():
        merge(path, rows)
    for path, rows in archive_rows.items():
        merge(Path(path), rows)
    return out


if __name__ == "__main__":
    import sys
    import tempfile
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    d = Path(tempfile.mkdtemp(prefix="maild-seed-"))
    t0 = time.perf_counter()
    s = seed(d, n)
    print(
        f"seeded {n} tickets into {d} in {time.perf_counter() - t0:.1f} s ({len(s.open_tids)} open)"
    )
