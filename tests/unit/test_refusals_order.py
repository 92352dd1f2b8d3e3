"""maild/refusals.py: the tickets whose mail the relay refused for good are told in
the order their mail was first refused, so the oldest go singly while one may and the
newer ones wait for the list."""

from __future__ import annotations

from typing import Any

from maild.refusals import _by_ticket


def refused(mail_id: str, tid: str, queued_at: str) -> dict[str, Any]:
    return {"id": mail_id, "tid": tid, "queued_at": queued_at}


def test_a_ticket_is_told_by_its_first_refused_mail_not_its_last():
    """A ticket whose first mail was refused before the other's goes first, even when
    another of its mails was refused after the other's (a customer written to twice)."""
    entries = [
        refused("b1", "2611-0002", "2026-11-25T10:05:00+03:00"),
        refused("a2", "2611-0001", "2026-11-25T10:09:00+03:00"),
        refused("a1", "2611-0001", "2026-11-25T10:01:00+03:00"),
    ]
    groups = _by_ticket(entries)  # type: ignore[arg-type]
    assert [tid for tid, _ in groups] == ["2611-0001", "2611-0002"]
    assert sorted(m["id"] for m in groups[0][1]) == ["a1", "a2"]
