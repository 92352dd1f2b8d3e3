"""A mail too big to take, as maild takes it instead: its header and a note.

The SMTP/LMTP listener refuses such a mail (552) and the sender's server tells the
sender. A mailbox polled over IMAP has no one to refuse it to: read whole, a mail
cost the worker several times its size in memory (bench/FINDINGS.md 50). So only
its header is read, and the mail
maild takes is that header (its own Content-* fields replaced) with a text saying
how big the mail was: a ticket like any other, its customer confirmed and asked to
send it again, its staff told where the mail itself stays on the server.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from maild.domain.filetypes import size_text

__all__ = ["kept_in", "sizes_of", "stand_in", "staff_error"]

# "<size>; limit=<limit>; folder=<IMAP folder, percent-encoded>": what the stand-in
# stands for, and where the mail itself stays (for staff: the customer is not told)
FIELD = "X-Maild-Oversize"
# (sizes of at most 15 ASCII digits, a petabyte: a mail's own field of 400 digits made
# the size's text overflow a float, of 5,000 int() refuse, and the mail failed)
_VALUE = re.compile(r"\s*([0-9]{1,15})\s*;\s*limit=([0-9]{1,15})\s*(?:;\s*folder=([!-~]*)\s*)?")

# A header field's first line: a name, a colon (RFC 5322 2.2); the lines after it that
# start with a space or tab continue it.
_FIELD = re.compile(rb"^([!-9;-~]+):")
_DROPPED = (b"content-", b"mime-version")


def stand_in(header: bytes, size: int, limit: int, kept_in: str) -> bytes:
    """The mail maild takes for one of `size` bytes over `limit`: its `header` (as
    the server gave it) without its MIME fields, and a text for the ticket: the
    customer's own message on the site, so it asks them to send it again. That the
    mail stays on the server in the folder `kept_in` is for staff: FIELD says it."""
    fields: list[bytes] = []
    keep = False
    for line in header.splitlines():
        if not line.strip():
            break  # the header's end
        field = _FIELD.match(line)
        if field is not None:
            keep = not field.group(1).lower().startswith(_DROPPED)
        elif line[:1] not in (b" ", b"\t"):
            # a line that is no field (a stray byte-order mark): left out, with what
            # folds under it; kept, it would end the block, and the fields after it
            # (the sender's, the stand-in's own) would be read as its body
            keep = False
        if keep:
            fields.append(line)
    note = (
        f"[Письмо размером {size_text(size)} больше, чем принимает служба поддержки "
        f"({size_text(limit)}): его текст и вложения не прочитаны. Пожалуйста, пришлите "
        "текст ещё раз, а файлы — отдельными письмами поменьше.]"
    )
    return b"\r\n".join(
        [
            *fields,
            b"MIME-Version: 1.0",
            b"Content-Type: text/plain; charset=utf-8",
            b"Content-Transfer-Encoding: 8bit",
            f"{FIELD}: {size}; limit={limit}; folder={quote(kept_in, safe='')}".encode(),
            b"",
            note.encode(),
            b"",
        ]
    )


def sizes_of(header: str | None) -> tuple[str, str] | None:
    """(the mail's size, the limit) as people read them, of a stand-in's FIELD
    (``header``: its value); None for any other mail."""
    m = _VALUE.fullmatch(header or "")
    if m is None:
        return None
    return size_text(int(m.group(1))), size_text(int(m.group(2)))


def kept_in(header: str | None) -> str | None:
    """The IMAP folder the mail itself stays in, of a stand-in's FIELD (``header``:
    its value); None for any other mail, or a stand-in of before the folder was named."""
    m = _VALUE.fullmatch(header or "")
    return unquote(m.group(3)) if m is not None and m.group(3) else None


def staff_error(sizes: tuple[str, str]) -> str:
    """Why a staff reply taken as a stand-in is not sent: the customer would get the
    note in its place, and its commands are not read."""
    return (
        f"письмо размером {sizes[0]} больше, чем принимает служба поддержки ({sizes[1]}): "
        "прочитан только его заголовок, поэтому ответ клиенту не отправлен и команды не "
        "выполнены. Само письмо сохранено на почтовом сервере. Отправьте ответ ещё раз, "
        "а файлы — отдельными письмами поменьше."
    )
