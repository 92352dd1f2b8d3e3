"""Every file in spool/cur is the copy a ticket's message or a quarantine entry names:
no path leaves a second one, which outlived its ticket (retention, the quarantine's
expiry) as mail in no ticket, and `fsck --repair` re-queued it. Real CLI, real sink."""

from __future__ import annotations

from maild.app import App
from maild.config import load
from tests.helpers import Desk, make_mail, serve_until_spool_empty, staff_reply
from tests.integration.test_merge_spam_store import assert_store_clean


def copies(desk: Desk, msgid: str) -> int:
    """How many files of spool/ (any folder) carry ``msgid``."""
    spool = [p for p in (desk.root / "data" / "spool").rglob("*") if p.is_file()]
    return len([p for p in spool if msgid.encode() in p.read_bytes()])


def test_staff_mail_of_a_ticket_marked_spam_leaves_no_spool_copy(desk: Desk, sink):
    """#spam moves the customer's mail to the quarantine and deletes the ticket; the
    staff's own mail of it (an answer, the reply that says #spam) is no entry's and
    no ticket's, yet its spool copies stayed, for good: past retention and the
    entries' going (deleted, expired), and fsck (which never re-queues mail of a
    ticket marked #spam) said nothing of them."""
    tid = desk.ingest_tid(make_mail(sender="spam@bad.example", msgid="<sp1@bad.example>"))
    desk.ingest(staff_reply(tid, "Уточните, пожалуйста.", msgid="<ans@example.com>"))
    desk.ingest(staff_reply(tid, "#spam", sender="boris@example.com", msgid="<mark@example.com>"))
    desk.flush()
    assert copies(desk, "<sp1@bad.example>") == 1  # the entry's
    assert copies(desk, "<ans@example.com>") == 0
    assert copies(desk, "<mark@example.com>") == 0
    [entry] = desk.run("spam", "list", "--json").json()
    assert desk.run("spam", "delete", entry["id"]).code == 0
    assert not [p for p in (desk.root / "data" / "spool").rglob("*") if p.is_file()]
    before = len(sink.received)
    assert_store_clean(desk)
    desk.flush()
    assert len(sink.received) == before


def test_serve_keeps_no_second_copy_of_what_its_batch_took_apart(desk: Desk, sink):
    """`maild serve` processes mail in batches, one group commit: the move of each
    message into spool/cur waits for the commit, so the second copy's removal (the
    same mail twice, to support@ and support+x@; again while the quarantine holds
    it; the reply that says #spam) found nothing to remove, and the move then put it
    in spool/cur for good, where `maild ingest` left none."""
    spool = App(load(desk.config)).spool
    raw = make_mail(msgid="<twice@c.example>")
    spam = make_mail(sender="spam@bad.example", subject="Купи", msgid="<sp1@bad.example>")
    spool.add(raw)
    spool.add(b"Delivered-To: support+x@example.com\r\n" + raw)
    spool.add(spam)
    serve_until_spool_empty(desk, outbox_turn=0)
    tid = next(t["tid"] for t in desk.tickets() if t["requester"] == "spam@bad.example")
    spool.add(staff_reply(tid, "#spam", msgid="<mark@example.com>"))
    serve_until_spool_empty(desk, outbox_turn=0)
    spool.add(b"Delivered-To: support+x@example.com\r\n" + spam)
    serve_until_spool_empty(desk, outbox_turn=0)
    assert copies(desk, "<twice@c.example>") == 1  # its ticket's
    assert copies(desk, "<sp1@bad.example>") == 1  # the entry's
    assert copies(desk, "<mark@example.com>") == 0
    assert_store_clean(desk)


def test_fsck_repair_removes_what_an_older_spam_left_in_the_spool(desk: Desk, sink):
    """A store from before 2026-12-07 still holds the spool copies of staff's mail of a
    ticket marked #spam: no ticket or entry names them, and fsck, which never re-queues
    mail of such a ticket, said nothing of them, so they stayed for good (retention
    and the quarantine's expiry gone by). It names each, and --repair removes it."""
    tid = desk.ingest_tid(make_mail(sender="spam@bad.example", msgid="<sp1@bad.example>"))
    desk.ingest(staff_reply(tid, "Уточните, пожалуйста.", msgid="<ans@example.com>"))
    cur = desk.root / "data" / "spool" / "cur"
    [kept] = [
        (p.name, p.read_bytes()) for p in cur.iterdir() if b"<ans@example.com>" in p.read_bytes()
    ]
    desk.ingest(staff_reply(tid, "#spam", msgid="<mark@example.com>"))
    (cur / kept[0]).write_bytes(kept[1])  # as a maild before 2026-12-07 left it
    check = desk.run("fsck")
    assert f"<ans@example.com> is in no ticket and no quarantine entry, of {tid}" in check.out
    assert desk.run("fsck", "--repair").code == 0
    assert copies(desk, "<ans@example.com>") == 0 and copies(desk, "<sp1@bad.example>") == 1
    assert_store_clean(desk)
