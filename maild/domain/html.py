"""Render HTML-only mail as readable plain text for tickets and staff notifications.

Stdlib ``html.parser`` only: block elements become line breaks, links keep their
targets, quotes get "> " prefixes; broken markup never raises (markup too big to follow
tag by tag is read in bulk: domain.htmlbulk). The pictures an HTML body carries inside
itself as ``data:`` URIs are domain.datauri's.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

from maild.domain.htmlbulk import (
    CELL_TAGS,
    LINE_TAGS,
    PARAGRAPH_TAGS,
    SKIP_TAGS,
    bulk_text,
    too_big,
)
from maild.domain.htmlbulk import clean as _clean
from maild.domain.limits import figures
from maild.domain.linktext import same_url

__all__ = ["html_to_text", "meta_charset"]

# Outlook (Word) sets each line typed as a paragraph of these classes, its stylesheet
# giving them no margins, and a blank line as one of them holding only "&nbsp;": read
# as lines, not paragraphs, or every line typed stands apart.
# A list typed in Outlook is of the same kind: each item a paragraph of MsoListParagraph
# (CxSpFirst/Middle/Last), its number or bullet a text of its own.
_WORD_LINE_CLASSES = frozenset(
    {"msonormal", "msoplaintext", "msolistparagraph", "msolistparagraphcxspfirst",
     "msolistparagraphcxspmiddle", "msolistparagraphcxsplast"}
)  # fmt: skip
_VOID_TAGS = frozenset(
    {"br", "img", "hr", "input", "meta", "link", "area", "base", "col", "wbr", "source"}
)
# The tags a start or end tag of does anything for; of any other (<b>, <span>, <font>,
# <meta>, Word's <o:p>) the reader returns at once: hostile mail is made of them.
_ACTING_TAGS = SKIP_TAGS | PARAGRAPH_TAGS | LINE_TAGS | CELL_TAGS | {"a", "img", "br"}
_SPACE_RE = re.compile(r"\s+")
# Nesting deeper than this is drawn as this deep (list indent, "> " per quote): each
# line's prefix stays bounded, so the text grows with the mail, not its square.
_MAX_DRAWN_DEPTH = 10


def _render_link(text: str, href: str) -> str:
    """'text (url)', or only one of them when the other adds nothing."""
    href = href.strip()
    lowered = href.lower()
    if not href or href.startswith("#") or lowered.startswith(("javascript:", "data:")):
        return text
    if lowered.startswith("mailto:"):
        # Show the bare address, without "mailto:" and ?subject=... parameters.
        address = unquote(href[7:].split("?", 1)[0]).strip()
        if not address:
            return text
        if not text or text.lower() in (address.lower(), href.lower()):
            return address
        if address.lower() in text.lower():
            return text
        return f"{text} ({address})"
    if not text:
        return href
    if same_url(text, href):  # the rule of Outlook's plain "URL<URL>" too (linktext)
        return href
    return f"{text} ({href})"


class _TextRenderer(HTMLParser):
    """Collects lines as (quote depth, text); breaks are applied lazily at next text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self._line: list[str] = []
        self._line_has_text = False  # the line holds more than a list bullet
        self._line_depth = 0
        self._pending_breaks = 0  # 1 = new line, 2 = blank line before the next text
        self._pending_space = False
        self._prefix = ""  # list bullet waiting for the item's first text
        self._quote_depth = 0
        self._lists: list[list[int]] = []  # per open list: [is <ol>, its last item's number]
        self._pre_depth = 0
        # Open SKIP_TAGS elements as a stack's height and the lowest level of each name
        # in it (O(1) per tag): an end tag closes that element and all opened inside it.
        self._skip_depth = 0
        self._skip_at: dict[str, int] = {}
        # Open link: href and the text collected inside it.
        self._link: tuple[str, list[str]] | None = None
        self._link_alt = ""
        self._texts = 0  # pieces of text emitted so far
        self._word_line: int | None = None  # _texts where an open Word line paragraph began

    # --- output primitives

    def _request_break(self, count: int) -> None:
        if self._link is not None:
            self._link[1].append(" ")  # a block inside a link only separates words
            return
        self._pending_breaks = max(self._pending_breaks, count)
        self._pending_space = False

    def _flush_line(self) -> None:
        if self._line:
            self.lines.append((self._line_depth, "".join(self._line).rstrip()))
            self._line = []
        self._line_has_text = False

    def _start_text(self) -> None:
        """Apply pending breaks and the list prefix before visible text."""
        if self._pending_breaks and (self._line or self.lines):
            self._flush_line()
            # No blank line right where a quote opens: "wrote:" sits on the quote.
            if self._pending_breaks >= 2 and self.lines and self._quote_depth <= self.lines[-1][0]:
                self.lines.append((self._quote_depth, ""))
        self._pending_breaks = 0
        if not self._line:
            self._line_depth = self._quote_depth
            if self._prefix:
                self._line.append(self._prefix)
                self._prefix = ""
            self._pending_space = False

    def _emit(self, text: str) -> None:
        """Add flowing text: whitespace collapses, spaces between chunks are kept."""
        if self._link is not None:
            self._link[1].append(text)
            return
        text = _SPACE_RE.sub(" ", text)
        if not text:
            return
        lead, trail = text[0] == " ", text[-1] == " "
        core = text.strip()
        if not core:
            self._pending_space = self._pending_space or lead
            return
        self._start_text()
        if (lead or self._pending_space) and self._line_has_text:
            self._line.append(" ")
        self._line.append(core)
        self._line_has_text = True
        self._pending_space = trail
        self._texts += 1

    def _emit_pre(self, text: str) -> None:
        """Preformatted text: keep spaces and line breaks as written."""
        for i, segment in enumerate(text.split("\n")):
            if i:
                if not self._line:
                    self._line_depth = self._quote_depth
                    self._line.append("")
                self._flush_line()
            if segment:
                self._start_text()
                self._line.append(segment.replace("\t", "    "))
                self._line_has_text = True
                self._texts += 1

    def _finish_link(self) -> None:
        if self._link is None:
            return
        href, parts = self._link
        self._link = None
        inner = _SPACE_RE.sub(" ", "".join(parts))
        text = inner.strip() or self._link_alt
        rendered = _render_link(text, href)
        if rendered:
            self._emit((" " if inner.startswith(" ") else "") + rendered)
            self._pending_space = inner.endswith(" ") and bool(inner.strip())
        self._link_alt = ""

    # --- parser callbacks

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ACTING_TAGS:
            return
        if tag == "body":
            self._skip_depth, self._skip_at = 0, {}  # an unclosed <head> ends where the body starts
        if tag in SKIP_TAGS:
            self._skip_at.setdefault(tag, self._skip_depth)
            self._skip_depth += 1
            return
        if self._skip_depth:
            return
        attr = {k: (v or "") for k, v in attrs}
        if tag == "a":
            self._finish_link()  # <a> does not nest; an unclosed one ends here
            self._link = (attr.get("href", ""), [])
        elif tag == "img":
            if self._link is not None and attr.get("alt"):
                self._link_alt = self._link_alt or _clean(attr["alt"]).strip()
        elif tag == "br":
            if self._link is not None:
                self._link[1].append(" ")
            else:
                self._pending_breaks = min(self._pending_breaks + 1, 2)
                self._pending_space = False
        elif tag in CELL_TAGS:
            self._pending_space = True
        elif tag == "li":
            self._request_break(1)
            bullet = "- "
            if self._lists and self._lists[-1][0]:  # <ol>: its steps keep their numbers
                self._lists[-1][1] += 1
                bullet = f"{self._lists[-1][1]}. "
            self._prefix = "  " * max(min(len(self._lists), _MAX_DRAWN_DEPTH) - 1, 0) + bullet
        elif tag in ("ul", "ol"):
            start = attr.get("start", "1").strip()
            n = figures(start)  # (not «²», nor a start of 5,000 figures: from 1)
            number = n - 1 if n is not None else 0
            self._lists.append([tag == "ol", number])
            self._request_break(1)
        elif tag == "blockquote":
            self._request_break(1)
            self._quote_depth += 1
        elif tag == "pre":
            self._request_break(2)
            self._pre_depth += 1
        elif tag == "p" and _WORD_LINE_CLASSES & set(attr.get("class", "").lower().split()):
            self._request_break(1)
            self._word_line = self._texts
        elif tag in PARAGRAPH_TAGS:
            self._request_break(2)
        elif tag in LINE_TAGS:
            self._request_break(1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # "<br/>" must not count twice; "<p/>" and friends act as start and end.
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _ACTING_TAGS:
            return
        if tag in SKIP_TAGS:
            if tag in self._skip_at:
                depth = self._skip_depth = self._skip_at[tag]
                self._skip_at = {t: at for t, at in self._skip_at.items() if at < depth}
            return
        if self._skip_depth:
            return
        if tag == "a":
            self._finish_link()
        elif tag == "br":
            self.handle_starttag("br", [])  # browsers treat "</br>" as "<br>"
        elif tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
            self._request_break(1)
        elif tag == "li":
            self._prefix = ""
            self._request_break(1)
        elif tag == "blockquote":
            self._quote_depth = max(self._quote_depth - 1, 0)
            self._request_break(1)
        elif tag == "pre":
            self._pre_depth = max(self._pre_depth - 1, 0)
            self._request_break(2)
        elif tag == "p" and self._word_line is not None:
            # a line ends; one that held no text is a blank line typed
            self._request_break(1 if self._texts > self._word_line else 2)
            self._word_line = None
        elif tag in PARAGRAPH_TAGS:
            self._request_break(2)
        elif tag in LINE_TAGS:
            self._request_break(1)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        # A block of only &nbsp; is a browser's empty line: webmails (Mail.ru, Yandex)
        # and Outlook write an empty line of a mail so, <div>&nbsp;</div>.
        blank = "\u00a0" in data and not _clean(data).strip()
        if blank and (self._pending_breaks or not self._line):
            self._start_text()
            self._line.append("")
            return
        data = _clean(data)
        if self._pre_depth and self._link is None:
            self._emit_pre(data)
        else:
            self._emit(data)

    def close(self) -> None:
        super().close()
        self._finish_link()
        self._flush_line()

    # Comments (including Outlook's conditional ones), doctypes, processing
    # instructions and marked sections carry nothing for the reader.
    def handle_comment(self, data: str) -> None:
        return

    def handle_decl(self, decl: str) -> None:
        return

    def handle_pi(self, data: str) -> None:
        return

    def unknown_decl(self, data: str) -> None:
        return


def _assemble(lines: list[tuple[int, str]]) -> str:
    out: list[str] = []
    for depth, text in lines:
        line = ("> " * min(depth, _MAX_DRAWN_DEPTH) + text).rstrip()
        blank = not text.strip()
        # At most one blank line in a row, none at the edges.
        if blank and (not out or out[-1].strip(" >") == ""):
            continue
        out.append(line)
    while out and not out[-1].strip(" >"):
        out.pop()
    return "\n".join(out)


def html_to_text(html: str) -> str:
    """Convert an HTML mail body to plain text a person can read and quote.

    Never raises: malformed markup is rendered as well as it can be. Markup of more
    tags than htmlbulk.MAX_PIECES, or that the parser chokes on, is read in bulk there.
    """
    if not html:
        return ""
    if too_big(html):
        return bulk_text(html)
    try:
        renderer = _TextRenderer()
        renderer.feed(html)
        renderer.close()
        return _assemble(renderer.lines)
    except Exception:  # the text of a mail must come out whatever the markup
        try:
            return bulk_text(html)
        except Exception:
            return ""


# <meta charset="koi8-r"> or <meta http-equiv="Content-Type" content="text/html;
# charset=windows-1251">, looked for where a browser looks: near the start.
_META_CHARSET_RE = re.compile(
    rb"<meta\b[^>]{0,500}?charset\s*=\s*[\"']?\s*([a-z0-9_:.-]{1,40})", re.IGNORECASE
)
META_SCAN_BYTES = 4096


def meta_charset(data: bytes) -> str | None:
    """The charset an HTML document names in its own <meta> tag, or None.

    An HTML-only mail from Outlook or an old webmail often labels its charset there
    and nowhere in the MIME header.
    """
    match = _META_CHARSET_RE.search(data[:META_SCAN_BYTES])
    return match.group(1).decode("ascii") if match else None
