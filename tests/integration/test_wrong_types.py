"""A ticket file or a registry.json entry whose fields are there but of a wrong type or
value (a hand edit, a bit flip, a downgrade) is broken, not trusted: the command that
meets it names the file, fsck names it, and mail that needs it waits in spool/new.
Before, `ticket show`/`ticket list --json` died with a traceback (the JSON cut),
fsck passed it, and the requester's reply (or any mail under a license with an
unknown level) was stored as a sender-less raw-text ticket. Through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Desk, conversation, make_mail, serve_until_spool_empty, staff_reply

Spoil = Callable[[dict[str, Any]], None]


def _first_message(doc: dict[str, Any]) -> dict[str, Any]:
    return next(iter(doc["messages"].values()))


def _ticket(doc: dict[str, Any]) -> dict[str, Any]:
    return next(iter(doc["ticket"].values()))


SPOILS: dict[str, Spoil] = {
    "attachments a string": lambda d: _first_message(d).update(attachments="x"),
    "an attachment a string": lambda d: _first_message(d).update(attachments=["x"]),
    "level a number": lambda d: _ticket(d).update(level=123),
    "level unknown": lambda d: _ticket(d).update(level="gold"),
    "status unknown": lambda d: _ticket(d).update(status="lost"),
    "created_at no time": lambda d: _ticket(d).update(created_at="вчера"),
    "participants a string": lambda d: _ticket(d).update(participants="c0@shop0.ru"),
    "text a list": lambda d: _first_message(d).update(text=["hi"]),
    # the fields only some tickets and messages hold: read as lists and maps all the same
    "merged_waits a string": lambda d: _ticket(d).update(merged_waits="x"),
    "automatic a number": lambda d: _ticket(d).update(automatic=5),
    "reply_epochs a number": lambda d: _ticket(d).update(reply_epochs=5),
    "to a number": lambda d: _first_message(d).update(to=5),
    "commands a number": lambda d: _first_message(d).update(commands=5),
    "sent_as a number": lambda d: _first_message(d).update(sent_as=5),
}


def _spool_new(desk: Desk) -> list[Path]:
    return sorted((desk.root / "data" / "spool" / "new").iterdir())


@pytest.mark.parametrize("how", SPOILS)
def test_a_ticket_file_with_a_wrong_value_is_corrupt(desk, sink, how):
    bad, good = (
        desk.ingest_tid(make_mail(sender=f"c{n}@shop{n}.ru", subject=f"Вопрос {n}"))
        for n in range(2)
    )
    path = desk.root / "data" / "tickets" / bad[:2] / f"{bad}.json"
    doc = json.loads(path.read_text())
    SPOILS[how](doc)
    path.write_text(json.dumps(doc))
    for args in (("ticket", "show", bad), ("ticket", "show", bad, "--json")):
        shown = desk.run(*args)
        assert shown.code == 1 and "Traceback" not in shown.err, shown.err
        assert f"{path}: not a ticket file: its " in shown.err, shown.err
    assert [t["tid"] for t in desk.tickets()] == [good]  # whole JSON, the rest listed
    check = desk.run("fsck")
    assert check.code == 1 and f"tickets/{bad[:2]}/{bad}.json: corrupt ticket file" in check.out
    reply = make_mail(sender="c0@shop0.ru", subject=f"Re: [TID#{bad}] Вопрос 0", body="ещё")
    waits = desk.ingest(reply)
    assert "processing deferred" in waits.out + waits.err, waits
    assert len(_spool_new(desk)) == 1  # it waits: no sender-less ticket of its raw text
    assert sorted(t["tid"] for t in desk.tickets()) == [good]


ON_EVERY_MESSAGE = {
    "automatic": 5,
    "reply_epochs": 5,
    "merged_waits": "x",
    "to": 5,
    "commands": 5,
    "sent_as": 5,
}


@pytest.mark.parametrize("key", ON_EVERY_MESSAGE)
def test_a_staff_answer_to_a_ticket_with_a_wrong_field_waits_then_reaches_the_customer(
    desk, sink, key
):
    """Before, a ticket with one of these fields of a wrong type passed the check and
    every reply to it crashed the pipeline: the raw-text fallback stored staff's answer
    as a new sender-less ticket («(без темы)»), the customer never got it, fsck found
    nothing. Now the answer waits, fsck names the file, and after --repair serve puts
    it in its ticket, once, and the customer gets it, once."""
    tid = conversation(desk)
    desk.flush()
    path = desk.root / "data" / "tickets" / tid[:2] / f"{tid}.json"
    doc = json.loads(path.read_text())
    spoiled = [_ticket(doc)] if key in ("automatic", "reply_epochs", "merged_waits") else []
    for record in spoiled or doc["messages"].values():
        record[key] = ON_EVERY_MESSAGE[key]
    path.write_text(json.dumps(doc))
    answer = staff_reply(tid, "Ответ клиенту: перезапустите сервер.", msgid="<s1@c>")
    waits = desk.ingest(answer)
    assert "processing deferred" in waits.out + waits.err and "new [TID#" not in waits.out
    assert len(_spool_new(desk)) == 1
    check = desk.run("fsck")
    assert f"tickets/{tid[:2]}/{tid}.json: corrupt ticket file" in check.out, check.out
    assert desk.run("fsck", "--repair").code == 0
    serve_until_spool_empty(desk, outbox_turn=0)  # what serve leaves unsent, flush sends
    desk.flush()
    assert [t["tid"] for t in desk.tickets()] == [tid]
    ids = [m["message_id"] for m in desk.ticket(tid)["messages"]]
    assert ids.count("<s1@c>") == 1, ids
    got = [r for r in sink.received if "перезапустите сервер" in r.text]
    assert [r.rcpt_tos for r in got] == [["ivan@shop.ru"]], [r.subject for r in got]
    assert desk.run("fsck").code == 0


REGISTRY_SPOILS: dict[str, tuple[str, Any, str]] = {
    "level unknown": ("level", "gold", "licenses entry 1 (K-1) has level 'gold'"),
    "emails a string": ("emails", "ivan@shop.ru", "licenses entry 1 (K-1) has emails"),
    "until no date": ("until", "скоро", "licenses entry 1 (K-1) has until"),
}


@pytest.mark.parametrize("how", REGISTRY_SPOILS)
def test_a_registry_entry_with_a_wrong_value_breaks_the_registry(desk, sink, how):
    key, value, named = REGISTRY_SPOILS[how]
    added = desk.run("license", "add", "--key", "K-1", "--level", "vip", "--email", "ivan@shop.ru")
    assert added.code == 0, added.err
    path = desk.root / "data" / "registry.json"
    doc = json.loads(path.read_text())
    next(iter(doc["licenses"].values()))[key] = value
    path.write_text(json.dumps(doc))
    listed = desk.run("license", "list")
    assert listed.code == 1 and named in listed.err and "Traceback" not in listed.err
    check = desk.run("fsck")
    assert check.code == 1 and f"registry.json: corrupt registry ({named}" in check.out, check
    waits = desk.ingest(make_mail(sender="ivan@shop.ru", subject="Помогите"))
    assert "processing deferred" in waits.out + waits.err, waits
    assert len(_spool_new(desk)) == 1 and desk.run("ticket", "list", "--json").json() == []


def test_a_group_with_domains_as_a_string_breaks_the_registry(desk, sink):
    added = desk.run("group", "add", "--name", "Shop", "--level", "vip", "--domain", "shop.ru")
    assert added.code == 0, added.err
    path = desk.root / "data" / "registry.json"
    doc = json.loads(path.read_text())
    next(iter(doc["groups"].values()))["domains"] = "shop.ru"
    path.write_text(json.dumps(doc))
    check = desk.run("fsck")
    assert "corrupt registry (groups entry 1 (Shop) has domains 'shop.ru')" in check.out, check


def test_license_remove_passes_over_an_entry_whose_key_is_no_text(desk):
    """registry.json edited by hand gave one license a number for its key: removing
    another license still removes it (fsck names the broken entry), no traceback."""
    for key, email in (("K-1", "ivan@shop.ru"), ("K-2", "anna@shop.ru")):
        added = desk.run("license", "add", "--key", key, "--level", "vip", "--email", email)
        assert added.code == 0, added.err
    path = desk.root / "data" / "registry.json"
    doc = json.loads(path.read_text())
    next(iter(doc["licenses"].values()))["key"] = 5
    path.write_text(json.dumps(doc))
    gone = desk.run("license", "remove", "K-2")
    assert gone.code == 0 and "Traceback" not in gone.err, gone
    assert desk.run("license", "remove", "K-2").code == 1
