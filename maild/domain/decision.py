"""What one message decides, as values: the Decision that effects.apply carries out,
the Outgoing mails it causes, and the Context every branch of the decision reads.

The branches are domain/decide.py (which one applies), customer.py (a new ticket,
a customer's follow-up), staffreply.py (a staff reply), staffmail.py (forged staff
mail, a staff reply address answered from another address, the head's answers),
spammark.py (#spam) and trust.py (robots); this module only holds the shapes they
share.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from maild.domain import attachments as att
from maild.domain import encrypted as enc
from maild.domain import limits
from maild.domain.message import ParsedMessage
from maild.domain.policy import Policy
from maild.domain.records import Attachments, MessageRecord, Ticket
from maild.domain.refusedlines import refused_lines
from maild.domain.said import Said
from maild.domain.screen import Screening
from maild.domain.sender import Identification
from maild.domain.sla import LEVELS, SHORT_RU
from maild.domain.snapshot import Snapshot
from maild.domain.tid import shown_subject

# "spam": a staff reply's #spam; effects moves the ticket to the quarantine.
# "held": mail of a ticket in the quarantine (#spam), or staff mail naming a ticket
# that is not in the store: the pipeline keeps it there. "quarantined": the
# pipeline's answer for mail it kept there (the Decision's tid is the entry's id).
Outcome = Literal["new", "appended", "duplicate", "quarantined", "spam", "held"]
# The outcomes that save no ticket: their Decision's ticket is None.
TICKETLESS: frozenset[Outcome] = frozenset({"quarantined", "held"})
# confirmation: automatic mail to the customer; notice: a notice (to staff or the
# customer); staff: a staff member's reply relayed as written
OutgoingKind = Literal["confirmation", "notice", "staff"]


@dataclass(frozen=True)
class Outgoing:
    """A mail to send because of this message; `key` makes its id deterministic."""

    key: str
    kind: OutgoingKind
    template: str | None
    to: list[str]
    context: dict[str, Any]
    record: bool  # keep it in the ticket's thread
    auto: bool = True
    body: str | None = None  # for relayed staff replies: the text as written
    subject: str | None = None  # with `body`: a notice's own subject instead of "Re: ..."
    attach: list[tuple[str, str, bytes]] = field(default_factory=list)
    # an answer to mail nobody verified came from its sender: capped as automatic
    # mail is, though it goes to a staff address (a forger must not drive it)
    unverified: bool = False
    # a notice to staff about an outsider's mail (its From; "" for mail without one):
    # no more than support.max_staff_notices_per_sender_per_hour of them an hour
    # (caps.notice_cap, applied by guard.check_caps), counted apart for mail that
    # proves that From (`sender_proven`) and mail that does not (maybe forged); None:
    # not capped so, nor counted (trust.notice_sender)
    about_sender: str | None = None
    sender_proven: bool = False
    # a new ticket's notice, but for an address a license names: when its mail proves
    # nothing, capped per From domain and desk-wide too (caps.notice_buckets). A
    # licensed address is counted per sender alone: a flood of others must not hold the
    # notice of a ticket due in hours, and a forger of that address fills its own bucket
    # only. Not a group's member: any local part at the group's domain is one, and a
    # flood from random ones would fill no bucket
    new_ticket: bool = False
    # a new ticket's confirmation to a sender whose mail proves nothing: capped desk-wide
    # too, all such senders together (caps.confirmations_cap_reached, deskcap.py)
    desk_capped: bool = False
    # a Reply-To of its own instead of the ticket's, signed for each recipient: the
    # notice answering a reply to a list gives the list's (domain.listreply)
    reply_to: str | None = None
    # #merge: recorded in the thread of the ticket merged into (Decision.also) too, where
    # mail answering it lands: «Обращение объединено» is automatic mail of that ticket
    # as well (a robot's answer to it is known as one there: robots.answered); so is
    # the warning to the staff member who merged tickets of different customers
    in_target: bool = False
    # the ticket whose tag ([TID#...]) the subject carries when not the decision's own:
    # «Обращение B объединено с обращением A» carries A's, where the customer's reply
    # goes on (it carried both tags, B's added after A's); so does an answer or another
    # notice it is folded under
    subject_tid: str | None = None
    # a reminder or escalation: the reaction deadline it is about (reminders.py), kept
    # on its outbox record; withdrawn, not sent, once that is not pending (outstale.py)
    about_due: str | None = None
    # a customer notice a staff member's command caused (#level, #take, #merge): the
    # mail telling that staff member the cap on automatic mail stopped it (the cap's
    # words as its `why`: outgoing.send; domain.capped), or that it was not queued to
    # a blocked address or one refused for good (capped.kept_back)
    if_capped: Outgoing | None = None
    # a new ticket's staff notice: the key of the decision's mail to the customer whose
    # fate it tells (the confirmation; clause 11 of the regulation: a request counts as
    # accepted only once its sender got the mail with its number). Queued after that
    # mail; when a cap stopped it, the notice's context has the cap's words as
    # `unconfirmed`, so staff answer by hand, and `unconfirmed_wave` the desk-wide
    # cap's figure when it was that cap, a possible spam wave (effects._send_all)
    tells_capped: str | None = None
    # a customer notice that made the ticket's first reaction (#take, #close alone):
    # the reaction fields before it, put back when it is queued to no one (heard.py)
    unheard: dict[str, Any] | None = None
    # the mail answers a mail (a confirmation, a notice of a customer's mail, an error
    # answering a staff reply): `Auto-Submitted: auto-replied`; False, mail a job or the
    # site makes of its own (a reminder, an escalation, the closing for want of an
    # answer, a new site link): `auto-generated` (RFC 3834, 5; render.auto_submitted)
    replied: bool = True


@dataclass(frozen=True)
class Decision:
    """What to store and send: `ticket` and its `messages` as they are to be saved
    (`incoming`, the message's own record, among them), the mail it causes, the
    attachments to keep, for #merge the other ticket to save (`also`), and for #uncc
    the addresses whose queued mail about the ticket is never to go (`withdraw`).
    `ticket` is None exactly for the TICKETLESS outcomes: mail kept in the
    quarantine has no ticket in the store (a #spam ticket is there, not in the
    store; a missing one is nowhere), only its `tid` and the mail to staff; and
    for a "duplicate" of staff's mail of a ticket marked #spam (gate.duplicate)."""

    outcome: Outcome
    tid: str
    ticket: Ticket | None
    messages: list[MessageRecord]
    incoming: MessageRecord | None = None
    outgoing: list[Outgoing] = field(default_factory=list)
    attachments: Attachments = field(default_factory=list)
    also: list[tuple[Ticket, list[MessageRecord]]] = field(default_factory=list)
    withdraw: tuple[str, ...] = ()
    said: tuple[Said, ...] = ()  # its lines for the log, in order (domain/said.py)

    def __post_init__(self) -> None:
        gone = self.ticket is None  # (the same mail again of a ticket marked #spam)
        if gone != (self.outcome in TICKETLESS) and not (gone and self.outcome == "duplicate"):
            # a stand-in dict would reach code that reads a ticket's fields
            raise ValueError(f"a {self.outcome!r} decision: ticket None iff TICKETLESS")


def saying(decision: Decision, *lines: Said | None) -> Decision:
    """``decision`` with ``lines`` (None: no line) said after its own."""
    said = tuple(line for line in lines if line is not None)
    return replace(decision, said=(*decision.said, *said)) if said else decision


def msg_key(msgid: str, kind: str) -> str:
    return hashlib.sha1(f"{msgid}\0{kind}".encode("utf-8", "surrogatepass")).hexdigest()[:24]


def copy_key(key: str, n: int) -> str:
    """The key of the n-th copy of the mail queued under `key` (one per recipient, in
    the order of its record's `to`): its outbox id, and what its Message-ID signs."""
    return key if n == 0 else f"{key}-{n}"


@dataclass
class Context:
    """What every branch of `decide` needs about the message at hand."""

    msg: ParsedMessage
    scr: Screening
    ident: Identification
    record: MessageRecord
    attachments: Attachments
    received_at: datetime
    common: dict[str, Any]
    policy: Policy
    snapshot: Snapshot

    def key(self, kind: str) -> str:
        return msg_key(self.msg.message_id, kind)

    @property
    def written_at(self) -> datetime:
        """When the mail about the message is made: what has passed by then is past,
        though the message arrived earlier (it waited in the spool)."""
        return max(self.snapshot.written_at or self.received_at, self.received_at)


def att_ctx(attachments: Attachments) -> dict[str, Any]:
    """The files a mail about the message lists: the first limits.MAX_LISTED_FILES of
    each list (the refused as lines, one for the files refused alike: refusedlines.py),
    the rest as a count of files (`*_more`); and whether the letter itself came
    encrypted (domain.encrypted), which the customer is asked for again."""
    decisions = [d for d, _ in attachments]
    # the letter itself encrypted is told as such (encrypted_letter), no file refused
    refused = [d for d in decisions if not d.accepted and d.kind != enc.LETTER]
    n = limits.MAX_LISTED_FILES
    lines = refused_lines(refused)  # files refused alike in one line, the reason once
    return {
        "attachments": decisions[:n],
        "attachments_more": max(0, len(decisions) - n),
        "refused": lines[:n],
        "refused_more": sum(len(line.files) for line in lines[n:]),
        # a bare BMP refused among the files not listed: a listed one's reason already
        # asks to send it zipped, and the mail said it twice
        "bmp_refused": att.bmp_refused(d for line in lines[n:] for d in line.files),
        "encrypted_letter": enc.letter_scheme(decisions),  # "PGP", "S/MIME" or None
    }


def accepted_files(attachments: Attachments) -> list:
    return [(d.filename, d.content_type, data) for d, data in attachments if d.accepted]


def answer_files(ctx: Context) -> Attachments:
    """The files of a staff answer for the customer, each with its verdict (what the
    staff member's mail client adds by itself, a signature's logo, an invitation, is
    left out of the staff mail before: decide.without_client_parts)."""
    return ctx.attachments


def level_ctx(policy: Policy, ticket: Ticket) -> dict[str, Any]:
    level = LEVELS[ticket["level"]]
    return {
        "tid": ticket["tid"],
        "level_id": level.id,
        "level_name": level.name_ru,
        "level_short": SHORT_RU[level.id],
        "reaction": level.reaction_ru(),
        "due": policy.fmt_time(ticket["reaction_due"]),
        "due_short": policy.fmt_time(ticket["reaction_due"], short=True),
    }


def tell_writer(ctx: Context, decision: Decision, name: str, context: dict[str, Any]) -> Decision:
    """``decision`` with one more mail to the staff member who wrote this message
    (writer_notice, about the decision's ticket)."""
    mail = writer_notice(ctx, decision.tid, decision.ticket or {}, name, context)
    return replace(decision, outgoing=[*decision.outgoing, mail])


def writer_notice(
    ctx: Context,
    tid: str,
    ticket: Ticket | dict[str, Any],
    name: str,
    context: dict[str, Any],
    kind: str | None = None,
) -> Outgoing:
    """The mail to the staff member who wrote this message: the template ``name``.txt
    about ticket ``tid`` (``context`` on top of what every mail about the message may
    say, with the TID and the ticket's own subject, not the reply's, often only «Re:»
    and the tag), kept in the ticket's thread. Its key is made of ``kind``, else of
    ``name`` (a re-run queues it under the key it had)."""
    c = {**ctx.common, "tid": tid, "subject": shown_subject(ticket.get("subject")), **context}
    key = ctx.key(kind or name)
    return Outgoing(key, "notice", f"{name}.txt", [ctx.msg.from_addr], c, record=True)
