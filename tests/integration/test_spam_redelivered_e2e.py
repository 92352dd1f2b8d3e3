"""The reply that says #spam, and staff's other mail of the ticket it marks, delivered
again (an MTA's retry; the same mail to support@ and support+x@): the same mail again,
stored once. Real CLI, real sink."""

from __future__ import annotations

from datetime import timedelta

import pytest

from maild import guard
from maild.app import App
from maild.config import load
from tests.helpers import Desk, days_on, make_mail, serve_until_spool_empty, staff_reply
from tests.integration.test_merge_spam_store import assert_store_clean
from tests.integration.test_spool_copies_e2e import copies

SPAMMER = "spam@bad.example"


def test_the_spam_reply_delivered_again_is_the_same_mail_again(desk: Desk, sink):
    """Delivered again, the #spam reply (and staff's answer before it) went into the
    quarantine as an entry from the staff member, its spool copy kept; released after
    the customer's mail, as the order asks, it marked the ticket #spam once more."""
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, msgid="<sp1@bad.example>"))
    answer = staff_reply(tid, "Уточните, пожалуйста.", msgid="<ans@example.com>")
    desk.ingest(answer)
    mark = staff_reply(tid, "#spam", sender="boris@example.com", msgid="<mark@example.com>")
    desk.ingest(mark)
    desk.flush()
    before = len(sink.received)
    for raw in (mark, b"Delivered-To: support+x@example.com\r\n" + mark, answer):
        r = desk.ingest(raw)
        assert r.code == 0 and "duplicate" in r.out, r
    desk.flush()
    assert len(sink.received) == before
    [entry] = desk.run("spam", "list", "--json").json()
    assert entry["from"] == SPAMMER
    assert copies(desk, "<mark@example.com>") == 0 and copies(desk, "<ans@example.com>") == 0
    assert_store_clean(desk)
    r = desk.run("spam", "release", entry["id"])
    assert r.code == 0 and f"new [TID#{tid}]" in r.out, r
    assert desk.run("spam", "list", "--json").json() == []
    assert desk.ticket(tid)["requester"] == SPAMMER
    assert_store_clean(desk)


def test_the_spool_copy_of_an_older_entry_of_the_spam_reply_goes_with_it(desk: Desk, sink):
    """The entry an older maild made of the #spam reply delivered again kept the copy
    it arrived as. The ticket back, the entry goes and so does that copy: left in the
    spool, `maild fsck` called it mail in no ticket and --repair re-queued it, the
    #spam reply processed anew (the ticket marked #spam again)."""
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, msgid="<sp1@bad.example>"))
    mark = staff_reply(tid, "#spam", msgid="<mark@example.com>")
    desk.ingest(mark)
    app = App(load(desk.config))
    with app.store.locked():  # as that maild kept it, with its arrival copy
        key = app.spool.add(mark)
        app.spool.done(key)
        reason = f"spam: #spam [TID#{tid}]"
        guard.quarantine(app, app.parse(mark), mark, reason, app.now(), spool_key=key)
    first = desk.run("spam", "list", "--json").json()[0]
    assert first["from"] == SPAMMER
    assert desk.run("spam", "release", first["id"]).code == 0
    assert desk.run("spam", "list", "--json").json() == []
    assert App(load(desk.config)).spool.path(key) is None
    assert_store_clean(desk)
    assert desk.ticket(tid)["requester"] == SPAMMER


def test_serve_takes_the_spam_reply_again_for_the_same_mail(desk: Desk, sink):
    """`maild serve`, in its batches, as `maild ingest`: no entry, no spool copy."""
    spool = App(load(desk.config)).spool
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, msgid="<sp1@bad.example>"))
    mark = staff_reply(tid, "#spam", msgid="<mark@example.com>")
    spool.add(mark)
    serve_until_spool_empty(desk, outbox_turn=0)
    spool.add(mark)
    spool.add(b"Delivered-To: support+x@example.com\r\n" + mark)
    serve_until_spool_empty(desk, outbox_turn=0)
    assert [e["from"] for e in desk.run("spam", "list", "--json").json()] == [SPAMMER]
    assert copies(desk, "<mark@example.com>") == 0
    assert_store_clean(desk)


@pytest.mark.parametrize("gone", ["deleted", "expired"])
def test_mail_kept_with_a_spam_ticket_and_dropped_leaves_no_index_entry(tmp_path, sink, gone):
    """boris answered the ticket after the #spam: his mail was kept with it, indexed to
    it. The ticket released, his entry deleted (or expired) instead: the index entry
    stayed, so once keep_closed_days deleted the ticket fsck called it a problem, and
    his mail delivered again opened a ticket under the old TID, boris its customer."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 20}, spam={"keep_days": 10})
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, msgid="<sp1@bad.example>"))
    desk.ingest(staff_reply(tid, "#spam", msgid="<mark@example.com>"))
    late = staff_reply(tid, "Ответ.", sender="boris@example.com", msgid="<late@example.com>")
    assert desk.ingest(late).out.startswith("quarantined ")
    first, kept = desk.run("spam", "list", "--json").json()
    assert kept["from"] == "boris@example.com"
    assert desk.run("spam", "release", first["id"]).code == 0
    if gone == "deleted":
        assert desk.run("spam", "delete", kept["id"]).code == 0
    desk.ingest(staff_reply(tid, "#close", msgid="<close@example.com>"))
    assert desk.run("jobs", "run", "--now", days_on(25)).code == 0
    assert desk.tickets() == [] and desk.run("spam", "list", "--json").json() == []
    check = desk.run("fsck")
    assert check.code == 0 and "0 problem(s)" in check.out, check
    again = desk.ingest(late)
    assert again.out.startswith("quarantined "), again  # staff's mail naming no ticket
    assert desk.tickets() == []


def test_an_entry_an_older_maild_made_of_the_spam_reply_goes_when_the_ticket_is_back(
    desk: Desk, sink
):
    """A maild before 2026-12-07 kept the #spam reply delivered again as an entry from
    the staff member; released after the ticket's first mail, as `spam list`'s order
    and the notice ask, it marked the ticket #spam again. The ticket back, it goes."""
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, msgid="<sp1@bad.example>"))
    mark = staff_reply(tid, "#spam", msgid="<mark@example.com>")
    desk.ingest(mark)
    app = App(load(desk.config))
    with app.store.locked():  # as that maild kept it
        guard.quarantine(app, app.parse(mark), mark, f"spam: #spam [TID#{tid}]", app.now())
    first, again = desk.run("spam", "list", "--json").json()
    assert (first["from"], again["from"]) == (SPAMMER, "anna@example.com")
    assert desk.run("spam", "release", first["id"]).code == 0
    assert desk.run("spam", "list", "--json").json() == []
    assert desk.ticket(tid)["requester"] == SPAMMER
    assert_store_clean(desk)


def test_spam_deleted_while_its_ticket_is_marked_goes_back_to_the_quarantine(desk: Desk, sink):
    """Staff deleted the spam's entry (`maild spam delete`) while its ticket is still
    marked #spam, and lifted the block later: the same mail delivered again goes back
    to the quarantine, as mail of that ticket; no ticket opens, nothing is sent to the
    spammer (its Message-ID index entry stays while the mark is there)."""
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, msgid="<sp1@bad.example>"))
    desk.ingest(staff_reply(tid, "#spam", msgid="<mark@example.com>"))
    (entry,) = desk.run("spam", "list", "--json").json()
    assert desk.run("spam", "delete", entry["id"]).code == 0
    assert desk.run("block", "remove", SPAMMER).code == 0
    desk.flush()
    before = len(sink.received)
    again = desk.ingest(make_mail(sender=SPAMMER, msgid="<sp1@bad.example>"))
    assert again.out.startswith("quarantined "), again
    assert desk.tickets() == []
    (kept,) = desk.run("spam", "list", "--json").json()
    assert kept["reason"] == f"spam: #spam [TID#{tid}]"
    desk.flush()
    assert len(sink.received) == before


def test_spam_keep_days_count_from_the_spam_mark_for_an_old_ticket(desk: Desk, sink):
    """#spam on a ticket whose mail arrived longer ago than spam.keep_days: its entries
    are kept spam.keep_days from the #spam (quarantined_at), not deleted for good by
    the next expiry while staff may still release a mistaken #spam."""
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, msgid="<sp1@bad.example>"))
    app = App(load(desk.config))
    now = app.now()
    with app.store.locked():
        ticket, messages = app.store.load(tid)
        old = (now - timedelta(days=app.config.spam.keep_days + 30)).isoformat()
        messages = [{**m, "received_at": old} for m in messages]
        mark = {"by": "anna@example.com", "at": now.isoformat(), "blocked": SPAMMER}
        assert guard.quarantine_ticket(app, ticket, messages, mark) == 1
    assert app.quarantine.expired(now + timedelta(days=1), app.config.spam.keep_days) == []
    assert len(desk.run("spam", "list", "--json").json()) == 1


def test_a_strangers_mail_kept_with_a_spam_ticket_released_later_leads_to_its_own_ticket(
    desk: Desk, sink
):
    """A stranger wrote naming a ticket marked #spam: kept with it, indexed to it. The
    ticket released, then the stranger's mail: it opens a ticket of its own, and its
    Message-ID leads there, not to the ticket it was kept with (fsck: no problem; the
    same mail delivered again is the same mail, not a second ticket's)."""
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, msgid="<sp1@bad.example>"))
    desk.ingest(staff_reply(tid, "#spam", msgid="<mark@example.com>"))
    other = make_mail(sender="olga@other.example", subject=f"Re: [TID#{tid}] и у меня",
                      msgid="<olga@other.example>")  # fmt: skip
    assert desk.ingest(other).out.startswith("quarantined "), desk.tickets()
    first, kept = desk.run("spam", "list", "--json").json()
    assert kept["from"] == "olga@other.example"
    assert desk.run("spam", "release", first["id"]).code == 0
    r = desk.run("spam", "release", kept["id"])
    assert r.code == 0 and f"[TID#{tid}]" not in r.out, r
    [own] = [t["tid"] for t in desk.tickets() if t["tid"] != tid]
    assert desk.ticket(own)["requester"] == "olga@other.example"
    check = desk.run("fsck")
    assert check.code == 0 and " 0 problem(s)" in check.out, check.out
    held = [desk.ticket(t)["messages"] for t in (tid, own)]
    again = desk.ingest(other)
    assert "duplicate" in again.out, again
    assert [desk.ticket(t)["messages"] for t in (tid, own)] == held
