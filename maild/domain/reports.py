"""What a report (a bounce, a read receipt) says about the mail it is about: its
status fields as text, and the Message-ID of the original it returns or names."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message

from maild.domain.header_text import decode_compat32
from maild.domain.mimetree import read_tree
from maild.domain.partread import RAW_POLICY, header_of, parts_of, payload, text_of
from maild.domain.tid import normalize_msgid

# Parts of a report that describe the original message rather than carry a file.
REPORT_ORIGINALS = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
RECEIPT = "message/disposition-notification"  # a read receipt (MDN, RFC 8098)
STATUS_TYPES = ("message/delivery-status", RECEIPT)


def status_text(part: Message) -> str:
    """A message/delivery-status (or MDN) body: compat32 parses it into header blocks."""
    parts = parts_of(part)
    if parts is None:
        return text_of(part)
    blocks = []
    for block in parts:
        blocks.append("\n".join(f"{k}: {decode_compat32(v)}" for k, v in block.raw_items()))
    return "\n\n".join(b for b in blocks if b)


def receipt_of(part: Message) -> str | None:
    """The Message-ID a read receipt is about (its Original-Message-ID field)."""
    for block in parts_of(part) or ():
        if msgid := header_of(block, "original-message-id"):
            return normalize_msgid(msgid)
    return None


def original_of(part: Message) -> Message | None:
    """The original a report part returns (whole message or its headers)."""
    blocks = parts_of(part)
    if blocks is not None:
        return next(iter(blocks), None)
    return read_tree(payload(part), RAW_POLICY)[0]


def _original_msgid(part: Message) -> str | None:
    """Message-ID of the original a report returns (whole message or its headers)."""
    inner = original_of(part)
    return None if inner is None else normalize_msgid(header_of(inner, "message-id"))


def reported(originals: list[Message]) -> str | None:
    """The Message-ID of the first returned original that has a readable one."""
    for original in originals:
        try:
            msgid = _original_msgid(original)
        except Exception:  # a broken original only costs the threading hint
            continue
        if msgid:
            return msgid
    return None


@dataclass
class Reports:
    """The report parts of one message, collected as its leaves are walked: the status
    fields, the originals returned (mimeleaves.leaves fills them), and each read
    receipt's Original-Message-ID."""

    statuses: list[str] = field(default_factory=list)
    originals: list[Message] = field(default_factory=list)
    receipts: list[str | None] = field(default_factory=list)

    def add(self, part: Message, ctype: str) -> None:
        """A status part (one of STATUS_TYPES)."""
        self.statuses.append(status_text(part))
        if ctype == RECEIPT:
            self.receipts.append(receipt_of(part))

    @property
    def message_id(self) -> str | None:
        """The mail the report is about: a returned original's, else a receipt's."""
        return reported(self.originals) or next((m for m in self.receipts if m), None)
