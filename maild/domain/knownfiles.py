"""Files a mail into a ticket carries that the ticket holds already: the same bytes,
known by their sha256 (the name the store keeps a file under, attachments/<ab>/<sha256>).

Mail clients carry files back: Thunderbird shows a picture in the quote and sends it
again, Apple Mail's «include attachments» puts it between the quoted lines, Outlook
keeps the pictures pasted into the quoted mail in every reply, and Outlook set to
attach the original sends the notice with the customer's files. Such a file is no new
file of the mail: not a file of a staff answer (the customer sent it), not news for
staff in a customer's «Есть новости?», not listed again on the site or in a notice.
decide.decide takes them out of every mail into a ticket, in this one place.

A post on the site carries nothing back (it quotes nothing): the file the customer
picked in its form is theirs to send again, and the site's check of a post sent twice
(web.forms.sent_just_now) reads its files in the record.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from maild.domain.message import ParsedMessage
from maild.domain.records import MessageRecord

# The field and value web.forms.compose marks the site's posts with (kept as a screening
# header: message.SCREEN_HEADERS). Anyone may write it into a mail: all it does there is
# leave the mail's files as they came, and read no rating in it but the site's rating
# form's words (ratingtext.SITE_RATING): the mail goes to staff instead.
SOURCE_FIELD = "X-Maild-Source"
SITE = "web"


def posted_on_site(msg: ParsedMessage) -> bool:
    return (msg.header(SOURCE_FIELD) or "").strip().lower() == SITE


def digest(data: bytes) -> str:
    """The file's sha256, as its record (records.message_record) and the store name it."""
    return hashlib.sha256(data).hexdigest()


def held(messages: list[MessageRecord]) -> frozenset[str]:
    """The sha256 of the files the ticket keeps (accepted, stored, not erased)."""
    return frozenset(a["sha256"] for m in messages for a in _files(m))


def had_by_all(messages: list[MessageRecord], recipients: list[str]) -> frozenset[str]:
    """The sha256 of the files every one of ``recipients`` (a staff answer's) sent into
    this ticket, or got with a customer's mail it was a To/Cc of. Only such a file is no
    file of a staff answer: a mail client carried it back. One a recipient never had (a
    screenshot of another customer's, after #merge) is one the staff member chose to
    send, and goes to all of them (the copies carry one set of files); so does a file
    support sent before (the customer asks for the manual again) or a staff note holds.
    No recipient: none."""
    sets = [_had(messages, r) for r in recipients]
    return frozenset.intersection(*sets) if sets else frozenset()


def _had(messages: list[MessageRecord], address: str) -> frozenset[str]:
    return frozenset(
        a["sha256"]
        for m in messages
        if m.get("direction") == "in"
        and m.get("kind") == "customer"
        and address in (m.get("from"), *(m.get("to") or ()), *(m.get("cc") or ()))
        for a in _files(m)
    )


def _files(m: MessageRecord) -> list:
    return [a for a in m.get("attachments") or () if a.get("sha256")]


def without_held(msg: ParsedMessage, known: frozenset[str]) -> tuple[ParsedMessage, list]:
    """``msg`` without the files whose bytes are ``known``, and those it carried (a post
    on the site keeps all its files)."""
    if not known or not msg.attachments or posted_on_site(msg):
        return msg, []
    fresh = tuple(a for a in msg.attachments if digest(a.data) not in known)
    gone = [a for a in msg.attachments if digest(a.data) in known]
    return replace(msg, attachments=fresh), gone
