"""domain.pending: which deadline a ticket's reminder and escalation are about, and
whether it still waits for staff when that mail is about to go."""

from __future__ import annotations

import pytest

from maild.domain.pending import pending_due, still_pending

DUE = "2026-12-08T12:00:00+03:00"


def _ticket(status: str = "open", due: str | None = DUE) -> dict:
    return {"tid": "1234-5678", "status": status, "reaction_due": due}


@pytest.mark.parametrize("status", ["new", "open"])
def test_a_deadline_waiting_for_staff_is_pending(status):
    assert pending_due(_ticket(status)) == DUE
    assert still_pending(_ticket(status), DUE)


@pytest.mark.parametrize(
    "ticket",
    [
        _ticket(due=None),  # answered
        _ticket("waiting", None),  # put to waiting
        _ticket("closed", None),
        _ticket("closed", DUE),  # a closed ticket owes none, whatever its record says
        _ticket(due="2026-12-09T10:00:00+03:00"),  # its level or deadline changed
        None,  # gone from the store
    ],
)
def test_mail_about_a_deadline_no_longer_pending_is_stale(ticket):
    assert not still_pending(ticket, DUE)


def test_the_same_deadline_written_with_another_offset_is_still_pending():
    """support.timezone changed since: the same instant, other text."""
    assert still_pending(_ticket(due="2026-12-08T09:00:00+00:00"), DUE)
    assert not still_pending(_ticket(due="2026-12-08T12:00:00+00:00"), DUE)


def test_unreadable_times_are_compared_as_text():
    assert still_pending(_ticket(due="garbage"), "garbage")
    assert not still_pending(_ticket(due="garbage"), DUE)
