"""Which leaves of a MIME tree are the sender's text, and how the alternatives of one
text are read together (mimeparts.read_body walks the tree). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from email.message import Message

from maild.domain import logos
from maild.domain.header_text import filename_of
from maild.domain.html import html_to_text
from maild.domain.htmlbulk import too_big
from maild.domain.partread import content_type, parts_of
from maild.domain.placeholders import PLACEHOLDER, cid_of

__all__ = ["RTF", "TextGroup", "alternative_of", "disposition", "leaf_kind", "parents_of"]


@dataclass
class TextGroup:
    """Body text leaves that are alternatives of each other (or one lone leaf)."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    rich: list[str] = field(default_factory=list)  # enriched, RTF: read where no other is

    def render(self, in_text: Collection[str] = ()) -> str:
        """The text: the plain one, else the HTML's with its pictures' marks, else the
        rich one's words. ``in_text``: the Content-IDs of pictures pasted into the text
        (logos.TEXT): an HTML that shows one beside a plain text that marks no picture
        (a webmail's, Thunderbird's drops them; Outlook's marks each «[cid:...]») is
        read instead, with the mark, unless it is read in bulk (htmlbulk): the plain
        text keeps more."""
        plain = "\n".join(self.plain)
        if plain.strip() and not (in_text and self.html and self._unmarked(plain)):
            return plain
        html = "\n".join(html_to_text(_pictures_marked(h)) for h in self.html)
        if plain.strip():
            return html if _marks(html) & set(in_text) else plain
        return html if html.strip() or not self.rich else "\n".join(self.rich)

    def _unmarked(self, plain: str) -> bool:
        return PLACEHOLDER.search(plain) is None and not self._bulky()

    def in_bulk(self) -> bool:
        """Whether render() reads an HTML too big to follow tag by tag (htmlbulk)."""
        return not "\n".join(self.plain).strip() and self._bulky()

    def _bulky(self) -> bool:
        return any(too_big(h) for h in self.html)

    def marked(self) -> str:
        """The text with the marks of its pictures where they stand: the HTML's, read
        with its <img src="cid:..."> and signature blocks marked (logos.marked), else
        the plain text's own (Outlook's «[cid:...]»). The HTML comes first: it shows
        where a client set its signature (Outlook's own bookmark, Thunderbird's block),
        which its plain text does not."""
        if any(_CID_RE.search(h) for h in self.html):
            return "\n".join(html_to_text(logos.marked(h)) for h in self.html)
        return "\n".join(self.plain)

    def signed(self) -> list[str]:
        """The name the plain text is signed with (logos.signed_names)."""
        return logos.signed_names("\n".join(self.plain))


_CID_RE = re.compile(r"cid:", re.IGNORECASE)


def _marks(text: str) -> set[str]:
    """The Content-IDs of the pictures ``text`` marks where they stand («[cid:...]»)."""
    return {cid_of(m.group(1)) for m in PLACEHOLDER.finditer(text)}


def _pictures_marked(html: str) -> str:
    """``html`` with each picture shown in place as its mark, «[cid:...]», where it
    stands (logos.marked): the reader of the text sees where the picture was, and
    mimeparts names it by its file, or removes a logo's mark with the logo."""
    return logos.marked(html, signatures=False) if _CID_RE.search(html) else html


# Rich text sent as a body (RFC 1896 enriched, RFC 1341 richtext, RTF): read as the
# words it formats, where the mail has no plain or HTML text beside it.
RICH = frozenset({"text/enriched", "text/richtext", "text/rtf", "application/rtf"})
RTF = frozenset({"text/rtf", "application/rtf"})
CALENDAR = frozenset({"text/calendar", "application/ics"})


def leaf_kind(part: Message, msg: Message, ctype: str, parents: dict[int, Message]) -> str | None:
    """How a leaf of ``msg`` is read: "text" (plain, HTML; a multipart whose boundary
    never shows up arrives as one opaque leaf, its content still the sender's text),
    "rich" (enriched, RTF), "other" (another rendering of the text beside it in its
    multipart/alternative: the calendar of an invitation from Outlook, Teams or Google,
    Gmail's AMP: neither text maild reads nor a file the sender attached), or None: a
    file, as is a calendar sent as the whole mail (kept as invite.ics)."""
    shown = disposition(part) != "attachment"
    if shown and filename_of(part) is None:
        if ctype in ("text/plain", "text/html") or ctype.startswith("multipart/"):
            return "text"
        if ctype in RICH:
            return "rich"
        if part is msg and ctype.startswith("text/") and ctype not in CALENDAR:
            return "text"  # (a calendar sent as the mail itself is the calendar: a file)
    parent = parents.get(id(part))
    if (
        shown
        and (ctype.startswith("text/") or ctype in CALENDAR)
        and ctype not in ("text/plain", "text/html")
        and parent is not None
        and content_type(parent) == "multipart/alternative"
    ):
        return "other"
    return None


def disposition(part: Message) -> str:
    """The Content-Disposition's type, lower-cased ("" without one)."""
    return str(part.get("content-disposition", "")).split(";")[0].strip().lower()


def alternative_of(part: Message, parents: dict[int, Message]) -> int:
    """id of the nearest multipart/alternative around ``part``, else of the part."""
    node = parents.get(id(part))
    while node is not None:
        if content_type(node) == "multipart/alternative":
            return id(node)
        node = parents.get(id(node))
    return id(part)


def parents_of(msg: Message) -> dict[int, Message]:
    """id of each part of ``msg`` -> the multipart it is in."""
    parents: dict[int, Message] = {}
    stack = [msg]
    while stack:
        node = stack.pop()
        for child in parts_of(node) or ():
            parents[id(child)] = node
            stack.append(child)
    return parents
