"""Mail the sender withdraws (to a staff member taken off support.staff, automatic
mail to the blocked) is marked on its ticket's thread in the same locked section:
when one of the threads cannot be read at that moment (its file unreadable or
corrupt, till the admin restores it or `maild fsck --repair`), that pass withdraws
none of them, and they wait unsent; once the thread can be read the next pass
withdraws and marks them. So the outbox and the ticket never disagree on whether the
mail went. Real CLI, a real aiosmtpd relay, a port where nothing listens while it is
down, real files."""

from __future__ import annotations

import json
import logging

import pytest

from tests.helpers import Desk, dead_port, make_mail

CUSTOMER, OTHER = "ivan@shop-example.ru", "olga@other-shop.ru"
ANNA, BORIS = "anna@example.com", "boris@example.com"

# why: (whose mail is withdrawn, how a pass that withdrew none names it)
CASES = {
    "left": ([BORIS], "mail(s) to people no longer on support's staff not sent"),
    "blocked": ([CUSTOMER, OTHER], "blocked mail(s) not sent"),
}


def _marks(desk: Desk, tid: str, to: list[str]) -> list[str]:
    """How each record of `tid`'s thread says its copy to one of `to` did not go."""
    return [
        w
        for m in desk.ticket(tid)["messages"]
        for a, w in m.get("withdrawn_copies", {}).items()
        if a in to
    ]


def _withdraw_from_now_on(desk: Desk, sink, why: str) -> None:
    """Boris leaves (maild restarted), or both customers are blocked by hand; the
    relay is back."""
    if why == "left":
        desk.sections["support"]["staff"] = [ANNA]
    else:
        (desk.root / "data" / "blocklist.json").write_text(json.dumps([CUSTOMER, OTHER]))
    desk.sections["outbound"]["port"] = sink.port
    desk.write_config()


@pytest.mark.parametrize("fault", ["unreadable", "corrupt"])
@pytest.mark.parametrize("why", sorted(CASES))
def test_mail_withdrawn_while_its_thread_cannot_be_read_waits_for_it(
    tmp_path, sink, caplog, why, fault
):
    to, failed = CASES[why]
    desk = Desk(tmp_path, dead_port())  # staff Anna and Boris; the relay is down
    first = desk.ingest_tid(make_mail(sender=CUSTOMER, subject="Не работает оплата"))
    second = desk.ingest_tid(make_mail(sender=OTHER, subject="Ошибка 500"))
    assert desk.flush().code != 0  # nothing went
    ours = [m for m in desk.run("outbox", "list", "--json").json() if m["to"][0] in to]
    assert sorted(m["tid"] for m in ours) == sorted([first, second])

    _withdraw_from_now_on(desk, sink, why)
    [path] = (tmp_path / "data" / "tickets").rglob(f"{second}.json")
    kept = path.read_bytes()
    if fault == "unreadable":  # (as root no mode stops a read: EISDIR does)
        path.unlink()
        path.mkdir()
    else:
        path.write_bytes(kept[: len(kept) // 2])
    with caplog.at_level(logging.INFO):
        r = desk.flush()
    # the rest went (the notices, or the confirmations); those two wait: not empty, 75
    assert r.code == 75 and r.out.startswith("sent 4,"), r.out + r.err
    assert not [r for r in sink.received if set(r.rcpt_tos) & set(to)]  # never sent
    # none withdrawn: both still queued, said in one line naming the file
    queued = desk.run("outbox", "list", "--json").json()
    assert sorted(m["id"] for m in queued) == sorted(m["id"] for m in ours)
    assert not [r for r in caplog.records if "withdrawn, not sent" in r.getMessage()]
    assert any(failed in r.getMessage() and str(path) in r.getMessage() for r in caplog.records)

    if fault == "unreadable":
        path.rmdir()
    path.write_bytes(kept)  # the admin restored it
    assert desk.flush().code == 0
    assert not [r for r in sink.received if set(r.rcpt_tos) & set(to)]
    assert desk.run("outbox", "list", "--json").json() == []
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    withdrawn = [m for m in sent if m.get("withdrawn")]
    assert sorted(m["id"] for m in withdrawn) == sorted(m["id"] for m in ours)
    assert {m["withdrawn"] for m in withdrawn} == {why}
    # each thread says so: the outbox and the ticket agree
    for tid in (first, second):
        assert _marks(desk, tid, to) == [why], tid
