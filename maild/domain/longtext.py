"""A customer's text in mail to staff: the start of a long one, and the whole zipped.

A text pasted whole (a log, a dump) can be megabytes: a staff notice carrying it all
made each staff member's mail as large as the customer's (two 12 MB notices for a
12 MB mail), which mailboxes refuse and mail clients choke on. A mail to staff shows
the first MAX_MAILED_TEXT characters, says so, and the notice about the message
carries the whole text as a zip file (text compresses; Windows opens zip files
itself). The ticket keeps the whole text, as `maild ticket show` and the site show it.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

from maild.domain.redact import redact_credentials

__all__ = [
    "MAX_MAILED_TEXT",
    "MAX_ZIPPED_TEXT",
    "is_zipped_text",
    "mailed_text",
    "redacted_zip",
    "text_ctx",
    "zipped_text",
]

MAX_MAILED_TEXT = 100_000  # characters of a customer's text a mail to staff shows
# Bytes of the zipped whole text a staff notice carries: 6.8 MB in base64, under
# postfix's default message_size_limit (10,240,000). A text that zips larger (a dump
# that does not compress, a 140 MB mail from the IMAP mailbox read as raw text) made
# a notice every relay refused: staff never heard of the ticket. It stays in the ticket.
MAX_ZIPPED_TEXT = 5 * 1024 * 1024


def mailed_text(text: str) -> tuple[str, dict[str, int] | None]:
    """(what a mail to staff shows of ``text``, None or {"shown", "total"} characters
    when it is cut: at the last line break before the limit, if one is near it)."""
    if len(text) <= MAX_MAILED_TEXT:
        return text, None
    end = text.rfind("\n", MAX_MAILED_TEXT // 2, MAX_MAILED_TEXT)
    shown = text[: end if end > 0 else MAX_MAILED_TEXT]
    return shown, {"shown": len(shown), "total": len(text)}


def text_ctx(text: str) -> dict[str, Any]:
    """A mail template's `text` and `text_cut` (templates/text_cut.txt)."""
    shown, cut = mailed_text(text)
    return {"text": shown, "text_cut": cut}


# the name of the long text's file (its TID after it): the credentials job finds it so
ZIPPED_PREFIX = "текст-обращения-"


def zipped_text(text: str, tid: str, when: datetime) -> tuple[str, str, bytes] | None:
    """The whole text as an attachment: (file name, content type, zip bytes), one
    UTF-8 text file inside, dated ``when`` (the mail's arrival, the desk's time); None
    when the zip would be over MAX_ZIPPED_TEXT. Zipped a piece at a time, given up as
    soon as it passes the limit: a text that does not compress (20 MB of random bytes
    read as 8-bit text) took 3.3 s to zip whole."""
    name = f"{ZIPPED_PREFIX}{tid}"
    info = zipfile.ZipInfo(f"{name}.txt", when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, z.open(info, "w") as f:
        for start in range(0, len(text), _ZIP_PIECE):
            f.write(text[start : start + _ZIP_PIECE].encode("utf-8", "surrogatepass"))
            if buf.tell() > MAX_ZIPPED_TEXT:
                return None
    data = buf.getvalue()
    return (f"{name}.zip", "application/zip", data) if len(data) <= MAX_ZIPPED_TEXT else None


_ZIP_PIECE = 1 << 20  # characters encoded and zipped at a time


def is_zipped_text(filename: str | None, content_type: str) -> bool:
    """Whether an attachment of a staff notice is the whole text zipped (zipped_text)."""
    name = filename or ""
    return (
        content_type == "application/zip"
        and name.startswith(ZIPPED_PREFIX)
        and name.endswith(".zip")
    )


def redacted_zip(data: bytes) -> bytes | None:
    """The zipped whole text (zipped_text) with access data blanked as in the ticket
    (redact.redact_credentials: the same text, the same rules), or None if it holds
    none or is no zip. The credentials job rewrites with it the notices that carried
    a text longer than MAX_MAILED_TEXT: their text part shows only its start."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = [(i.filename, z.read(i)) for i in z.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return None
    changed, buf = 0, io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members:
            try:
                text, count = redact_credentials(content.decode("utf-8", "surrogatepass"))
            except UnicodeDecodeError:  # not the text zipped_text writes: as it was
                text, count = "", 0
            changed += count
            z.writestr(name, text.encode("utf-8", "surrogatepass") if count else content)
    return buf.getvalue() if changed else None
