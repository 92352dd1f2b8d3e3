"""What tells one mail from another that carries the same Message-ID.

Some senders write a constant Message-ID (a web form, a 1C-style mailer: every mail
`<1@localhost.localdomain>`), so the Message-ID alone does not name a mail. The same
mail delivered twice (to support@ and support+x@, an IMAP re-delivery, an MTA retry,
over SMTP and a pipe) differs only in trace headers (Received, Delivered-To,
Return-Path, Authentication-Results, ...), its line endings and the blank lines at
its end; what its sender wrote, From, Subject, Date and the body, is the same.
`content_digest` hashes exactly that. A different mail under a Message-ID another mail
holds is filed under `reused_id`, an id of its own made from both (stable: delivered
again, it is found under it); `as_sent` gives the Message-ID it carried back.
"""

from __future__ import annotations

import hashlib
import re

from maild.domain.mimetree import header_block_end

__all__ = ["as_sent", "content_digest", "former_digest", "reused_id"]

# the header fields the sender wrote that a relay or mailbox leaves as they are
_FIELDS = (b"from", b"subject", b"date")
_PREFIX = "reused-"
_DIGEST_CHARS = 20  # of the digest, in the id: 80 bits tell the mails of one id apart
_REUSED_RE = re.compile(rf"<{_PREFIX}[0-9a-f]{{{_DIGEST_CHARS}}}\.([^<>\s]+)>")


def content_digest(raw: bytes) -> str:
    """A hash of what the sender wrote: From, Subject and Date (unfolded, blanks
    collapsed) and the body after the header block (line endings as LF, trailing
    blank space and lines cut); the block ends where the parser ends it (a script's
    text right under its fields, with no blank line, is body). Linear in the size of
    the mail."""
    data = _lf(raw)
    end = header_block_end(data)
    body = data[end:]
    return _digest(data[:end], body[1:] if body.startswith(b"\n") else body)


def former_digest(raw: bytes) -> str | None:
    """The digest maild made of ``raw`` before its header block ended where the parser
    ends it (at the first empty line alone), when that differs from content_digest:
    mail with a line that is no field above its first empty line; None for all other
    mail. fsck finds the spool copy of mail an older maild filed so (fsckspool.older_ids);
    the pipeline never looks mail up by it: a script's next alert, one line apart, has
    the same former digest as the one before."""
    data = _lf(raw)
    end, block = data.find(b"\n\n"), header_block_end(data)
    if data.startswith(b"\n") or block == (len(data) if end < 0 else end + 1):
        return None  # (both end the block at one place: most mail)
    head, body = (data, b"") if end < 0 else (data[:end], data[end + 2 :])
    former = _digest(head, body)
    return None if former == content_digest(raw) else former


def _lf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _digest(head: bytes, body: bytes) -> str:
    h = hashlib.sha256()
    fields = _fields(head)
    for name in _FIELDS:
        h.update(name + b"\0" + fields.get(name, b"") + b"\0")
    h.update(body.rstrip())
    return h.hexdigest()[:32]


def _fields(head: bytes) -> dict[bytes, bytes]:
    """The first From, Subject and Date of a header block, each unfolded with its
    runs of blank space made one space."""
    found: dict[bytes, list[bytes]] = {}
    current: list[bytes] | None = None
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):  # a folded continuation of the field above
            if current is not None:
                current.append(line)
            continue
        name, colon, value = line.partition(b":")
        key = name.strip().lower()
        current = None
        if colon and key in _FIELDS and key not in found:
            current = found[key] = [value]
    return {k: _one_spaced(b" ".join(v)) for k, v in found.items()}


_BLANKS = bytes.maketrans(b"\t\n\x0b\x0c\r", b"     ")  # what bytes.split() splits at


def _one_spaced(value: bytes) -> bytes:
    """``b" ".join(value.split())`` without a bytes object per word: a 20 MB Subject of
    2.5 million words held 80 MB more so. Runs of blanks are halved a pass at a time."""
    value = value.translate(_BLANKS)
    while b"  " in value:
        value = value.replace(b"  ", b" ")
    return value.strip(b" ")


def reused_id(message_id: str, digest: str) -> str:
    """The id maild files a mail under whose Message-ID a different mail holds:
    `<reused-DIGEST.the-id-it-carries>`, the same every time that mail arrives."""
    return f"<{_PREFIX}{digest[:_DIGEST_CHARS]}.{message_id.strip('<>')}>"


def as_sent(message_id: str) -> str:
    """The Message-ID the mail carried: ``message_id`` itself, or what reused_id made
    the id of its own from."""
    m = _REUSED_RE.fullmatch(message_id)
    return f"<{m.group(1)}>" if m else message_id
