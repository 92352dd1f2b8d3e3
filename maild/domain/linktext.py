"""A link in plain text: when its text and its target say the same (same_url), and
Outlook's plain text of a link, `text<target>`, collapsed to one URL where they do
(collapsed_links).

Outlook writes a link typed or pasted into an answer as its text, then the target in
angle brackets: «https://docs.example.com/pay<https://docs.example.com/pay>»,
«ivan@shop.ru<mailto:ivan@shop.ru>». Sent to the customer as written, the address
stood there twice. Where the text says something else («Инструкция<https://...>»,
or another address: what the reader sees is not where the link leads) both stay.

Pure text in, text out; html.py reads <a href> by the same rule.
"""

from __future__ import annotations

import re

__all__ = ["collapsed_links", "same_url"]

# `text<target>`: the text a run of characters with no space right before "<" (so
# "see <https://x>" has none), the target a URL with a scheme ("https://", "ftp://",
# "mailto:"): «List<String>» or «a<b>» in a pasted piece of code is no link.
# The text is looked for only from the start of its run (the lookbehind): tried from
# each of its characters, a pasted key or log line of 60,000 characters before a "<"
# cost 23 s, and every match found so starts at a run's start anyway. Each run is
# read a few times at most: linear.
LINK_RE = re.compile(
    r"(?<![^\s<>])(?P<text>[^\s<>]+)<(?P<target>(?:[a-z][a-z0-9+.-]*://|mailto:)[^\s<>]+)>",
    re.IGNORECASE,
)
# What may stand before a link's text and is not part of it: «(https://x<https://x>)».
OPENERS = "([{«\"'„“"
SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*://")


def same_url(text: str, href: str) -> bool:
    """True if a link's ``text`` names its target ``href``: the same URL but for case,
    the scheme, "www." and a closing "/" («www.example.com» for
    «http://www.example.com/»)."""
    return _normalized(text) == _normalized(href)


def _normalized(url: str) -> str:
    url = SCHEME_RE.sub("", url.strip().lower())
    return url.removeprefix("www.").rstrip("/")


def collapsed_links(text: str) -> str:
    """``text`` with each Outlook `text<target>` whose text names its target written
    once: the target (it says where the link leads), or the address of a
    `address<mailto:address>`. A text that says something else keeps both; nothing
    else changes, so no URL is lost."""
    if "<" not in text:
        return text
    return LINK_RE.sub(_one, text)


def _one(m: re.Match[str]) -> str:
    written, target = m.group("text"), m.group("target")
    link = written.lstrip(OPENERS)
    before = written[: len(written) - len(link)]
    if target[:7].lower() == "mailto:":  # the address alone, as typed («?subject=»: both)
        return before + link if target[7:].lower() == link.lower() else m.group(0)
    return before + target if link and same_url(link, target) else m.group(0)
