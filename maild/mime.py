"""A mail's wire form, written by hand: header fields (folded, RFC 2047 encoded words)
and body parts (the text part, multipart/mixed with files, base64 for a relay without
8BITMIME). maild/render.py puts a mail together from these.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from email.message import Message
from email.policy import compat32

from maild.domain.addresses import a_labelled, getaddresses

WIRE = compat32.clone(linesep="\r\n")


def multipart(message_id: str, body: str, attachments: Sequence[tuple[str, str, bytes]]) -> bytes:
    """The text, then each file (name, type, data) in base64, named as RFC 2231 says
    (filename*) and as Outlook reads it (name="=?utf-8?b?..."), as multipart/mixed."""
    boundary = f"=_maild_{message_id.strip('<>').replace('@', '.')}".encode()
    parts = [text_part(body)]
    for filename, ctype, data in attachments:
        disposition = Message()
        disposition.add_header(
            "Content-Disposition", "attachment", filename=("utf-8", "", filename)
        )
        name = encoded_words(filename)
        parts.append(
            f'Content-Type: {ctype or "application/octet-stream"}; name="{name}"\r\n'.encode()
            + b"Content-Transfer-Encoding: base64\r\n"
            + disposition.as_bytes(policy=WIRE).rstrip(b"\r\n")
            + b"\r\n\r\n"
            + base64.encodebytes(data).replace(b"\n", b"\r\n")
        )
    return b"".join(
        [
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n',
            *(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts),
            b"--" + boundary + b"--\r\n",
        ]
    )


# An 8bit line may hold 998 octets (RFC 5322 2.1.1); longer ones go out as base64.
MAX_LINE = 998
_CONTROL = "\x00\r\x0b\x0c\x7f"  # what no 8bit text line may hold: base64 then


def text_part(body: str) -> bytes:
    """The text part: as written (7bit or 8bit UTF-8, CRLF line ends) when every line
    fits, else base64. Plain 8bit text is smaller than base64 and has a third of its
    lines, and every SMTP hop reads mail line by line; a relay without 8BITMIME
    gets it converted (seven_bit)."""
    data = body.encode("utf-8")
    plain = not any(c in body for c in _CONTROL)
    if plain and max(map(len, data.split(b"\n"))) <= MAX_LINE:
        cte = b"7bit" if data.isascii() else b"8bit"
        if not data.endswith(b"\n"):
            data += b"\n"
        encoded = data.replace(b"\n", b"\r\n")
    else:
        cte = b"base64"
        encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return b"".join(
        [
            b'Content-Type: text/plain; charset="utf-8"\r\n',
            b"Content-Transfer-Encoding: " + cte + b"\r\n\r\n",
            encoded,
        ]
    )


def seven_bit(raw: bytes) -> bytes:
    """The same mail with every 8bit part re-encoded as base64: for a relay that
    does not announce 8BITMIME (RFC 6152)."""
    from email import message_from_bytes
    from email.policy import default

    msg = message_from_bytes(raw, policy=default)
    for part in msg.walk():
        if str(part.get("Content-Transfer-Encoding", "")).lower() == "8bit":
            text = part.get_content()
            part.set_content(text, subtype=part.get_content_subtype(), cte="base64")
    return msg.as_bytes(policy=default.clone(linesep="\r\n"))


# -- header fields ---------------------------------------------------------------
# Written by hand: the stdlib's header registry and folder cost many times more. What
# holds (property tests in tests/unit/test_render_headers.py): `email.message_from_bytes(
# raw, policy=email.policy.default)` reads back every address and display name (see
# mailbox; a domain in A-labels where addresses.a_labelled spells it so) and every other
# field's text; no value starts a field; lines ≤ 998 octets.

ADDRESS_FIELDS = frozenset({"From", "To", "Cc", "Bcc", "Reply-To", "Sender"})
ID_FIELDS = frozenset({"Message-ID", "In-Reply-To", "References"})
FOLD_AT = 78  # RFC 5322 2.1.1: a line SHOULD stay within 78 characters
_BARE = re.compile(r"[A-Za-z0-9!#$%&'*+/=^_`{|}~.-]+@[A-Za-z0-9.-]+")
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_BLANKS = re.compile(r"[ \t\r\n]\s*")


def header_line(name: str, value: str) -> bytes:
    """One header field, folded and CRLF-ended. Address fields take a list of
    addresses as text ("a@x", "Name <a@x>", comma-separated, display names decoded).
    Ids are folded between, never encoded (RFC 2047 5); one of 8-bit characters (a
    Cyrillic host name) threads in no client: left out (with the field, if alone)."""
    if name in ADDRESS_FIELDS:
        return address_field(name, [value])
    if name in ID_FIELDS:
        ids = [i for i in value.split() if _plain(i)]
        return _fold(name, ids, "") if ids else b""
    return unstructured(name, value)


def address_field(name: str, entries: list[str]) -> bytes:
    """`name: a, b, ...`: every address of every entry (bare, "Name <a@x>", or a
    comma-separated list of these), as many to a line as fit."""
    pairs: list[tuple[str, str]] = []
    for entry in entries:
        if _BARE.fullmatch(entry):  # a lower-cased bare address: the usual case
            pairs.append(("", entry))
        else:
            pairs.extend((n, a) for n, a in getaddresses([entry]) if n or a)
    return mailbox_field(name, pairs)


def mailbox_field(name: str, pairs: list[tuple[str, str]]) -> bytes:
    """`name: ...` of (display name, address) pairs."""
    return _fold(name, [mailbox(n, a) for n, a in pairs], ",")


def mailbox(display: str, addr: str) -> str:
    """`addr` or `display <addr>`. The name is one line of text: a space, tab or line
    break and the whitespace after it read as one space (so the stdlib's parser reads
    an encoded word, and it refuses line breaks in a name). An ASCII local part at a
    non-ASCII domain goes in A-labels (addresses.a_labelled: boss@xn--80atjc.xn--p1ai,
    not 8-bit octets a relay without SMTPUTF8 must not carry), as the envelope has it."""
    addr = a_labelled(addr)
    if not display:
        return addr
    display = _BLANKS.sub(" ", display)
    if "=?" not in display and len(display) < 200:  # "=?" would be read as an encoded word
        if _ATOMS.fullmatch(display):
            return f"{display} <{addr}>"
        if display.isascii() and display.isprintable():
            quoted = display.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{quoted}" <{addr}>'
    # One encoded word, as formataddr writes it: the stdlib's address parser puts a
    # space between adjacent encoded words of a name (RFC 2047 6.2 says to drop it),
    # so a name is split only when one word would not fit a line.
    word = _word(display.encode("utf-8", "replace"))
    if len(word) + len(addr) + 16 > MAX_LINE:
        word = encoded_words(display)
    return f"{word} <{addr}>"


def unstructured(name: str, value: str) -> bytes:
    """Free text (Subject): as written when plain ASCII, else RFC 2047 encoded words
    with an ASCII tail such as " [TID#1234-5678]" kept readable in the raw mail."""
    if _plain(value) and len(name) + len(value) < 996:
        return f"{name}: {value}\r\n".encode()
    head, sep, tail = value.rpartition(" [")
    if sep and _plain(tail) and len(tail) < FOLD_AT - 2:
        return f"{name}: {encoded_words(head)}\r\n [{tail}\r\n".encode()
    return f"{name}: {encoded_words(value)}\r\n".encode()


def _plain(text: str) -> bool:
    """Text the stdlib reads back as written: ASCII, no line break, no "=?" (it would
    be decoded as an encoded word), no blank at either end (the parser strips it)."""
    return (
        text.isascii()
        and "\r" not in text
        and "\n" not in text
        and "=?" not in text
        and text == text.strip(" \t")
    )


def _fold(name: str, items: list[str], sep: str) -> bytes:
    """`name: item<sep> item...`, the line broken before an item that would pass
    FOLD_AT; an item may hold folds of its own (a name split into encoded words)."""
    if len(items) < 2:  # nothing to break between
        return f"{name}: {''.join(items)}\r\n".encode()
    out, column = [f"{name}:"], len(name) + 1
    for i, item in enumerate(items):
        text = " " + item + (sep if i < len(items) - 1 else "")
        if i and column + len(text.partition("\r\n")[0]) > FOLD_AT:
            out.append("\r\n")
            column = 0
        out.append(text)
        column = len(text.rpartition("\r\n")[2]) if "\r\n" in text else column + len(text)
    out.append("\r\n")
    return "".join(out).encode()


_WORD_BYTES = 42  # UTF-8 bytes per encoded word: 56 base64 characters, 68 in all


def encoded_words(text: str) -> str:
    """RFC 2047: `text` as UTF-8 base64 encoded words, one per folded line, each
    at most 68 characters (a line with its header name stays under 78), never
    splitting a character. The stdlib's Header does the same at many times the cost."""
    data = text.encode("utf-8", "replace")  # a lone surrogate from broken input: "?"
    words: list[str] = []
    start, end = 0, len(data)
    while True:
        cut = min(start + _WORD_BYTES, end)
        while cut < end and data[cut] & 0xC0 == 0x80:  # not inside a character
            cut -= 1
        words.append(_word(data[start:cut]))
        start = cut
        if start >= end:
            return "\r\n ".join(words)


def _word(data: bytes | bytearray) -> str:
    return "=?utf-8?b?" + base64.b64encode(bytes(data)).decode("ascii") + "?="
