"""Quarantine's entries: one per Message-ID, kept spam.keep_days from arrival."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from maild.adapters.quarantine import Quarantine

FIRST = {
    "message_id": "<offer-1@spam.example>",
    "from": "sales@spam.example",
    "subject": "Скидки",
    "received_at": "2026-12-01T10:00:00+00:00",
    "reason": "spam: X-Spam",
    "text": "Купите",
    "spool_key": "k1",
}


def test_a_message_quarantined_again_stays_its_first_entry(tmp_path: Path) -> None:
    """The same message quarantined again (the MTA delivering it again, a re-run
    after a crash) is one entry, the first as it came: rewritten by the later
    delivery, spam.keep_days counted from that one and the spam stayed days longer
    than the admin set."""
    q = Quarantine(tmp_path)
    qid = q.add(b"first", FIRST)
    later = {**FIRST, "received_at": "2026-12-04T10:00:00+00:00", "spool_key": "k2"}
    assert q.add(b"again", later) == qid
    assert q.get(qid) == {"id": qid, **FIRST} and q.raw(qid) == b"first"
    assert q.expired(datetime.fromisoformat("2026-12-05T11:00:00+00:00"), 3) == [qid]


def test_a_tickets_kept_mail_is_its_own_in_the_order_it_first_arrived(tmp_path: Path) -> None:
    """of_ticket: the mail kept with one #spam ticket, none of another's (with theirs,
    releasing the second ticket's first mail was refused, «release first» naming the
    other ticket's), first the mail that first arrived: one released and quarantined
    again keeps its first arrival (arrived_at), whenever its entry was made."""
    q = Quarantine(tmp_path)

    def kept(n: int, tid: str, day: int) -> str:
        at = f"2026-12-0{day}T10:00:00+00:00"
        return q.add(b"mail", {**FIRST, "message_id": f"<m{n}@c.example>", "received_at": at,
                               "tid": tid})  # fmt: skip

    kept(0, "1000-0001", 1)  # another ticket's, the earliest of all
    first = kept(2, "1000-0002", 2)
    q.mark_released("<m2@c.example>")  # released, then marked #spam again with its ticket
    q.delete(first)
    reply = kept(1, "1000-0002", 3)
    assert kept(2, "1000-0002", 4) == first
    assert [e["id"] for e in q.of_ticket("1000-0002")] == [first, reply]


def test_entries_are_oldest_first_kept_their_days_and_named_by_their_ids_only(
    tmp_path: Path,
) -> None:
    """`spam list` shows the oldest first; each entry is kept spam.keep_days whole (a
    mail quarantined by mistake is there to release through its last day, not gone a
    day early); an id that is none maild makes names no entry (`spam delete
    ../blocklist` took the block list)."""
    q = Quarantine(tmp_path)
    old = q.add(b"a", {**FIRST, "message_id": "<a1@spam.example>"})
    new = q.add(b"b", {**FIRST, "message_id": "<a2@spam.example>",
                       "received_at": "2026-12-02T10:00:00+00:00"})  # fmt: skip
    assert old > new and [e["id"] for e in q.entries()] == [old, new]
    assert q.expired(datetime.fromisoformat("2026-12-04T09:59:00+00:00"), 3) == []
    assert q.expired(datetime.fromisoformat("2026-12-04T10:01:00+00:00"), 3) == [old]
    q.block("spam.example")
    assert q.get("../blocklist") is None and not q.delete("../blocklist")
    assert q.blocklist() == ["spam.example"]


def test_a_released_mail_renamed_by_forget_keeps_its_first_arrival(tmp_path: Path) -> None:
    """`maild forget` renames a released message's marker to the id its ticket keeps:
    the marker keeps when the mail first arrived, so that, quarantined again by #spam,
    it keeps its place among the ticket's mail (of_ticket: the first is the one whose
    release brings the ticket back), not the later time it was released."""
    q = Quarantine(tmp_path)
    qid = q.add(b"first", FIRST)
    q.mark_released(FIRST["message_id"])
    q.delete(qid)
    q.rename_released(FIRST["message_id"], "<renamed@maild.invalid>")
    later = {**FIRST, "message_id": "<renamed@maild.invalid>"}
    later["received_at"] = "2026-12-03T10:00:00+00:00"
    again = q.add(b"again", later)
    assert q.get(again)["arrived_at"] == FIRST["received_at"]
