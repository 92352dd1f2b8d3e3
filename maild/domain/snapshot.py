"""What the store says that one message's decision needs, gathered under the store
lock before deciding (maild/snapshot.py gathers it): the decision itself reads
nothing else but the message, the time and the Policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from maild.domain.records import MessageRecord, Ticket
from maild.domain.robotrounds import Opened
from maild.domain.sender import Identification, License

Loaded = tuple[Ticket, list[MessageRecord]]  # a ticket and its messages


@dataclass(frozen=True)
class Spammed:
    """The ticket a message threads to is one staff marked #spam: in the quarantine,
    not in the store. What its mark says (empty where an older mark kept only the
    TID) and the quarantine entries it is kept as, this message's own last."""

    by: str = ""  # the staff member who marked it
    at: str = ""  # when (ISO)
    blocked: str = ""  # the block-list entry #spam added
    subject: str = ""  # the ticket's subject, as its first kept mail had it
    entries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """``loaded`` is the ticket the message goes to (after following #merge), or None
    for a new ticket under ``tid``. Facts only looked up when the branch needs them
    are left at their defaults otherwise."""

    tid: str
    loaded: Loaded | None
    ident: Identification  # the sender's level, checked against SPF/DKIM
    staff_verified: bool  # From is a staff address and proves it (see verify.staff_verified)
    refers_to: str | None = None  # a TID the sender may not write into
    # a new ticket's message answers automatic mail of refers_to (sent to someone else)
    answers_its_auto: bool = False
    our_bounce: bool = False  # a bounce of our own mail about this ticket
    # of our_bounce: the Message-ID of our mail it is about (ownreports.report_of)
    report_of: str | None = None
    requester_verified: bool = False  # the follow-up proves it comes from the ticket's side
    # a new ticket: the requester's first ticket (ISO date); a customer's follow-up to
    # a closed ticket (it may reopen it: levelnow.reopened_free): its sender's
    first_seen: str | None = None
    spool_key: str | None = None  # the arrival copy of the message
    # a staff reply: each #merge argument -> the ticket it ends at, or None
    merge_targets: Mapping[str, Loaded | None] = field(default_factory=dict)
    # a staff reply with #charset: (index, raw bytes) of the customer message to read again
    charset_source: tuple[int, bytes] | None = None
    # the ticket under ``tid`` is in the quarantine (#spam): the message is kept there
    spammed: Spammed | None = None
    # staff name a ticket under ``tid`` that is not in the store: "issued" (maild sent
    # mail about it: deleted since) or "named" (a subject tag alone: a typo?)
    missing: str = ""
    # not from staff, to a reply address signed for this staff member: an address of
    # theirs not on support.staff, or "send as" the support address (staffmail.decide_alias)
    staff_signed: str | None = None
    # a reply to a list mail itself (domain.listreply): whom the list went to; ``tid``
    # is the list's first ticket, ``loaded`` None (no ticket of the reply's)
    list_to: str = ""
    # the ticket the message threaded to (its subject tag, the mail it answers) when
    # #merge sent it on to ``tid``: its customer's rating is of that ticket's closing
    merged_source: str | None = None
    # when the mail about it is made (later than its arrival when it waited in the
    # spool): a deadline passed by then is not promised again (sla.passed)
    written_at: datetime | None = None
    # the registry's licenses a customer's mail names by key, in its subject or text
    # (licensekeys.named_licenses): staff are told of those its sender is not on
    licenses_named: tuple[License, ...] = ()
    # a new ticket whose subject names none: the tickets its text names by tag, each
    # where #merge left it (textnamed.py), one of the sender's own the ticket refers to
    named_in_text: tuple[Ticket, ...] = ()
    # a new ticket's mail answers our mail about a ticket no longer in the store (a
    # signed reply address, a signed Message-ID: maild/issued.py), deleted by
    # storage.keep_closed_days or erased: its TID (the customer is told: textnamed.told)
    gone: str | None = None
    # a new ticket opened by a staff member's mail forwarding a customer's
    # (forwards.forwarded_sender): (the customer's address, their name), and, when the
    # mail proves the staff member, the level the registry gives that address
    # (sender.identify): the ticket is the customer's (customer.decide_new)
    forwarded: tuple[str, str] | None = None
    forwarded_ident: Identification | None = None
    # a staff reply whose #cc adds the first customer of a ticket staff opened: the
    # level that address is owed (staffforward.cc_facts)
    cc_ident: Identification | None = None
    # a new ticket: its sender's latest open tickets, newest first (robotrounds.Opened:
    # a robot answering each confirmation with a new mail)
    opened_before: tuple[Opened, ...] = ()
