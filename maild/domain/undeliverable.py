"""A ticket's addresses the relay refused for good (refusals.py marks them when it
tells the ticket): the one rule of what maild still mails to them.

An address refused for good (5.1.x: no such mailbox, domain) is refused again by
every later mail, and each refusal would be one more try at the relay and one more
notice to staff. So the ticket keeps the address in `undeliverable` (since when, the
relay's answer), and its automatic mail (confirmations, acknowledgements, reminders,
status and closing notices) is not queued to it but recorded as not sent
(outgoing.send). A staff member's own reply is still tried: a person wrote it, maybe
after the customer said the mailbox exists now, and a refusal tells them at once
(README, "A refused address"). The mark goes when staff add the address again with
#cc (participants.apply_participant_command: a corrected address is a new one anyway), or
when verified mail from it arrives (customer.decide_followup): it exists. A delivery
report of our own mail (a bounce, RFC 3464) that says a recipient failed for good marks
it the same way (`reported`): the relay took the mail and the recipient's server
refused it later, which is how most refusals arrive.

An address is one in either spelling of an IDN domain (addresses.comparable_address):
maild writes boss@окна.рф as boss@xn--80atjc.xn--p1ai to a relay without SMTPUTF8, and
the relay's refusal or the report of that mail names it so. A mark is kept under the
spelling the ticket keeps the address in, and every look-up here compares both.

Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from maild.domain.addresses import comparable_address
from maild.domain.records import OutboxKind, Ticket, UndeliverableMark

__all__ = [
    "as_kept",
    "failed_people",
    "held",
    "last_sent",
    "on_report",
    "lift",
    "mark",
    "marked",
    "named",
    "report_key",
    "repeated",
    "reported",
]

# The mail still tried on a refused address: a staff member's reply relayed to it
TRIED_KINDS: frozenset[str] = frozenset({"staff"})


def mark(ticket: Ticket, address: str, since: str, error: str) -> Ticket:
    """`ticket` with `address` refused for good at `since` (ISO 8601) with `error`
    (the relay's answer). Refused again: the first `since` stays, the answer is the
    latest. Kept as the ticket spells the address (as_kept)."""
    address = as_kept(ticket, address)
    marks = dict(ticket.get("undeliverable") or {})
    was = marks.get(address)
    first = (was.get("since") if was else None) or since
    marks[address] = {"since": first, "error": error}
    return {**ticket, "undeliverable": marks}


# A report's Status of a recipient refused for good: 5.1.x, bad mailbox, address or
# domain (RFC 3463 3.2), as at the relay (retry.permanent_for_recipient); 5.1.7 and
# 5.1.8 are the sender's. A 4.x.x ("Action: delayed") is a warning: the mail may arrive.
_FAILED_STATUS = re.compile(r"^5\.1\.(?![78](?!\d))\d{1,3}$")
_FIELD = re.compile(r"^([A-Za-z-]+):\s*(.*)$")


def mark_reported(ticket: Ticket, report: str | None, since: str) -> Ticket:
    """`ticket` with the marks of its own people a report of our mail says failed for
    good (staff addresses are the desk's configuration: never marked, as at the relay),
    in either spelling of a domain: the report of our mail to boss@окна.рф names the
    A-labels it went to (boss@xn--80atjc.xn--p1ai; `mark` keeps the ticket's)."""
    kept = (ticket["requester"], *(ticket.get("participants") or ()))
    people = {comparable_address(a) for a in kept}
    for address, error in reported(report).items():
        if comparable_address(address) in people:
            ticket = mark(ticket, address, since, error)
    return ticket


def _address(value: str) -> str | None:
    """The address of a report's recipient field ("rfc822; ivan@example.ru")."""
    address = value.split(";", 1)[-1].strip().strip("<>").lower()
    return address if "@" in address else None


def _recipients(report: str | None) -> Iterator[tuple[tuple[str, ...], dict[str, str]]]:
    """Each recipient block of a delivery report's fields: its addresses (the one we
    wrote to first: Original-Recipient, then Final-Recipient, which an alias or a
    forward on their side makes another, RFC 3464 2.3.1-2) and its fields by
    lower-cased name, folded lines joined."""
    for block in re.sub(r"\r?\n[ \t]+", " ", report or "").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            found = _FIELD.match(line.strip())
            if found:
                fields.setdefault(found.group(1).lower(), " ".join(found.group(2).split()))
        names = (fields.get("original-recipient", ""), fields.get("final-recipient", ""))
        addresses = tuple(dict.fromkeys(a for a in map(_address, names) if a))
        if addresses:
            yield addresses, fields


def reported(report: str | None) -> dict[str, str]:
    """Of a delivery report's fields (ParsedMessage.delivery_status), the recipients
    we wrote to that it says failed for good, each with what their server answered
    (Diagnostic-Code, else Status)."""
    failed: dict[str, str] = {}
    for addresses, fields in _recipients(report):
        status = fields.get("status", "").split(" ", 1)[0]
        if fields.get("action", "").lower() == "failed" and _FAILED_STATUS.match(status):
            diagnostic = fields.get("diagnostic-code", "").split(";", 1)[-1].strip()
            failed[addresses[0]] = diagnostic or status
    return failed


def failed_people(ticket: Ticket, report: str | None) -> list[dict[str, str]]:
    """Of a delivery report of our mail, the ticket's own people (its requester and
    participants, in either spelling of a domain) it says our mail failed to, with any
    Status (5.2.2 mailbox full, 5.7.1 refused as spam too, which mark nothing: `reported`),
    each as {"address", "status", "error": what their server answered, else the Status}."""
    kept = (ticket["requester"], *(ticket.get("participants") or ()))
    people = {comparable_address(a) for a in kept}
    out: dict[str, dict[str, str]] = {}
    for addresses, fields in _recipients(report):
        address = next((a for a in addresses if comparable_address(a) in people), None)
        if address is None or fields.get("action", "").lower() != "failed":
            continue
        status = fields.get("status", "").split(" ", 1)[0]
        error = fields.get("diagnostic-code", "").split(";", 1)[-1].strip() or status
        meaning = _meaning(status)
        kept_as = as_kept(ticket, address)
        out.setdefault(kept_as, {"status": status, "error": error, "meaning": meaning})
    return [{"address": a, **f} for a, f in out.items()]


# What a failed recipient's Status says, for staff (RFC 3463), the first that fits: a
# code as it is, a class or subject ending in "." as a prefix. 5.1.7 and 5.1.8 are our
# sender address's (not marked: _FAILED_STATUS), not the recipient's mailbox.
_MEANING = (
    ("5.1.7", "сервер получателя не принял адрес отправителя (наш адрес)"),
    ("5.1.8", "сервер получателя не принял адрес отправителя (наш адрес)"),
    ("5.1.", "такого ящика или домена нет"),
    ("5.2.2", "ящик получателя переполнен"),
    ("5.2.1", "ящик получателя отключён"),
    ("5.2.", "ящик получателя не принимает почту"),
    ("5.7.", "сервер получателя отклонил письмо по своим правилам (например, как спам)"),
    ("5.", "сервер получателя не принял письмо"),
    ("4.", "сервер получателя так и не принял письмо, попытки доставки прекращены"),
)


def _meaning(status: str) -> str:
    """What `status` says, for staff (_MEANING); "" when nothing there fits."""
    fits = (m for p, m in _MEANING if status == p or (p.endswith(".") and status.startswith(p)))
    return next(fits, "")


def on_report(
    ticket: Ticket, report: str | None, since: str | None
) -> tuple[Ticket, list[str], list[dict[str, str]]]:
    """A report of our mail about `ticket`: (the ticket with the marks it makes,
    the addresses marked now, its own people it says our mail failed to: failed_people).
    Only a failure for good (5.1.x) marks, at `since`; a full or disabled mailbox, mail
    refused as spam (5.2.x, 5.7.x) is a failure of this mail, told to staff all the
    same. `since` None: a report that returns none of our mail, taken by its subject's
    tag (ownreports.by_subject), which anyone who knows a TID may send: told to staff,
    it marks no one (the mark would withhold the customer's mail for good)."""
    before = set(ticket.get("undeliverable") or ())
    ticket = mark_reported(ticket, report, since) if since is not None else ticket
    bounced = sorted(set(ticket.get("undeliverable") or ()) - before)
    return ticket, bounced, failed_people(ticket, report)


def last_sent(messages: Iterable[Mapping[str, Any]]) -> str:
    """The Message-ID of the ticket's last mail to its customers (a staff answer, a
    confirmation, a notice to them), "" when none: what a report of our mail that
    returns none of it (RFC 3464 allows that; its subject's tag names the ticket) is
    counted as about (report_key), so a report said again is told once until maild
    writes to them again."""
    ours = [
        m.get("message_id") or ""
        for m in messages
        if m.get("direction") == "out"
        and (m.get("kind") in ("staff", "confirmation") or m.get("auto_to_customer"))
    ]
    return ours[-1] if ours else ""


def report_key(reported_id: str, report: str | None) -> str:
    """What a report of our mail counts once as (`repeated`): the Message-ID of the
    mail it is about and what it says of it, one of three: "failed" (a recipient's
    Action), else "delayed", else "other" (delivered, relayed: a report nobody asked
    for). So a relay's warning and its failure later are two reports, each told to
    staff; the same said again (a forger sending one report of the mail they hold over
    and over under fresh Message-IDs) is not: what reports tell staff is bounded by
    the mail maild sent."""
    actions = {fields.get("action", "").lower() for _a, fields in _recipients(report)}
    said = next((a for a in ("failed", "delayed") if a in actions), "other")
    return f"{said} {reported_id}"


def repeated(messages: Iterable[Mapping[str, Any]], key: str) -> bool:
    """Whether the thread holds a report of our mail under `key` (report_key) already:
    this one stays in the thread, told to no one, changing nothing."""
    return any(m.get("direction") == "in" and m.get("report_of") == key for m in messages)


def named(report: str | None) -> set[str]:
    """Every address a delivery report is about, whatever it says of them."""
    return {a for addresses, _fields in _recipients(report) for a in addresses}


def as_kept(ticket: Ticket, address: str) -> str:
    """`address` lower-cased, as `ticket` keeps it (a marked address, its requester, a
    participant, one staff removed) when it keeps it in the other spelling of its
    domain (addresses.comparable_address): our mail names anna@магазин.рф as
    anna@xn--80aairftm.xn--p1ai, and reports and staff name her so."""
    mine = comparable_address(address)
    kept = (
        *(ticket.get("undeliverable") or {}),
        ticket.get("requester") or "",
        *(ticket.get("participants") or ()),
        *(ticket.get("removed") or ()),
    )
    return next((a for a in kept if a and comparable_address(a) == mine), address.lower())


def _key(marks: dict[str, UndeliverableMark], address: str) -> str | None:
    """The key of `address`'s mark in `marks`, in either spelling; None: unmarked."""
    if address.lower() in marks:
        return address.lower()
    mine = comparable_address(address)
    return next((a for a in marks if comparable_address(a) == mine), None)


def marked(ticket: Ticket, address: str) -> bool:
    """Whether `address` (in either spelling of its domain) is refused for good."""
    return _key(ticket.get("undeliverable") or {}, address) is not None


def lift(ticket: Ticket, addresses: Iterable[str]) -> Ticket:
    """`ticket` without the marks of `addresses` (re-added by #cc, or proven to exist
    by verified mail from them), in either spelling; the same ticket when none was
    marked."""
    marks = ticket.get("undeliverable") or {}
    gone = {k for a in addresses if (k := _key(marks, a)) is not None}
    if not gone:
        return ticket
    left = {a: m for a, m in marks.items() if a not in gone}
    out: Ticket = {**ticket, "undeliverable": left}
    if not left:
        del out["undeliverable"]
    return out


def held(
    ticket: Ticket | None, to: Iterable[str], kind: OutboxKind
) -> dict[str, UndeliverableMark]:
    """Of a mail of `kind` about `ticket` to `to`: the recipients it is not queued to,
    each with its mark (all of its marked recipients unless TRIED_KINDS)."""
    marks = (ticket.get("undeliverable") if ticket else None) or {}
    if kind in TRIED_KINDS or not marks:
        return {}
    keys = {a: _key(marks, a) for a in to}
    return {a: marks[k] for a, k in keys.items() if k is not None}
