"""Which parts of a MIME tree are read, and how: its leaves in document order, a
report's returned original set apart, no signature or resource fork beside a letter
taken for a file (`leaves`); which parts are inside a forwarded mail (`in_forwards`)."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message

from maild.domain.partread import content_type, parts_of
from maild.domain.reports import REPORT_ORIGINALS, STATUS_TYPES

# What a signing or encrypting mail client puts beside the letter (RFC 1847: S/MIME,
# PGP/MIME), a signature or PGP/MIME's "Version: 1", and what a Mac's Mail puts beside
# a file (RFC 1740: its resource fork, named as the file): no file the sender attached,
# so never one refused to them.
_SMIME_SIGNATURES = ("application/pkcs7-signature", "application/x-pkcs7-signature")
_BESIDE = {
    "multipart/signed": {"application/pgp-signature", *_SMIME_SIGNATURES},
    "multipart/encrypted": {"application/pgp-encrypted"},
    "multipart/appledouble": {"application/applefile"},
}


def leaves(msg: Message, originals: list[Message]) -> Iterator[Message]:
    """Leaf parts in document order, without recursion (nesting depth is the sender's).

    The original message returned inside a multipart/report (a bounce carries our
    own mail back) is collected in ``originals`` instead: its parts are not files
    the sender attached. A forwarded message/rfc822 elsewhere is yielded itself (for
    its header) and then walked into.
    """
    stack: list[tuple[Message, bool]] = [(msg, False)]
    while stack:
        part, in_report = stack.pop()
        ctype = content_type(part)
        if in_report and ctype in REPORT_ORIGINALS:
            originals.append(part)
            continue
        children = parts_of(part) if ctype not in STATUS_TYPES else None
        if children is not None:
            if ctype == "message/rfc822" and children:
                yield part  # the forwarded mail's own header, before its parts
            if ctype in _BESIDE:
                children = [c for c in children if content_type(c) not in _BESIDE[ctype]]
            report = ctype == "multipart/report"
            stack.extend((child, report) for child in reversed(children))
            continue
        yield part


def in_forwards(msg: Message) -> set[int]:
    """The ids of the parts of ``msg`` that are inside a message/* part."""
    inside: set[int] = set()
    stack = [(msg, False)]
    while stack:
        node, forwarded = stack.pop()
        if forwarded:
            inside.add(id(node))
        forwarded = forwarded or content_type(node).startswith("message/")
        stack.extend((child, forwarded) for child in parts_of(node) or ())
    return inside
