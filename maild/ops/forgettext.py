"""`maild forget` inside a text part: its text in the charset it declares, and a body
sent quoted-printable written again where the scrub changed it.

A customer's mail comes in windows-1251 or koi8-r as often as in UTF-8, and a text
part sent base64 or quoted-printable hides an address from a byte search (an
«@» written =40, an address cut by a soft line break). The scrub works on UTF-8
text; here the part's text is decoded as its charset says, scrubbed, and encoded in
that charset again: a part in a charset Python does not know («unknown-8bit», a typo)
is scrubbed in its bytes, as an ASCII address stands in them all the same, and a byte
that is no text of the charset is kept as it is. A charset that writes one text in more than
one way (UTF-7's «@» direct or as «+AEA-», ISO-2022-JP's escapes) gets back the same
text in Python's way of writing it; a part left whole because of that would keep the
address.
"""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Callable
from itertools import compress, count
from operator import ne

from maild.domain.forget import ERASED_ASCII
from maild.domain.forgetmention import Finds

Scrub = Callable[[bytes], bytes]  # UTF-8 text in, the same text without the person

# A hard line break of a quoted-printable body: a line end with no "=" before it
# (one with "=" is a soft break, the line going on). Two fixed look-behinds: linear.
_HARD = re.compile(rb"(?<!=)(?<!=\r)(\r?\n)")
CHUNK = 1 << 20  # octets of a quoted-printable body read at once (rescrub_qp)
_AS_IS = "surrogateescape"


def codec_of(charset: str) -> str | None:
    """The Python codec of a declared charset, None if there is none of that name."""
    try:
        return codecs.lookup(charset.strip()).name
    except (LookupError, ValueError):
        return None


def recoded(
    data: bytes, charset: str, text: Scrub, mention: Finds, placeholder: str
) -> bytes | None:
    """`data`, a text in `charset`, with `text` applied, in that charset again; None
    when nothing changed or `data` is no text of a charset Python knows.
    UTF-8 is scrubbed as it is, as a byte scrub would. A text the charset cannot
    hold (the erased subject's Cyrillic in latin-1) gets the matches of `mention`
    alone replaced, by `placeholder`, or by ERASED_ASCII where the charset cannot
    write that either (a name's ERASED in latin-1)."""
    codec = codec_of(charset)
    if codec in ("utf-8", None) or (codec == "ascii" and not data.isascii()):
        # as it is: maild's own text, 8-bit text labelled ASCII and text in a charset
        # Python does not know (its charset unknown; the address, ASCII, is found in
        # its bytes all the same: left, it stayed in the kept mail)
        new = text(data)
        return None if new == data else new
    # a byte that is no text of the charset (windows-1251's 0x98) is carried through as
    # it is (surrogateescape): left whole for it, the part kept the address
    try:
        decoded = data.decode(codec, _AS_IS)
        utf8 = decoded.encode("utf-8", _AS_IS)
    except (UnicodeError, LookupError, ValueError):  # LookupError: no text codec (rot13)
        return None
    new = text(utf8)
    if new == utf8:
        return None
    try:
        return new.decode("utf-8", _AS_IS).encode(codec, _AS_IS)
    except UnicodeError:
        pass
    for stand_in in (placeholder, ERASED_ASCII):
        try:
            return mention.sub(stand_in, decoded).encode(codec, _AS_IS)
        except UnicodeError:
            continue
    return None


def rescrub_qp(
    encoded: bytes,
    charset: str,
    text: Scrub,
    mention: Finds,
    placeholder: str,
    eol: bytes = b"\r\n",
) -> bytes:
    """A quoted-printable body scrubbed: each line (up to a hard line break) whose text
    changed is encoded again, in lines of at most 76 characters ended as its own; the
    other lines stay byte for byte (`eol`: the mail's line end, for a body without
    one). The whole body as it was when nothing changed.
    It is read in chunks of about CHUNK octets cut at hard line breaks: a chunk is
    decoded whole (in C), and only one that changes is taken apart line by line (a
    million short lines held as objects at once took gigabytes)."""
    out, at = [], 0
    while at < len(encoded):
        cut = _HARD.search(encoded, min(at + CHUNK, len(encoded)))
        end = cut.end() if cut else len(encoded)
        chunk = encoded[at:end]
        if recoded(binascii.a2b_qp(chunk), charset, text, mention, placeholder) is not None:
            chunk = _rescrub_lines(chunk, charset, (text, mention, placeholder), eol)
        out.append(chunk)
        at = end
    return b"".join(out)


def _rescrub_lines(
    encoded: bytes, charset: str, how: tuple[Scrub, Finds, str], eol: bytes
) -> bytes:
    pieces = _HARD.split(encoded)  # line, its end, line, its end, ..., the last line
    lines = list(map(binascii.a2b_qp, pieces[::2]))  # a soft break is no line end here
    new = recoded(b"\n".join(lines), charset, *how)
    if new is None:
        return encoded
    eol = pieces[1] if len(pieces) > 1 else eol
    new_lines = new.split(b"\n")
    if len(new_lines) != len(lines):  # a line end written =0A (or made by the scrub)
        # each line on its own: binascii's text mode ends a line before a break with
        # «=20» past 76 characters
        return eol.join(qp_line(line, eol) for line in new_lines)
    for i in compress(count(), map(ne, lines, new_lines)):  # the changed lines (in C)
        end = pieces[2 * i + 1] if 2 * i + 1 < len(pieces) else eol
        pieces[2 * i] = qp_line(new_lines[i], end)
    return b"".join(pieces)


def qp_line(data: bytes, eol: bytes) -> bytes:
    """One line of text (no line end in it) quoted-printable, broken by soft line breaks
    ended `eol` into lines of at most 76 characters (RFC 2045 6.7)."""
    # istext=False: a stray CR is written =0D; the only "\n" out is a soft break's
    return binascii.b2a_qp(data, istext=False).replace(b"=\n", b"=" + eol)
