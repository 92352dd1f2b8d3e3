"""Inline PGP in a plain text (RFC 4880 §6.2, §7): what the sender wrote, read out of
its armour. Pure: text in, text out.

A clear-signed block (-----BEGIN PGP SIGNED MESSAGE-----, its Hash: lines, the text,
the signature) is read as its text, the dash-escapes of §7.1 undone («- -- » is the
«-- » the sender typed); its armour and signature are no words of the sender. The
signature is not checked, as no S/MIME one is (domain.smime). An encrypted block
(-----BEGIN PGP MESSAGE----- ... -----END PGP MESSAGE-----) is cut out and returned
apart: support holds no customer's key, so it is asked for again without encryption
(domain.attachments). Text before and after a block is kept as it stands; a block
that does not end as the RFC says (no signature, a line no armour holds) is no block,
and its lines stay text. Armour lines are known at a line's start, trailing blanks
(and the "\\r" of CRLF text) aside; a quoted one («> -----BEGIN ...») is quoted text.

Linear time and no string per line (a 20 MB text of short lines stays one string):
the text is searched for the lines that open, divide and end blocks, each part of it
looked at once by the search and once by the block it is in; a block that breaks off
is searched on from the line it broke at (which may open the next one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ENCRYPTED_NAME", "Inline", "read_inline"]

# The file an encrypted block is kept as: the name PGP/MIME clients give theirs
# (Thunderbird, Enigmail), so the customer and staff read the same of either.
ENCRYPTED_NAME = "encrypted.asc"

_END_OF_LINE = r"[^\S\n]*(?:\n|\Z)"  # trailing blanks, "\r" too, and the line's end
_OPENING = re.compile(r"(?m)^-----BEGIN PGP (SIGNED MESSAGE|MESSAGE)-----" + _END_OF_LINE)
# In a clear-signed text, a line that may end it: the signature's, or one that opens a
# block (a dash-escaped text holds none; the block then breaks off there).
_DIVIDER = re.compile(r"(?m)^-----BEGIN PGP ([^\n]*?)-----" + _END_OF_LINE)
# The armour headers under the first line ("Hash: SHA256"), then the one empty line.
_HEADERS = re.compile(r"(?:[A-Za-z][A-Za-z0-9-]*:[^\n]*\n)*+")
_EMPTY = re.compile(_END_OF_LINE.replace(r"(?:\n|\Z)", r"\n"))
# GnuPG's --not-dash-escaped writes this header above a text it left unescaped.
_NOT_ESCAPED = re.compile(r"(?im)^notdashescaped:")
_ESCAPE = re.compile(r"(?m)^- ")
# An armour's body: its headers ("Version: ..."), the empty line under them, radix-64
# lines and the "=XXXX" checksum; then its last line.
_ARMOUR = re.compile(r"(?:[A-Za-z0-9+/=]*[^\S\n]*\n|[A-Za-z][A-Za-z0-9-]*: [^\n]*\n)*+")
_SIGNATURE_END = re.compile("-----END PGP SIGNATURE-----" + _END_OF_LINE)
_MESSAGE_END = re.compile("-----END PGP MESSAGE-----" + _END_OF_LINE)


@dataclass(frozen=True)
class Inline:
    """A plain text read: each clear-signed block's text in its place, each encrypted
    block cut out; ``encrypted`` holds those blocks, armour and all."""

    text: str
    encrypted: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Block:
    """What stands from a BEGIN line on: a block ending at ``end`` (``whole``), or
    none, broken off at the line starting at ``end``. ``reading``: a clear-signed
    block's text."""

    whole: bool
    end: int
    reading: str | None = None


def read_inline(text: str) -> Inline:
    """``text`` with its complete inline PGP blocks read (the module's docstring); a
    text holding none comes back unchanged."""
    if "-----BEGIN PGP " not in text:
        return Inline(text)
    out: list[str] = []
    encrypted: list[str] = []
    copied = at = 0  # text[:copied] is read into out; the search goes on from `at`
    while (opening := _OPENING.search(text, at)) is not None:
        if opening.group(1) == "MESSAGE":
            block = _armour(text, opening.end(), _MESSAGE_END)
        else:
            block = _signed(text, opening.end())
        at = block.end
        if not block.whole:
            continue
        out.append(text[copied : opening.start()])
        if block.reading is None:
            encrypted.append(text[opening.start() : block.end])
        else:
            out.append(block.reading)
        copied = block.end
    out.append(text[copied:])
    return Inline("".join(out), tuple(encrypted))


def _armour(text: str, start: int, last: re.Pattern[str]) -> _Block:
    """The armour body from ``start`` on, up to its ``last`` line."""
    body = _ARMOUR.match(text, start)
    assert body is not None  # it matches "" too
    ending = last.match(text, body.end())
    return _Block(True, ending.end()) if ending else _Block(False, body.end())


def _signed(text: str, start: int) -> _Block:
    """A clear-signed block whose headers start at ``start``, read."""
    headers = _HEADERS.match(text, start)
    assert headers is not None  # it matches "" too
    empty = _EMPTY.match(text, headers.end())
    if empty is None:
        return _Block(False, headers.end())
    escaped = _NOT_ESCAPED.search(headers.group()) is None
    at = empty.end()
    while (line := _DIVIDER.search(text, at)) is not None:
        kind = line.group(1)
        if kind == "SIGNATURE":
            signature = _armour(text, line.end(), _SIGNATURE_END)
            if not signature.whole:
                return signature
            signed = text[empty.end() : line.start()]
            return _Block(True, signature.end, _ESCAPE.sub("", signed) if escaped else signed)
        if kind in ("SIGNED MESSAGE", "MESSAGE"):
            return _Block(False, line.start())
        at = line.end()  # another armour's line (a key pasted unescaped): text
    return _Block(False, len(text))
