"""What `maild status` says of the IMAP server (maild/imapnotes.py) at its edges."""

from __future__ import annotations

from maild import imapnotes
from maild.status import HEALTHY, assess
from tests.unit.test_status import REFUSED, figures


def test_a_contact_at_the_moment_of_the_failure_answers_it() -> None:
    """A round failed and the server was reached in the same instant (the next round
    logged in at once): status is healthy and names no failure, as it says «no contact
    with it came at or after it»; a contact a moment before leaves it unanswered."""
    assert not imapnotes.unanswered(5.0, 5.0)
    assert imapnotes.unanswered(5.0, 5.5) and imapnotes.unanswered(5.0, None)
    f = figures(imap={"last_contact": "x", "age": 5.0, "last_error": REFUSED})
    assert assess(f) == (HEALTHY, [])
    assert imapnotes.last_failure(f["imap"]) == ""
