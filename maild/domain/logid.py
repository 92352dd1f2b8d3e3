"""The Message-ID a log line names: the one the mail itself carries, or `<none>`.

Not the synthetic id maild files mail without one under (message.synthetic_msgid),
nor the one it files mail under whose Message-ID a different mail holds (maildigest):
the admin greps the MTA's log and the mail for what the sender wrote, and a
made-up id matches neither.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser

from maild.domain.headblock import as_read
from maild.domain.maildigest import as_sent
from maild.domain.tid import find_tid


def _headers(raw: bytes) -> Message | None:
    """The header block as the pipeline reads it (headblock.as_read): the ids it names."""
    try:
        return BytesHeaderParser().parsebytes(as_read(raw))
    except Exception:  # a header block too broken to parse still gets its log line
        return None


# C0 and C1 controls and DEL: an escape sequence recolours or clears the terminal the
# admin reads the log on, a bare line feed starts a line that looks like maild's own
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """Text a sender or a client wrote (a Message-ID, an envelope address) as a log
    line shows it: each control character as \\xNN, the rest as it is."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def message_id_for_log(raw: bytes) -> str:
    return _msgid(_headers(raw))


def _msgid(headers: Message | None) -> str:
    value = headers.get("Message-ID") if headers is not None else None
    value = " ".join(str(value).split()) if value else ""
    return printable(value) if value else "<none>"


def mail_for_log(raw: bytes) -> str:
    """What a line about a raw (spooled) message starts with: its Message-ID, and
    `[TID#...]` when its subject names a ticket (read from the headers alone: a
    message that fails processing has no other TID to name)."""
    headers = _headers(raw)
    subject = headers.get("Subject") if headers is not None else None
    tid = None
    if subject:
        try:
            tid = find_tid(str(make_header(decode_header(str(subject)))))
        except Exception:  # a broken encoded word: the tag may stand outside it
            tid = find_tid(str(subject))
    msgid = _msgid(headers)
    return f"{msgid} [TID#{tid}]" if tid else msgid


SYNTHETIC_DOMAIN = "@maild.invalid>"  # message.synthetic_msgid


def logged_id(message_id: str) -> str:
    """A parsed message's id as a log line names it: `<none>` for the id maild made up,
    the Message-ID it carries for one filed under an id of its own (maildigest)."""
    return "<none>" if message_id.endswith(SYNTHETIC_DOMAIN) else as_sent(message_id)


def log_time(when: datetime | str | None, tz: tzinfo | None = None) -> str:
    """A time as log lines say it: to the second, in the desk's zone `tz` (None: the
    zone it carries), one format: 2026-12-06 21:03:26+03:00 (not ISO's microseconds);
    a text that is no time as it is, None as "-"."""
    if when is None:
        return "-"
    if isinstance(when, str):
        try:
            moment = datetime.fromisoformat(when)
        except ValueError:
            return when
    else:
        moment = when
    if tz is not None:
        moment = moment.astimezone(tz)
    return moment.isoformat(sep=" ", timespec="seconds")


def peer_for_log(peer: object) -> str:
    """A client's address as log lines say it: 127.0.0.1:53632, [::1]:53632 (the
    socket's tuple otherwise)."""
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return str(peer) if peer else "an unknown client"
