"""Every record maild writes has the shape maild.domain.records declares: mail taken
through `maild ingest` and the scheduled jobs, then each ticket file, summary row
and outbox record on disk checked against its TypedDict (no key it does not
declare, every required key, each value of the declared type; Literal fields one
of the Literal's values)."""

from __future__ import annotations

import json
import types
import typing
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints, is_typeddict
from zoneinfo import ZoneInfo

import pytest

from maild import jobs
from maild.adapters.store import SUMMARY_FIELDS
from maild.adapters.store.summaries import SPARSE_FIELDS, SUMMARY_KEYS
from maild.app import App
from maild.config import load
from maild.domain.records import MessageRecord, OutboxEntry, Summary, Ticket
from maild.runner import ingest
from tests.helpers import SUPPORT, Desk, make_mail, staff_to

MSK = ZoneInfo("Europe/Moscow")
IVAN = "ivan@shop-example.ru"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
BMP = b"BM" + b"\0" * 60  # refused: a record with a reason and no sha256


def mismatches(value: Any, tp: Any, where: str) -> list[str]:
    """How `value` differs from the type `tp` (TypedDict, Literal, union, list,
    dict, str/int/bool/None): one line per difference, none when it conforms."""
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not a {tp.__name__}"]
        hints = get_type_hints(tp)
        out = [f"{where}: {k!r} is not a key of {tp.__name__}" for k in value if k not in hints]
        out += [f"{where}: {tp.__name__} lacks {k!r}" for k in tp.__required_keys__ - set(value)]
        for k, v in value.items():
            if k in hints:
                out += mismatches(v, hints[k], f"{where}.{k}")
        return out
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        return [] if value in args else [f"{where}: {value!r} not one of {args}"]
    if origin in (typing.Union, types.UnionType):
        found = [mismatches(value, a, where) for a in args]
        return [] if any(not f for f in found) else [f"{where}: {value!r} is not {tp}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not a list"]
        return [e for i, v in enumerate(value) for e in mismatches(v, args[0], f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not a dict"]
        return [
            e
            for k, v in value.items()
            for e in mismatches(k, args[0], f"{where} key")
            + mismatches(v, args[1], f"{where}[{k}]")
        ]
    if tp is type(None):
        return [] if value is None else [f"{where}: {value!r} is not None"]
    # bool is an int to Python, not to JSON readers: each only as itself
    return [] if type(value) is tp else [f"{where}: {value!r} is not a {tp.__name__}"]


def test_the_checker_finds_what_differs():
    ticket: dict[str, Any] = {"tid": "1", "status": "lost", "extra": 1}
    found = "\n".join(mismatches(ticket, Ticket, "t"))
    assert "'extra' is not a key" in found and "lacks 'requester'" in found
    assert "'lost' not one of" in found
    record = {"message_id": "", "direction": "in", "from": "a@b", "kind": "note"}
    record |= {"received_at": "x", "text": "", "attachments": [{"filename": 1}]}
    assert "t.attachments[0].filename: 1 is not a str" in mismatches(record, MessageRecord, "t")


class Clock:
    def __init__(self, when: datetime) -> None:
        self.now = when

    def __call__(self) -> datetime:
        return self.now


def _authres(domain: str, server: str = "mx.example.com") -> dict[str, str]:
    return {
        "Authentication-Results": f"{server}; dkim=pass header.d={domain}; "
        f"spf=pass smtp.mailfrom={domain}"
    }


class World:
    """A desk with an injected clock: mail through the runner's ingest and jobs at
    `clock`, or (`cli`) through `maild ingest` at the real time."""

    def __init__(self, desk: Desk, clock: Clock) -> None:
        self.desk, self.clock = desk, clock

    def app(self) -> App:
        return App(load(self.desk.config), clock=self.clock)

    def ingest(self, raw: bytes, cli: bool) -> str:
        if cli:
            return self.desk.ingest_tid(raw)
        _, decision = ingest(self.app(), raw)
        assert decision is not None
        return decision.tid

    def customer(self, body: str, tid: str | None = None, cli: bool = False, **kw: Any) -> str:
        subject = f"Re: Заказ [TID#{tid}]" if tid else "Заказ не оформляется"
        headers = {**_authres("shop-example.ru"), **kw.pop("headers", {})}
        return self.ingest(make_mail(subject=subject, body=body, headers=headers, **kw), cli)

    def staff(self, tid: str, body: str, cli: bool = False, **kw: Any) -> str:
        kw.setdefault("to", staff_to(tid))
        subject = f"Re: Новое обращение [TID#{tid}]"
        raw = make_mail(sender="Анна <anna@example.com>", subject=subject, body=body, **kw)
        return self.ingest(raw, cli)

    def jobs_at(self, when: datetime) -> dict[str, int]:
        self.clock.now = when
        return jobs.run_all(self.app(), when)


@pytest.fixture
def world(tmp_path: Path, sink) -> World:
    desk = Desk(tmp_path, sink.port, support={"authserv_id": "mx.example.com"})
    desk.run("license", "add", "--key", "S-1", "--level", "standard", "--email", IVAN)
    return World(desk, Clock(datetime(2026, 11, 6, 16, 0, tzinfo=MSK)))  # a Friday


def _day(d: int, h: int = 12) -> datetime:
    return datetime(2026, 11, d, h, 0, tzinfo=MSK)


def _desk_day(w: World) -> tuple[str, str]:
    """A day of the desk: a ticket with files and a Cc, its follow-ups, staff replies
    and commands (bad ones too), forged staff mail, #wait, reminders, escalation,
    the customer's rating, #merge, a status question. Returns the two TIDs."""
    tid = w.customer(
        "Ошибка 500 при оформлении заказа.",
        to=f"{SUPPORT}, Пётр <petr@shop-example.ru>",
        attachments=[
            ("скрин.png", "image/png", PNG),
            ("shot.bmp", "image/bmp", BMP),
        ],
    )
    w.jobs_at(_day(9, 12))  # Monday, after 75 % of the 6 business hours: the reminder
    w.jobs_at(_day(9, 14))  # after the deadline (13:00): the escalation
    w.customer("Ещё подробности: версия 7.0.", tid)
    w.customer("Какой статус?", tid)
    w.staff(tid, "#answer nosuch\n")  # refused: command_errors
    w.staff(tid, "#note проверяю логи\n")
    w.staff(tid, "#close\nЗакрываю.", to=SUPPORT, headers=_authres("example.com", "evil"))
    w.staff(tid, "#take\nИван, очистите кэш.\n#charset cp866\n")
    w.staff(tid, "#wait\nПришлите, пожалуйста, журнал.\n")
    w.jobs_at(_day(13))  # three business days after #wait: the customer is reminded
    w.jobs_at(_day(25))  # seven more: closed
    # from here on through `maild ingest`, at the real time (after the days above)
    w.customer("5", tid, cli=True)  # closed by the autoclose: a rating
    other = w.customer("Второе письмо о том же", cli=True)
    w.staff(other, f"#merge {tid}\n", cli=True)  # alone: its customer waits on in tid
    w.desk.flush()
    return tid, other


def _ticket_files(root: Path) -> list[tuple[Path, dict[str, Any], list[dict[str, Any]]]]:
    out = []
    for path in sorted((root / "tickets").glob("*/*.json")):
        tables = json.loads(path.read_text(encoding="utf-8"))
        [ticket] = tables["ticket"].values()
        out.append((path, ticket, list(tables["messages"].values())))
    return out


def _outbox_records(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    paths = sorted((root / "outbox").glob("*/*.mail"))
    return [(p, json.loads(p.read_bytes().partition(b"\n")[0])) for p in paths]


def test_every_record_written_has_its_declared_shape(world: World, sink):
    tid, other = _desk_day(world)
    root = world.desk.root / "data"
    tickets = _ticket_files(root)
    assert {t["tid"] for _, t, _ in tickets} == {tid, other}
    problems: list[str] = []
    seen: dict[str, set[str]] = {"ticket": set(), "message": set(), "kind": set()}
    for path, ticket, messages in tickets:
        problems += mismatches(ticket, Ticket, f"{path.name} ticket")
        seen["ticket"] |= ticket.keys()
        for i, m in enumerate(messages):
            problems += mismatches(m, MessageRecord, f"{path.name} message {i}")
            seen["message"] |= m.keys()
            seen["kind"].add(m["kind"])
    rows = [r for p in (root / "open").glob("*.json") for r in _rows(p)]
    rows += [r for p in (root / "archive").glob("*.json") for r in _rows(p)]
    assert len(rows) == 2
    for r in rows:
        problems += mismatches(r, Summary, f"summary {r.get('tid')}")
    outbox = _outbox_records(root)
    assert len(outbox) > 10 and all(p.parent.name == "sent" for p, _ in outbox)
    for path, meta in outbox:
        problems += mismatches(meta, OutboxEntry, f"outbox {path.name}")
    assert problems == []
    # the day went where it should: the optional keys were written, not only declared
    first = next(t for _, t, _ in tickets if t["tid"] == tid)
    assert first["level"] == "standard" and first["rating"] == 5
    done = {k.split(":")[0] for k in first["sent"]}
    assert {"reminder", "escalation", "waiting_reminder", "autoclosed", "started"} <= done
    assert seen["kind"] == {"customer", "staff", "note", "confirmation", "notice"}
    assert {"waiting_since", "merged_from", "merged_into", "free_expired"} <= seen["ticket"]
    assert {"merged_into", "merged_waits"} <= {k for r in rows for k in r}
    written = {"command_errors", "unverified_staff", "commands", "sent_as", "status_question"}
    written |= {"template", "auto_to_customer", "rating", "merged_from", "recharset"}
    assert written <= seen["message"]


def _rows(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8")).get("_default", {}).values())


def test_summary_shape_is_the_store_summary_fields():
    assert set(get_type_hints(Summary)) == {*SUMMARY_FIELDS, *SPARSE_FIELDS}
    assert Summary.__required_keys__ == SUMMARY_KEYS
