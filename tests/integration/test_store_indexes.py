"""What a sender's address record keeps of its new tickets (Store.record_sender): the
date of the first one, from which the free-support term counts, and the latest few,
which the new-ticket rule of robotrounds reads (Store.new_tickets). A real store in a
temporary folder, no daemon."""

from __future__ import annotations

from maild.adapters.store import Store
from maild.adapters.store.indexes import ERASED_KEPT_NS, KEPT, person_key

ANNA = "anna@shop-example.ru"


def _opened(n: int) -> tuple[str, str]:
    """The n-th new ticket of ANNA: its TID and when it was opened, a day apart."""
    return f"{1000 + n}-{5000 + n}", f"2026-03-{1 + n:02d}T10:00:00+03:00"


def test_the_first_ticket_s_date_stays_when_later_tickets_come(tmp_path):
    """The free-support term counts from the sender's first ticket: a later ticket
    rewriting that date would start the term again with every new ticket, and a
    sender past it would get free support for ever."""
    store = Store(tmp_path)
    with store.locked():
        for n in range(3):
            store.record_sender(ANNA, *_opened(n))
    assert store.sender_first_seen(ANNA) == "2026-03-01"


def test_the_latest_new_tickets_are_kept_newest_first_each_once(tmp_path):
    """Of more than KEPT new tickets the latest KEPT are kept, newest first, and a
    ticket recorded twice (recovery re-running the mail that opened it) is one entry:
    the oldest kept instead, a new ticket would never be seen by the rule, and a ticket
    twice in the chain would count its canned text twice (robotrounds.opening_reason)."""
    store = Store(tmp_path)
    tickets = [_opened(n) for n in range(KEPT + 2)]
    with store.locked():
        for tid, at in tickets:
            store.record_sender(ANNA, tid, at)
        store.record_sender(ANNA, *tickets[-1])  # the last one's mail run again
    newest_first = [tid for tid, _at in reversed(tickets)]
    assert store.new_tickets(ANNA) == newest_first[:KEPT]


def test_an_erased_address_is_known_by_every_spelling_of_it():
    """Mail from a person `maild forget` erased, read by a worker before the erasure
    and stored after it, is found by its From (maild.erased): the mark is of the
    address as forget was given it, the From may differ in case and spaces."""
    secret = b"s" * 32
    assert person_key(secret, " Anna@Shop-Example.RU") == person_key(secret, ANNA)
    assert person_key(secret, ANNA) != person_key(b"t" * 32, ANNA)


def test_each_address_erased_within_a_day_stays_marked(tmp_path):
    """Two erasures an hour apart: the second keeps the first one's mark (mail of
    the first person spooled before it is still erased when stored); a mark older
    than ERASED_KEPT_NS goes."""
    store = Store(tmp_path)
    hour = 3600 * 10**9
    start = 1_770_000_000 * 10**9
    marks = {"old": start - ERASED_KEPT_NS - hour, "first": start, "second": start + hour}
    for h, at in marks.items():
        with store.locked():
            store.mark_erased(h, lambda at=at: at)
    assert store.erased_since(start - hour) == {"first", "second"}
    assert store.erased_since(start) == {"second"}


def test_an_erasure_is_marked_at_the_time_its_commit_is_durable(tmp_path):
    """A large erasure's commit takes a while: mail spooled meanwhile was read before
    the erasure took effect, so the mark's time is read again once the commit is
    durable, and that mail (spooled after the first reading) is erased when stored."""
    store = Store(tmp_path)
    start = 1_770_000_000 * 10**9
    times = iter([start, start + 60 * 10**9])  # the commit took a minute
    with store.locked():
        store.mark_erased("first", lambda: next(times))
    assert store.erased_since(start + 10**9) == {"first"}
