"""Bounces in plain text, no multipart/report, that many systems still send: qmail's
(QSBMF, the qmail-send Bounce Message Format: qmail, netqmail, vpopmail hosts) and
Exim's default «Mail delivery failed» (cPanel and most shared hosting). Read as the
report each is, so that it threads onto the mail it returns and marks a dead address
as an RFC 3464 report does.

    Hi. This is the qmail-send program at mail.example.
    I'm afraid I wasn't able to deliver your message to the following addresses.
    This is a permanent error; I've given up. Sorry it didn't work out.

    <ivan@shop.example>:
    Sorry, no mailbox here by that name. (#5.1.1)

    --- Below this line is a copy of the message.

    Return-Path: <...>
    ...

    This message was created automatically by mail delivery software.
    ... The following address(es) failed:

      ivan@shop.example
        SMTP error from remote mail server after RCPT TO:<ivan@shop.example>:
        550 5.1.1 <ivan@shop.example>: User unknown

    ------ This is a copy of the message, including all the headers. ------

Pure.
"""

from __future__ import annotations

import re

from maild.domain.tid import normalize_msgid

__all__ = ["read", "status_of"]

# Each format: its opening line, the line above the returned copy, a recipient's line
# (the lines after it, up to the next recipient, are what its server answered)
_QMAIL = (
    re.compile(r"^Hi\. This is the .{0,200}? program at ", re.MULTILINE),
    re.compile(
        r"^--- (?:Below this line is a copy of the message"
        r"|Enclosed are the original headers of the message)\.?[ \t]*$",
        re.MULTILINE,
    ),
    re.compile(r"^<([^<>\s]+@[^<>\s]+)>:[ \t]*$", re.MULTILINE),
)
_EXIM = (
    re.compile(r"^This message was created automatically by mail delivery software\.", re.M),
    re.compile(
        r"^------ This is a copy of the message(?:'s headers|, including all the headers)\."
        r" ------[ \t]*$",
        re.MULTILINE,
    ),
    re.compile(r"^  <?([^<>\s]+@[^<>\s]+?)>?[ \t]*$", re.MULTILINE),
)
_STATUS = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
# A code as a server gives it: after an SMTP reply's code ("550 5.1.1", "550-5.1.1",
# Exchange's "#550 5.1.1") or qmail's "(#5.1.1)", not a version number that looks like one
_REPLY_STATUS = re.compile(r"(?:(?<![\w.])[245]\d\d[ -]|#)([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
_MESSAGE_ID = re.compile(r"^message-id:[ \t]*(.*(?:\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def read(text: str) -> tuple[str, str | None] | None:
    """A plain-text bounce's recipients as the fields of a delivery report
    (Final-Recipient, Action, Status, Diagnostic-Code per recipient) and the Message-ID
    of the copy it returns; None when `text` is no bounce of these formats."""
    for opening_re, copy_re, recipient_re in (_QMAIL, _EXIM):
        opening = opening_re.search(text[:2000])
        if opening is None:
            continue  # no bounce of this format: the rest of the text is not searched
        copy = copy_re.search(text)
        if copy is not None and copy.start() > opening.start():
            report = text[opening.start() : copy.start()]
            head = text[copy.end() :].lstrip("\n").split("\n\n", 1)[0]
            msgid = _MESSAGE_ID.search(head)
            found = _blocks(report, recipient_re)
            return found, normalize_msgid(msgid.group(1)) if msgid else None
    return None


def _blocks(report: str, recipient_re: re.Pattern[str]) -> str:
    """The report's recipients as delivery-status fields, one block each. An answer
    without an enhanced code: 5.0.0 (both formats list only permanent failures)."""
    starts = list(recipient_re.finditer(report))
    blocks = []
    for i, found in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(report)
        said = " ".join(report[found.end() : end].split())
        code = status_of(said) or "5.0.0"
        action = "failed" if code.startswith("5") else "delayed"
        blocks.append(
            f"Final-Recipient: rfc822; {found.group(1)}\nAction: {action}\n"
            f"Status: {code}\nDiagnostic-Code: smtp; {said}"
        )
    return "\n\n".join(blocks)


def status_of(said: str) -> str | None:
    """The enhanced status code (RFC 3463) a server's answer in `said` gives: the first
    in an SMTP reply's form, else the first at all; None when it gives none."""
    found = _REPLY_STATUS.search(said) or _STATUS.search(said)
    return found.group(1) if found else None
