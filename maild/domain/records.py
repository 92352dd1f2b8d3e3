"""The records maild keeps, typed: a ticket, a message of its thread, a mail queued in the outbox.

Plain dicts at run time (TypedDicts): what is written to disk and printed by `--json` is
INTERFACE.md's shape; the types say which keys a record holds and what values a field may take.
Constructors: `domain.ticket.new_ticket`, `message_record`, `outgoing.sent_record`,
`domain.outboxrecord.outbox_entry`; tests/integration/test_records.py holds every file
maild writes to them."""

# No `from __future__ import annotations`: get_type_hints, __optional_keys__ need NotRequired
import hashlib
from datetime import UTC, datetime
from typing import Literal, NotRequired, TypedDict

from maild.domain import attachments as att
from maild.domain.followups import Followups
from maild.domain.levelids import LevelId
from maild.domain.message import ParsedMessage
from maild.domain.partial import FragmentRecord
from maild.domain.waitrecord import MergedWait

Attachments = list[tuple[att.AttachmentDecision, bytes]]  # each decision with its bytes

# A ticket's status (INTERFACE.md: "new | open | waiting | closed").
Status = Literal["new", "open", "waiting", "closed"]
Direction = Literal["in", "out"]
# A thread record's kind: a customer's mail, a staff reply relayed to customers, a note for staff
# (commands, refused or held mail, robots), a customer's confirmation/acknowledgement, a notice
Kind = Literal["customer", "staff", "note", "confirmation", "notice"]  # (+ our bounce)
# An outbox entry's kind: the thread kinds of mail sent, mail about no ticket; "": unnamed
OutboxKind = Literal["confirmation", "notice", "staff", "alert", "report", ""]


class IdentificationRecord(TypedDict):
    """How the requester was identified when the ticket was opened (sender.identify)."""

    source: str  # "license" | "group" | "none"
    ref: str | None  # license key or group name
    reason: str
    entitlement: str | None  # "<source>:<ref>": shared by everyone under one license/group
    expired: bool
    # SPF/DKIM did not confirm the address: what the requester gets once it is confirmed
    # (the level, then source, ref and reason as above: levelnow.address_confirmed)
    owed: NotRequired[dict[str, str | None]]


class SpamMark(TypedDict):
    """#spam on a ticket: who marked it, and the entry it blocks (spammark.blocked_entry)."""

    by: str
    entry: str


class UndeliverableMark(TypedDict):
    """An address of a ticket the relay refused for good (domain/undeliverable.py)."""

    since: str  # when it was first refused (ISO 8601)
    error: str  # the relay's latest answer


class Ticket(Followups):
    """A ticket file's "ticket" table (INTERFACE.md's ticket JSON, and what maild
    keeps beside it). Times are ISO 8601 with offset."""

    tid: str
    status: Status
    level: LevelId
    entitled_level: NotRequired[LevelId]  # owed, while at consulting/development (sender)
    requester: str
    subject: str
    created_at: str
    reaction_due: str | None  # the next staff reaction due, None while nothing waits
    first_reaction_due: str | None
    first_reaction_level: NotRequired[str | None]  # first_reaction_due's (ticket.first_level)
    reaction_from: str | None  # when the clock of reaction_due started
    first_reaction_from: NotRequired[str]  # first_reaction_due's clock, if after created_at
    first_reaction_at: str | None
    critical: bool
    assignee: str | None
    rating: int | None
    closed_at: str | None
    rated_closing: NotRequired[str]  # the closed_at `rating` rates (closingrating.py)
    rated_unproven: NotRequired[bool]  # that rating came in mail proving no From (ratemail)
    participants: list[str]
    identification: IdentificationRecord
    refers_to: str | None  # a TID the sender may not write into (a new ticket instead)
    names_own: NotRequired[str]  # a ticket of the sender's own its text named (textnamed)
    sent: dict[str, str]  # what was sent or done once ("started", "reminder:<due>"...): when
    free_expired: NotRequired[bool]  # opened by mail (customer.decide_new)
    requester_name: NotRequired[str]  # opened by mail: the From display name
    opened_by: NotRequired[str]  # a staff member's forward of the requester's mail (staffforward)
    waiting_since: NotRequired[str]  # #wait
    merged_from: NotRequired[list[str]]  # #merge: the tickets merged into this one
    merged_into: NotRequired[str]  # #merge: the ticket this one was merged into
    merged_waits: NotRequired[list[MergedWait]]  # #merge: customers still waiting (mergedwait)
    robots: NotRequired[dict[str, str]]  # sender -> why it is taken for a robot
    robots_unproven: NotRequired[list[str]]  # robots marked by mail proving no From (trust)
    humans: NotRequired[list[str]]  # #human: senders staff vouched for, never robots here
    automatic: NotRequired[str | dict[str, str]]  # why no notices: to it, or each (automatic.py)
    removed: NotRequired[list[str]]  # #uncc: people staff took off it, until a #cc adds them
    reply_epochs: NotRequired[dict[str, dict[str, int]]]  # TID -> staff -> epoch (leak)
    spam: NotRequired[SpamMark]  # #spam: on its way to the quarantine
    undeliverable: NotRequired[dict[str, UndeliverableMark]]  # refused for good: undeliverable.py


class Summary(Followups):
    """A ticket's row in open/ or the archive (adapters.store.summaries.summary_of:
    SUMMARY_FIELDS). A row is read only with the required keys (SUMMARY_KEYS)."""

    tid: str
    status: Status
    level: LevelId
    requester: str
    created_at: str
    subject: NotRequired[str]
    reaction_due: NotRequired[str | None]
    reaction_from: NotRequired[str | None]
    first_reaction_at: NotRequired[str | None]
    first_reaction_due: NotRequired[str | None]
    first_reaction_level: NotRequired[str | None]
    first_reaction_from: NotRequired[str]  # only where set
    critical: NotRequired[bool]
    assignee: NotRequired[str | None]
    closed_at: NotRequired[str | None]
    merged_into: NotRequired[str]  # only in the rows of merged tickets
    merged_waits: NotRequired[list[MergedWait]]  # only where waits went on


class AttachmentRecord(TypedDict):
    filename: str
    content_type: str
    size: int
    accepted: bool
    reason: str | None  # why it was refused
    sha256: str | None  # the stored file's name (accepted, not erased)


# "from" is a keyword: the functional syntax. Keys after the seventh: some records only.
MessageRecord = TypedDict(
    "MessageRecord",
    {
        "message_id": str,  # "" for notes maild writes itself
        "direction": Direction,
        "from": str,
        "kind": Kind,
        "received_at": str,
        "text": str,
        "attachments": list[AttachmentRecord],
        # incoming mail (message_record)
        "subject": NotRequired[str],
        # (None: on notes `maild forget` erased a person from before it kept them absent)
        "to": NotRequired[list[str] | None],
        "cc": NotRequired[list[str] | None],
        "spool_key": NotRequired[str | None],
        "automated": NotRequired[str | None],  # why it is taken for an automatic reply
        "parse_problem": NotRequired[str | None],
        "recipients_cut": NotRequired[str],  # the To/Cc beyond limits.max_recipients
        "digest": NotRequired[str],  # maildigest.content_digest: redelivery or another mail
        "fast_reply_to_auto": NotRequired[bool],
        "fast_words": NotRequired[str],  # of any reply to our automatic mail: robots.own_words
        "rating": NotRequired[int],
        "status_question": NotRequired[bool],  # answered with the ticket's status
        "thanks": NotRequired[bool],  # only thanks, to a closed ticket: kept, not reopening
        "asked_to_join": NotRequired[list[str]],
        "report_of": NotRequired[str],  # a report of our mail: undeliverable.report_key
        "fragment": NotRequired[FragmentRecord],  # a part of a letter sent in parts
        # to a staff member's (the head's) reply address: kept as a note (staffmail)
        "signed_for": NotRequired[str],
        # staff replies
        "commands": NotRequired[list[str]],
        "folded": NotRequired[list[str]],  # customer notices folded into the reply
        "folded_text": NotRequired[str],  # their text, under the answer in that mail
        "command_errors": NotRequired[list[str]],
        "unsent": NotRequired[str],  # why none of it reached the customer (unsent.UNSENT)
        "unverified_staff": NotRequired[bool],
        "forged_staff": NotRequired[bool],  # what stores older than unverified_staff hold
        "sent_as": NotRequired[str],  # the Message-ID the reply was relayed under
        "logos": NotRequired[list[str]],  # sha256 of the pictures taken as its logo
        "same_answer": NotRequired[bool],  # an answer sent before: a note (samereply)
        # mail maild queued (outgoing.sent_record), or did not (guard.suppressed_record)
        "template": NotRequired[str | None],
        "auto_to_customer": NotRequired[bool],
        # recipient -> the Message-ID of their copy (outgoing.copy_ids), of mail that
        # went to more than one customer (a relayed answer's: on the staff record)
        "copies": NotRequired[dict[str, str]],
        # "cap", "refused" (to an undeliverable address) or "blocked" (on the block list)
        "suppressed": NotRequired[str],
        # queued, then withdrawn from the outbox, never sent (domain.withdrawn): why, by
        # recipient; and why, once no copy of it was left to go
        "withdrawn_copies": NotRequired[dict[str, str]],
        "withdrawn": NotRequired[str],
        # later changes
        "merged_from": NotRequired[str],  # #merge: the ticket it came from
        "recharset": NotRequired[str],  # #charset: the codec its text was decoded with
        "redacted_at": NotRequired[str],  # access data removed after closing
        "refused_mail": NotRequired[str],  # a note's outbox id the relay refused for good
        "list_message_id": NotRequired[str],  # a note that its mail went in that list
    },
)


# An outgoing mail's record, the first line of its outbox file (adapters.outfile).
OutboxEntry = TypedDict(
    "OutboxEntry",
    {
        "id": str,
        "tid": str | None,
        "kind": OutboxKind,
        "from": str,  # the From header as rendered
        "sender": str,  # its bare address: the envelope sender
        "to": list[str],
        "subject": str,
        "message_id": str,
        "queued_at": str,
        "attempts": int,
        "last_error": str | None,
        "next_try": str | None,
        "last_try": NotRequired[str],
        "alerted": NotRequired[str],  # when the head was told it keeps failing
        "sent_at": NotRequired[str],  # sent entries: from the sent log
        "erased": NotRequired[bool],  # `maild forget`
        # never sent, and why: "spam" (#spam), "blocked", "erased" (maild forget),
        # "uncc" (staff took the recipient off the ticket), "stale" (a reminder or an
        # escalation whose deadline, `about_due`, no longer waits for staff), "left"
        # (its recipient is no longer on the side of support its "role" names)
        "withdrawn": NotRequired[str],
        # whom it was queued to as: "staff" or "head" (domain.leftstaff); absent on a
        # customer's mail (and on mail queued before it was kept)
        "role": NotRequired[str],
        # the caps counted it (caps.automatic as it was queued; absent: not asked, or older)
        "counted": NotRequired[bool],
        # a reminder or escalation: the reaction_due it is about, as the ticket stored
        # it; a list's: TID -> its deadlines (absent on other and older mail: sent as ever)
        "about_due": NotRequired[str],
        "about_dues": NotRequired[dict[str, list[str]]],
        # refused for good by the relay (its answer, retry.permanent_for_recipient):
        # never sent again; "told" when its ticket got the note and staff the notice
        "refused": NotRequired[str],
        "too_big": NotRequired[bool],  # refused for its size (retry.too_big): nothing marked
        # too big for staff or the head: queued again without its files, once (slimmail.py)
        "files_left_out": NotRequired[bool],
        "told": NotRequired[str],
        "held": NotRequired[str],  # restored: the backup's time; unsent till outbox release
        "length": NotRequired[int],  # the mail's bytes (outfile.py; not on older files)
    },
)


def aware_time(value: object) -> datetime | None:
    """`value` as a time if it is ISO 8601 text with its UTC offset and of years 2-9998, as
    maild writes every time, else None (no zone: TypeError compared; else OverflowError)."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
        utc = when.astimezone(UTC) if when is not None and when.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None
    return when if utc is not None and 1 < utc.year < 9999 else None


def message_record(
    msg: ParsedMessage,
    *,
    direction: Direction,
    kind: Kind,
    received_at: datetime,
    attachments: Attachments,
    spool_key: str | None,
) -> MessageRecord:
    record: MessageRecord = {
        "message_id": msg.message_id,
        "direction": direction,
        "from": msg.from_addr,
        "kind": kind,
        "received_at": received_at.isoformat(),
        "text": msg.text,
        "subject": msg.subject,
        "to": list(msg.to),
        "cc": list(msg.cc),
        "attachments": [
            {
                "filename": d.filename,
                "content_type": d.content_type,
                "size": d.size,
                "accepted": d.accepted,
                "reason": d.reason,
                "sha256": hashlib.sha256(data).hexdigest() if d.accepted else None,
            }
            for d, data in attachments
        ],
        "spool_key": spool_key,
        "automated": None,
        "parse_problem": msg.parse_problem,
    }
    record.update({"recipients_cut": msg.recipients_cut} if msg.recipients_cut else {})
    record.update({"digest": msg.digest} if msg.digest else {})
    return record


def note_record(*, sender: str, direction: Direction, text: str, at: datetime) -> MessageRecord:
    """A note in a ticket's thread for staff: no mail was received or sent as it."""
    return {
        "message_id": "",
        "direction": direction,
        "from": sender,
        "kind": "note",
        "received_at": at.isoformat(),
        "text": text,
        "attachments": [],
    }


__all__ = [
    "AttachmentRecord",
    "Attachments",
    "Direction",
    "IdentificationRecord",
    "Kind",
    "LevelId",
    "MessageRecord",
    "OutboxEntry",
    "OutboxKind",
    "SpamMark",
    "Status",
    "Summary",
    "Ticket",
    "aware_time",
    "message_record",
]
