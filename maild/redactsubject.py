"""The subject in the copies credential redaction rewrites (redaction.py): a customer
who writes «Доступ: логин admin пароль Qwerty123» in the subject has it in the
ticket, the spool copy's headers, and the headers and outbox records of every mail
maild sent about the ticket. Each is redacted as the text is (domain.redact), the
TID tags kept, so replies still find the ticket."""

from __future__ import annotations

import json
from email.parser import BytesHeaderParser
from typing import Any

from maild.domain.header_text import decode_compat32
from maild.domain.partread import RAW_POLICY
from maild.domain.redact import redact_subject
from maild.mime import unstructured

# Outlook repeats the subject in Thread-Topic.
_SUBJECT_FIELDS = (b"subject", b"thread-topic")


def redact_head(raw: bytes) -> bytes | None:
    """The raw mail with access data blanked in its Subject and Thread-Topic, the rest
    byte for byte as it was; None if they hold none."""
    head, sep, body = _split(raw)
    eol = b"\r\n" if b"\r\n" in head or not head else b"\n"
    fields: list[list[bytes]] = []
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)  # a continuation line of the field before
        else:
            fields.append([line])
    changed = False
    out = []
    for lines in fields:
        field = b"".join(lines)
        new = _redacted_field(field, eol)
        changed |= new is not None
        out.append(field if new is None else new)
    return b"".join(out) + sep + body if changed else None


def _split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """(head with its last line's end, the blank line, body): the head ends at the
    first empty line, written with CRLF or LF."""
    crlf, lf = raw.find(b"\r\n\r\n"), raw.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return raw[: crlf + 2], b"\r\n", raw[crlf + 4 :]
    if lf >= 0:
        return raw[: lf + 1], b"\n", raw[lf + 2 :]
    return raw, b"", b""


def _redacted_field(field: bytes, eol: bytes) -> bytes | None:
    """One header field (its lines as they came) redacted, and written as maild writes
    a subject (mime.unstructured: encoded words, the TID tag after them readable)."""
    raw_name, colon, _ = field.partition(b":")
    name = raw_name.strip().decode("ascii", "replace")
    if not colon or name.lower().encode() not in _SUBJECT_FIELDS:
        return None
    # decoded as parse() decodes it (8-bit bytes in their detected charset too), but
    # whole: parse() reads a field's first MAX_HEADER_CHARS characters (header_of), and
    # the rewrite from those dropped the rest of a longer field from the copy. The whole
    # field costs what the whole body costs the redaction job (redact is linear).
    msg = BytesHeaderParser(policy=RAW_POLICY).parsebytes(field.rstrip(b"\r\n") + b"\n\n")
    value = msg.get(name)
    text, count = redact_subject(" ".join(decode_compat32("" if value is None else value).split()))
    return unstructured(name, text).replace(b"\r\n", eol) if count else None


def redact_record_line(line: bytes) -> bytes | None:
    """An outbox file's first line (its record, adapters/outfile.py) with the subject
    redacted; None if it holds no access data or is no record to read."""
    try:
        record: Any = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("subject"), str):
        return None
    subject, count = redact_subject(record["subject"])
    if not count:
        return None
    return json.dumps(
        {**record, "subject": subject}, ensure_ascii=False, separators=(",", ":")
    ).encode()
