"""qmail's bounce (QSBMF, the qmail-send Bounce Message Format): a plain-text mail,
no multipart/report, that other systems (qmail, netqmail, vpopmail hosts, and many
hosting panels) still send. Read as the report it is, so that it threads onto the
mail it returns and marks a dead address as an RFC 3464 report does.

    Hi. This is the qmail-send program at mail.example.
    I'm afraid I wasn't able to deliver your message to the following addresses.
    This is a permanent error; I've given up. Sorry it didn't work out.

    <ivan@shop.example>:
    Sorry, no mailbox here by that name. (#5.1.1)

    --- Below this line is a copy of the message.

    Return-Path: <...>
    ...

Pure.
"""

from __future__ import annotations

import re

from maild.domain.tid import normalize_msgid

__all__ = ["read"]

_OPENING = re.compile(r"^Hi\. This is the .{0,200}? program at ", re.MULTILINE)
_COPY = re.compile(
    r"^--- (?:Below this line is a copy of the message"
    r"|Enclosed are the original headers of the message)\.?[ \t]*$",
    re.MULTILINE,
)
_RECIPIENT = re.compile(r"^<([^<>\s]+@[^<>\s]+)>:[ \t]*$", re.MULTILINE)
_STATUS = re.compile(r"\(#([245]\.\d{1,3}\.\d{1,3})\)")
_MESSAGE_ID = re.compile(r"^message-id:[ \t]*(.*(?:\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def read(text: str) -> tuple[str, str | None] | None:
    """A qmail bounce's recipients as the fields of a delivery report (Final-Recipient,
    Action, Status, Diagnostic-Code per recipient) and the Message-ID of the copy it
    returns; None when `text` is no qmail bounce."""
    opening = _OPENING.search(text[:2000])
    copy = _COPY.search(text)
    if opening is None or copy is None or copy.start() < opening.start():
        return None
    report = text[opening.start() : copy.start()]
    starts = list(_RECIPIENT.finditer(report))
    blocks = []
    for i, found in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(report)
        said = " ".join(report[found.end() : end].split())
        status = _STATUS.search(said)
        code = status.group(1) if status else "5.0.0"
        action = "failed" if code.startswith("5") else "delayed"
        blocks.append(
            f"Final-Recipient: rfc822; {found.group(1)}\nAction: {action}\n"
            f"Status: {code}\nDiagnostic-Code: smtp; {said}"
        )
    head = text[copy.end() :].lstrip("\n").split("\n\n", 1)[0]
    msgid = _MESSAGE_ID.search(head)
    return "\n\n".join(blocks), normalize_msgid(msgid.group(1)) if msgid else None
