"""`maild spam release` of a ticket staff marked #spam: its mail comes back in order,
the ticket's first mail first, and no release ever writes a ticket over another one
under the same TID. Real CLI, real sink."""

from __future__ import annotations

from tests.helpers import Desk, make_mail
from tests.integration.test_merge_spam_store import assert_store_clean
from tests.integration.test_staff_e2e import staff_reply

SPAMMER = "x@spamco.ru"
STRANGER = "y@other.ru"


def spammed_ticket(desk: Desk, sink) -> tuple[str, dict]:
    """x's "Offer" opened a ticket and anna marked it #spam; (its TID, the entry of
    the ticket's first mail in the quarantine)."""
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, subject="Offer", body="seo"))
    desk.flush()
    desk.ingest(staff_reply(tid, "#spam"))
    desk.flush()
    [first] = desk.run("spam", "list", "--json").json()
    assert first["from"] == SPAMMER and first["reason"] == f"spam: #spam [TID#{tid}]"
    return tid, first


def kept_with(desk: Desk, tid: str, sender: str, body: str) -> dict:
    """``sender``'s reply on the #spam ticket, kept in the quarantine with it."""
    before = desk.run("spam", "list", "--json").json()
    subject = f"Re: Offer [TID#{tid}]"
    assert desk.ingest(make_mail(sender=sender, subject=subject, body=body)).out.startswith(
        "quarantined "
    )
    [entry] = [e for e in desk.run("spam", "list", "--json").json() if e not in before]
    assert entry["from"] == sender
    assert entry["reason"] == f"spam: #spam [TID#{tid}]"
    return entry


def refused(desk: Desk, entry: dict, first: dict, tid: str) -> None:
    """Releasing ``entry`` before the ticket's first mail is refused, with and without
    --json: nothing changes, one line names the mail to release first."""
    for args in ((), ("--json",)):
        r = desk.run("spam", "release", entry["id"], *args)
        assert r.code == 1, r
        assert f"maild spam release {first['id']}" in r.err and "released" not in r.out, r
        if args:
            out = r.json()
            assert out["id"] == entry["id"] and out["tid"] is None, out
            assert out["outcome"] == "kept" and first["id"] in out["reason"], out
    assert desk.tickets() == []
    assert entry in desk.run("spam", "list", "--json").json()


def test_a_strangers_mail_kept_with_a_spam_ticket_never_takes_its_tid(desk: Desk, sink):
    """y@other.ru wrote `Re: Offer [TID#T]` on x's ticket marked #spam. Released before
    x's original, it opened a ticket under T; x's original released then opened a new
    ticket under T again, over y's: y's message was in no ticket and fsck saw nothing.
    Now y's mail is held back until the ticket's first mail is released, and then it is
    mail of a stranger on T: a ticket of its own under a new TID."""
    tid, first = spammed_ticket(desk, sink)
    other = kept_with(desk, tid, STRANGER, "other person reply")
    refused(desk, other, first, tid)
    assert desk.run("spam", "release", first["id"]).code == 0
    assert desk.run("block", "remove", SPAMMER).code == 0
    r = desk.run("spam", "release", other["id"])
    assert r.code == 0, r
    desk.flush()
    back = desk.ticket(tid)
    assert back["requester"] == SPAMMER
    assert [m["text"].strip() for m in back["messages"] if m["direction"] == "in"] == ["seo"]
    [own] = [t for t in desk.tickets() if t["tid"] != tid]
    assert own["requester"] == STRANGER and f"[TID#{own['tid']}]" in r.out
    theirs = desk.ticket(own["tid"])
    assert theirs.get("refers_to") == tid
    assert [m["text"].strip() for m in theirs["messages"] if m["direction"] == "in"] == [
        "other person reply"
    ]
    assert desk.run("spam", "list", "--json").json() == []
    assert_store_clean(desk)


def test_a_released_mail_never_replaces_a_ticket_under_its_tid(desk: Desk, sink):
    """The ticket is back under T (its first mail released) and a stranger's mail
    indexed to T is released after it: it opens a ticket of its own under a new TID,
    T keeps its messages."""
    tid, first = spammed_ticket(desk, sink)
    other = kept_with(desk, tid, STRANGER, "other person reply")
    assert desk.run("spam", "release", first["id"]).code == 0
    before = desk.ticket(tid)["messages"]
    assert desk.run("spam", "release", other["id"]).code == 0
    assert desk.ticket(tid)["messages"] == before
    assert {t["requester"] for t in desk.tickets()} == {SPAMMER, STRANGER}
    assert_store_clean(desk)


def test_the_spammers_own_reply_released_first_waits_for_the_original(desk: Desk, sink):
    """Released before the original, x's own reply opened the ticket under T as its
    first message; the original came after its reply, and x got two confirmations.
    Now it waits; released in order, the thread is in order with one confirmation."""
    tid, first = spammed_ticket(desk, sink)
    assert desk.run("block", "remove", SPAMMER).code == 0
    reply = kept_with(desk, tid, SPAMMER, "still selling")
    refused(desk, reply, first, tid)
    start = len(sink.received)
    for entry in (first, reply):
        assert desk.run("spam", "release", entry["id"]).code == 0
    desk.flush()
    texts = [m["text"].strip() for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
    assert texts == ["seo", "still selling"]
    confirmations = [m for m in sink.received[start:] if SPAMMER in m.rcpt_tos]
    assert len(confirmations) == 1, [m.subject for m in confirmations]
    assert_store_clean(desk)


def test_the_blocked_spammers_reply_released_first_waits_for_the_original(desk: Desk, sink):
    """x, still blocked, replied on the #spam ticket: the reply is kept for itself
    (reason "blocked"), yet it names T. Released before the original it opened the
    ticket under T with the reply first; now it waits for the original too."""
    tid, first = spammed_ticket(desk, sink)
    subject = f"Re: Offer [TID#{tid}]"
    desk.ingest(make_mail(sender=SPAMMER, subject=subject, body="still selling"))
    [reply] = [e for e in desk.run("spam", "list", "--json").json() if e["reason"] == "blocked"]
    refused(desk, reply, first, tid)
    for entry in (first, reply):
        assert desk.run("spam", "release", entry["id"]).code == 0
    texts = [m["text"].strip() for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
    assert texts == ["seo", "still selling"]
    assert_store_clean(desk)


def test_a_ticket_marked_spam_twice_comes_back_with_its_first_mail_first(desk: Desk, sink):
    """x's original and x's reply were quarantined by #spam; the original was released
    (the ticket back) and staff marked #spam again. The original's new entry was then
    younger than the reply's, so its release was refused ("its first mail <the reply>
    goes first"), and the reply, released, opened the ticket as its first message.
    The ticket's first mail is the one that arrived first: the original goes first."""
    tid = desk.ingest_tid(make_mail(sender=SPAMMER, subject="Offer", body="seo"))
    subject = f"Re: Offer [TID#{tid}]"
    desk.ingest(make_mail(sender=SPAMMER, subject=subject, body="still selling"))
    desk.flush()
    desk.ingest(staff_reply(tid, "#spam"))
    desk.flush()
    kept = desk.run("spam", "list", "--json").json()
    [first] = [e for e in kept if e["subject"] == "Offer"]
    [reply] = [e for e in kept if e["subject"] == subject]
    assert desk.run("spam", "release", first["id"]).code == 0
    assert desk.ticket(tid)["requester"] == SPAMMER
    desk.ingest(staff_reply(tid, "#spam"))
    desk.flush()
    assert {e["id"] for e in desk.run("spam", "list", "--json").json()} == {
        first["id"],
        reply["id"],
    }
    assert desk.run("block", "remove", SPAMMER).code == 0
    refused(desk, reply, first, tid)
    r = desk.run("spam", "release", first["id"])
    assert r.code == 0 and f"[TID#{tid}]" in r.out, r
    assert desk.run("spam", "release", reply["id"]).code == 0
    desk.flush()
    back = desk.ticket(tid)
    assert back["requester"] == SPAMMER
    texts = [m["text"].strip() for m in back["messages"] if m["direction"] == "in"]
    assert texts == ["seo", "still selling"]
    assert desk.run("spam", "list", "--json").json() == []
    assert_store_clean(desk)
