"""Where a picture shown in place stands in a mail: in the text its writer typed, in
their signature, or in the quoted mail. A signature's logo (Outlook's image001.png
under «С уважением») is no file of the letter; a screenshot pasted into the text is,
however small it is. Pure: texts in, places out.

A picture stands where its mark is: Outlook's plain text writes «[cid:...]» for it; an
HTML body shows it with <img src="cid:...">, which `marked` turns into that same mark
before the HTML is read as text (domain.html), so one reading serves both; a picture
pasted as a data: URI is shown so too (domain.datauri gives it a Content-ID).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

from maild.domain.closings import SEPARATOR_RE, VALEDICTION_RE
from maild.domain.placeholders import PLACEHOLDER, cid_of
from maild.domain.quotes import is_quoted, trim_reply

__all__ = [
    "LOGO_MAX",
    "QUOTE",
    "SIGNATURE",
    "TEXT",
    "is_logo_place",
    "marked",
    "places",
    "signed_names",
]

TEXT, SIGNATURE, QUOTE = "text", "signature", "quote"

# A signature's logo is small: a picture of more than this under the signature is one
# the writer pasted there (a screenshot under their name), a file of the letter.
LOGO_MAX = 32 * 1024

# A start tag that may be marked: one that holds "cid:" or a signature's word (the
# others are passed in C, not each given to Python: bench/FINDINGS.md 50); it ends
# at its ">" or at the next "<" (a broken one), so the scan is linear whatever the HTML.
# An <img>'s picture by Content-ID (RFC 2392: "cid:" then the Content-ID, %-encoded),
# of a length a mark holds (placeholders.PLACEHOLDER).
_TAG_RE = re.compile(
    r"<([a-z][a-z0-9]{0,9})\b(?=[^<>]*?(?:cid:|signature|_mailautosig))[^<>]*+>?",
    re.IGNORECASE,
)
_CID_SRC_RE = re.compile(
    r"""\bsrc\s*=\s*["']?\s*cid:([^"'\s<>]{1,200}+)(?![^"'\s<>])""", re.IGNORECASE
)
# What clients call the block they set their signature in: Thunderbird's
# class="moz-signature", Gmail's "gmail_signature", Outlook on the web's id="Signature",
# Outlook's bookmark <a name="_MailAutoSig">. Attribute values are read one by one.
_ATTR_RE = re.compile(r"""\b(?:class|id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>]+))""")
_SIGNATURE_WORDS = ("signature", "_mailautosig")  # (_TAG_RE looks for them too)
NAME_WORDS = 4  # a name is this many words at most: a longer line is a sentence
_SEPARATOR = "<p>--</p>"  # how `marked` shows where such a block opens: a "--" line


def marked(html: str, signatures: bool = True) -> str:
    """``html`` with each <img src="cid:..."> as Outlook's mark of its picture,
    «[cid:...]», a word of the text where the picture stands, and a "--" line where a
    block the client names its signature opens (``signatures``: the text read to tell
    places; the text sent on keeps the pictures' marks alone)."""

    def mark(m: re.Match[str]) -> str:
        tag = m.group(0)
        if m.group(1).lower() == "img":
            src = _CID_SRC_RE.search(tag)
            return f" [cid:{unquote(src.group(1))}] " if src else tag
        low = tag.lower()
        if signatures and any(w in low for w in _SIGNATURE_WORDS) and _names_signature(low):
            return _SEPARATOR + tag
        return tag

    return _TAG_RE.sub(mark, html)


def _names_signature(tag: str) -> bool:
    return any(w in "".join(v) for v in _ATTR_RE.findall(tag) for w in _SIGNATURE_WORDS)


def places(text: str, names: Iterable[str] = ()) -> dict[str, str]:
    """Content-ID (as cid_of gives it) -> where the picture's mark stands in ``text``:
    TEXT, SIGNATURE (at or under the writer's signature: a "-- " line, a closing such as
    «С уважением,», or else the last line that is one of ``names`` alone), or QUOTE
    (the quoted history, or a "> " line). A picture marked twice is where the text
    needs it."""
    lines = text.split("\n")
    mine = trim_reply(text, fallback=False)
    own = len(mine.split("\n")) if mine else 0  # the lines before the quoted history
    start = _signature_start(lines[:own], names)
    found: dict[str, str] = {}
    for i, line in enumerate(lines):
        if "[" not in line:
            continue
        quoted = i >= own or is_quoted(line)
        place = QUOTE if quoted else SIGNATURE if i >= start else TEXT
        for m in PLACEHOLDER.finditer(line):
            cid = cid_of(m.group(1))
            if cid not in found or place == TEXT:
                found[cid] = place
    return found


def signed_names(text: str) -> list[str]:
    """The name a plain ``text`` is signed with: the line under its "-- " or closing
    line, or the name on that line («С уважением, Анна»). An HTML alternative of it that
    drops the "-- " still sets the name over its logo."""
    lines = text.split("\n")
    at = _closing(lines)
    if at is None:
        return []
    names = [lines[at].partition(",")[2]]
    names += [next((s for s in lines[at + 1 :] if s.strip()), "")]
    return [n for n in names if n.strip()]


def is_logo_place(place: str | None, size: int) -> bool:
    """A picture shown in place that is a logo, not a file of the letter: a small one
    in the signature or in the quoted mail; one whose place no text shows (None) is
    judged by its size alone, as a signature's logo a client sends unmarked is."""
    return place != TEXT and size <= LOGO_MAX


def _closing(lines: list[str]) -> int | None:
    """Index of the first "-- " or closing line that is not quoted, or None."""
    for i, line in enumerate(lines):
        s = line.strip()
        if s and not is_quoted(line) and (SEPARATOR_RE.fullmatch(s) or VALEDICTION_RE.fullmatch(s)):
            return i
    return None


def _words(line: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", line.casefold()))


def _signature_start(lines: list[str], names: Iterable[str]) -> int:
    """Index of the line the writer's signature starts at among their own ``lines``
    (len(lines): none found): the first "-- " or closing line, else the last line that
    is one of ``names`` alone («Анна», «Анна Смирнова», «Смирнова Анна» of the From's
    «Анна Смирнова»)."""
    at = _closing(lines)
    if at is not None:
        return at
    known = [words for words in map(_words, names) if 0 < len(words) <= NAME_WORDS]
    for i in range(len(lines) - 1, -1, -1):
        named = _words(lines[i])
        if named and any(named <= words for words in known):
            return i
    return len(lines)
