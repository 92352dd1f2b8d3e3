"""What the support mailbox's own mail system adds to every mail from outside, taken off
before maild reads the mail: the warning paragraph at the top of the body («CAUTION:
This email originated from outside of the organization...») and the tag in front of
the subject ("[EXTERNAL]"), as listed in [support] inbound_banners and
inbound_subject_tags (README, "support@ behind Microsoft 365 / Exchange").

Only what the admin listed goes, and only at the very top: the text left is always a
suffix of the text read, the subject keeps everything but the tags.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from maild.domain.tid import PREFIX_RE, TAG_RE

if TYPE_CHECKING:  # message.redecode takes banners off with this module
    from maild.domain.message import ParsedMessage

__all__ = ["DEFAULT_SUBJECT_TAGS", "without_banner", "without_marks", "without_subject_tags"]

# The tags Exchange, Microsoft 365, Mimecast and the like put in front of subjects of
# outside mail, English and Russian. "EXTERNAL:" is not among them: "External: диск
# не виден" is a subject a customer writes.
DEFAULT_SUBJECT_TAGS = ("[EXTERNAL]", "[ВНЕШНИЙ]", "[ВНЕШНЕЕ]")

_BLANK_LINES = re.compile(r"(?:[ \t\f\v\xa0]*\n)*")
_PARAGRAPH_END = re.compile(r"\n[ \t\f\v\xa0]*(?:\n|$)")


def _norm(text: str) -> str:
    """Text as banners are compared: case and runs of whitespace (line breaks the
    client wrapped, non-breaking spaces of HTML) do not count."""
    return " ".join(text.split()).casefold()


def _starts_with(text: str, start: str) -> bool:
    """`text` begins with `start` (both normalized), and a word of `start` is not the
    beginning of a longer word of `text` ("CAUTION" does not begin "CAUTIONARY")."""
    if not start or not text.startswith(start):
        return False
    rest = text[len(start) : len(start) + 1]
    return not (rest.isalnum() and start[-1].isalnum())


def without_banner(text: str, banners: tuple[str, ...]) -> str:
    """`text` without its first paragraph while that paragraph (up to a blank line)
    starts with one of `banners`: the banner and the blank lines around it go, every
    other character stays. Two systems may each add theirs: one after the other goes."""
    wanted = [b for b in (_norm(b) for b in banners) if b]
    cut = 0
    while wanted:
        start = _BLANK_LINES.match(text, cut).end()
        end_at = _PARAGRAPH_END.search(text, start)
        end = end_at.start() + 1 if end_at else len(text)
        if start == end or not any(_starts_with(_norm(text[start:end]), b) for b in wanted):
            break
        cut = _BLANK_LINES.match(text, end).end()
    return text[cut:] if cut else text


def _tag_at(rest: str, tags: list[str]) -> str | None:
    """The tag `rest` begins with (case aside), whole: "[EXT]" does not begin "[EXTRA]"."""
    for tag in tags:
        if rest[: len(tag)].lower() == tag.lower():
            after = rest[len(tag) : len(tag) + 1]
            if not (after.isalnum() and tag[-1].isalnum()):
                return tag
    return None


def without_subject_tags(subject: str, tags: tuple[str, ...]) -> str:
    """`subject` without the `tags` that stand in its front run of Re:/Fwd: prefixes and
    TID tags ("RE: [EXTERNAL] Ошибка" -> "RE: Ошибка"); the prefixes and TID tags stay
    as they were, a tag further on stays too."""
    wanted = [t.strip() for t in tags if t.strip()]
    kept: list[str] = []
    pos = dropped = 0
    while wanted:
        rest = subject[pos:].lstrip()
        pos = len(subject) - len(rest)
        tag = _tag_at(rest, wanted)
        if tag is not None:
            pos, dropped = pos + len(tag), dropped + 1
            continue
        known = PREFIX_RE.match(rest) or TAG_RE.match(rest)
        if known is None or not known.group(0).strip():
            break
        kept.append(known.group(0))
        pos += known.end()
    if not dropped:
        return subject
    return " ".join(" ".join([*kept, subject[pos:]]).split())


def without_marks(
    msg: ParsedMessage, banners: tuple[str, ...], tags: tuple[str, ...]
) -> ParsedMessage:
    """The message as its sender wrote it: banner and subject tags taken off."""
    text, subject = without_banner(msg.text, banners), without_subject_tags(msg.subject, tags)
    if text is msg.text and subject is msg.subject:
        return msg
    return dataclasses.replace(msg, text=text, subject=subject)
