"""`maild forget` in a header field written as RFC 2047 encoded words, in any charset.

A subject «Прошу удалить ivan@shop.ru» from a customer's client is a word
=?windows-1251?B?...?= where a byte search does not see the address; maild's own
mail writes such words in UTF-8 (mime.encoded_words), an address often cut between
two of them. Each run of words (only blank space between them, which a reader drops)
is decoded; where the address stands the placeholder is put in the word it begins
in, and the characters of the address leave the words they were in. Only the words
that changed are written again, in their own charset and encoding (B or Q); every
other byte of the field, its folds and its clear text stay. A word in a charset Python
does not know is read byte for byte (latin-1), so an ASCII address in it goes too; a
word its bytes are no text of ends a run, the words on either side read without it.
"""

from __future__ import annotations

import base64
import binascii
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

from maild.domain.forget import ERASED_ASCII
from maild.domain.forgetmention import Finds
from maild.ops.forgettext import codec_of

# charset (an RFC 2231 language after "*"), encoding, text: no blank space, no "?"
_WORD = re.compile(rb"=\?([^?\s*]+)(\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_FIELD_END = re.compile(rb"(\r?\n)(?![ \t])")  # a field goes on while its lines start blank
MAX_WORD = 75  # characters of an encoded word (RFC 2047 2)
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


@dataclass(frozen=True)
class _Word:
    head: bytes  # "=?charset?B?" as written
    codec: str
    base64: bool
    text: str
    size: int  # characters as written


def scrub_fields(block: bytes, mention: Finds, placeholder: str) -> bytes:
    """The header block, each run of encoded words that names the person (decoded)
    written again without them."""
    if b"=?" not in block:
        return block
    nl = block.find(b"\n")
    eol = b"\r\n" if nl > 0 and block[nl - 1 : nl] == b"\r" else b"\n"
    pieces = _FIELD_END.split(block)  # field, its end, field, ...
    for i in range(0, len(pieces), 2):
        name, colon, value = pieces[i].partition(b":")
        if colon and b"=?" in value:
            pieces[i] = name + colon + _scrub_value(value, mention, placeholder, eol)
    return b"".join(pieces)


def _runs(value: bytes) -> Iterator[list[tuple[re.Match[bytes], _Word]]]:
    """The runs of encoded words of a field's value, in order, each word read; a word
    that cannot be read is in none (left as it is) and ends the run before it."""
    run: list[tuple[re.Match[bytes], _Word]] = []
    for m in _WORD.finditer(value):
        word = _read(m)
        if run and (word is None or value[run[-1][0].end() : m.start()].strip()):
            yield run
            run = []
        if word is not None:
            run.append((m, word))
    if run:
        yield run


def _scrub_value(value: bytes, mention: Finds, placeholder: str, eol: bytes) -> bytes:
    out: list[bytes] = []
    at = 0
    for run in _runs(value):
        # ERASED_ASCII where the words' charset cannot write the placeholder (latin-1)
        new = _scrub_run(value, run, mention, placeholder, eol)
        if new is None and placeholder != ERASED_ASCII:
            new = _scrub_run(value, run, mention, ERASED_ASCII, eol)
        if new is not None:
            out += [value[at : run[0][0].start()], new]
            at = run[-1][0].end()
    return b"".join(out) + value[at:] if out else value


def _read(m: re.Match[bytes]) -> _Word | None:
    """An encoded word decoded (in a charset Python does not know, byte for byte);
    None if its bytes are no text of its charset (it is then left alone)."""
    charset, language, kind, payload = m.groups()
    codec = codec_of(charset.decode("ascii", "replace")) or "latin-1"
    b64 = kind in b"bB"
    try:
        if b64:
            data = binascii.a2b_base64(payload + b"=" * (-len(payload) % 4))
        else:
            data = binascii.a2b_qp(payload, header=True)
        text = data.decode(codec)
    except (binascii.Error, UnicodeError, LookupError, ValueError):
        return None
    head = b"=?" + charset + (language or b"") + b"?" + kind + b"?"
    return _Word(head, codec, b64, text, m.end() - m.start())


def _scrub_run(
    value: bytes,
    run: list[tuple[re.Match[bytes], _Word]],
    mention: Finds,
    placeholder: str,
    eol: bytes,
) -> bytes | None:
    """The run of words written again without the person; None when it does not name
    them or its charset cannot write what stays."""
    words = [w for _, w in run]
    texts = [w.text for w in words]
    joined = "".join(texts)
    if mention.search(joined) is None:
        return None
    spread = _spread(texts, joined, mention, placeholder)
    out: list[bytes] = []
    for i, (m, word) in enumerate(run):
        new = spread[i]
        gap = value[run[i - 1][0].end() : m.start()] if i else b""
        if new == word.text:
            out += [gap, m.group()]
        elif new:  # (a word emptied goes, with the blank before it: a reader drops both)
            encoded = _encode(word, new, eol)
            if encoded is None:
                return None
            out += [gap, encoded]
    return b"".join(out)


def _spread(texts: list[str], joined: str, mention: Finds, placeholder: str) -> list[str]:
    """Each word's new text: the characters of each match of `mention` in `joined`
    leave the words they were in, the placeholder goes where the match begins."""
    starts = [0, *accumulate(len(t) for t in texts)]
    pieces: list[list[str]] = [[] for _ in texts]

    def keep(a: int, b: int) -> None:  # joined[a:b] stays, in the words it was in
        for i in range(max(bisect_right(starts, a) - 1, 0), len(texts)):
            if starts[i] >= b:
                break
            pieces[i].append(joined[max(a, starts[i]) : min(b, starts[i + 1])])

    at = 0
    for m in mention.finditer(joined):
        keep(at, m.start())
        pieces[bisect_right(starts, m.start()) - 1].append(placeholder)
        at = m.end()
    keep(at, len(joined))
    return ["".join(p) for p in pieces]


def _encode(word: _Word, text: str, eol: bytes) -> bytes | None:
    """`text` as the word's charset and encoding write it: one word, or (when it passes
    MAX_WORD and the word did not) several on lines of their own; None if the charset
    cannot hold it."""
    try:
        one = _word(word, text.encode(word.codec))
        if len(one) <= MAX_WORD or word.size > MAX_WORD:
            return one
        chunks: list[bytes] = []
        for ch in text:  # a short text (one word's): whole characters in each word
            data = ch.encode(word.codec)
            if chunks and len(_word(word, chunks[-1] + data)) <= MAX_WORD:
                chunks[-1] += data
            else:
                chunks.append(data)
    except UnicodeError:
        return None
    return (eol + b" ").join(_word(word, c) for c in chunks)


def _word(word: _Word, data: bytes) -> bytes:
    if word.base64:
        payload = base64.b64encode(data)
    else:
        payload = b"".join(
            bytes([c]) if c in _Q_SAFE else b"_" if c == 32 else b"=%02X" % c for c in data
        )
    return word.head + payload + b"?="
