"""The gate before the desk: is a message the same mail again (a duplicate, stored
once), and does it go to the quarantine instead of the desk (and why)?

Pure: what the store knows comes in as facts. Each look-up the quarantine rule may
need is a call (GateFacts), made only where the rule reaches it and in its order: a
costly one (whether a report is about our mail loads a ticket) is never made for mail
an earlier rule settled, and one that cannot be answered (a store that cannot be read)
stops only the mail that needed it. guard.quarantine_reason gathers them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from maild.domain.decision import Decision
from maild.domain.message import ParsedMessage
from maild.domain.screen import Screening
from maild.domain.snapshot import Loaded
from maild.domain.spam import verdict

__all__ = ["GateFacts", "SpamCheck", "duplicate", "quarantine_reason"]


@dataclass(frozen=True)
class SpamCheck:
    """The config the MTA's spam verdict is read by: `[spam] enabled` and `headers`
    (the verdicts trusted), `support.authserv_id` (our MTA's Authentication-Results)."""

    enabled: bool
    headers: tuple[str, ...]
    authserv_id: str | None


@dataclass(frozen=True)
class GateFacts:
    """What the quarantine gate knows of one message: `staff_ok` (verify.staff_verified),
    `resumed` (the ticket the Message-ID index names for it, None for new mail), and
    the look-ups, each asked only where the rule reaches it: `spammed` (`resumed` is a
    ticket staff marked #spam, still in the quarantine), `released` (staff released
    this Message-ID: `maild spam release`), `blocked` (the block-list entry covering
    the sender, or None), `about_ours` (a report is about mail maild sent)."""

    staff_ok: bool
    resumed: str | None
    spammed: Callable[[], bool]
    released: Callable[[], bool]
    blocked: Callable[[], str | None]
    about_ours: Callable[[], bool]


def quarantine_reason(
    facts: GateFacts, msg: ParsedMessage, scr: Screening, spam: SpamCheck
) -> str | None:
    """Why this message goes to the quarantine instead of the desk, or None.

    A message processed again (crash recovery; `facts.resumed`) keeps its ticket; one
    of a ticket staff marked #spam (delivered again) goes back to the quarantine
    instead of bringing the ticket back, unless staff released it (the #spam was a
    mistake). Otherwise a staff reply, or mail staff released, always reaches the desk
    (a filter's mistake must not swallow it); then a blocked sender, the MTA's spam
    verdict, and a report about mail maild never sent go to the quarantine."""
    if facts.resumed is not None:
        if facts.spammed() and not facts.released():
            return f"spam: #spam [TID#{facts.resumed}]"
        return None
    if facts.staff_ok or facts.released():
        return None
    if facts.blocked():
        return "blocked"
    if spam.enabled:
        reason = verdict(msg.headers, spam.headers, spam.authserv_id, msg.authres_received)
        if reason:
            return reason
    if scr.bounce and not facts.about_ours():
        # backscatter of mail someone else sent in our name: nothing for staff to do
        return "read receipt: not about our mail" if scr.receipt else "bounce: not about our mail"
    return None


def duplicate(
    message_id: str, tid: str, loaded: Loaded | None, marked: Sequence[str] = ()
) -> Decision | None:
    """The same mail again: ticket `tid`, the one the Message-ID index names for it
    (`loaded`: that ticket and its messages, None when it is not there), holds a
    message under `message_id` already; or `tid` is a ticket staff marked #spam and
    `marked`, the Message-IDs its mark names (staff's mail of it: an answer, the reply
    that says #spam, kept by no quarantine entry), holds it. The mail is stored once:
    a "duplicate" Decision, nothing stored, kept or sent (quarantined, it would be
    released after the ticket's mail and mark it #spam again). None when the ticket
    does not hold it (new mail, or one a re-run after a crash resumes there)."""
    if loaded is None:
        return Decision("duplicate", tid, None, []) if message_id in marked else None
    if not any(m["message_id"] == message_id for m in loaded[1]):
        return None
    return Decision("duplicate", tid, loaded[0], loaded[1])
