"""What the support mailbox's own mail system adds to every mail from outside, taken off
before maild reads the mail: the warning paragraph at the top of the body («CAUTION:
This email originated from outside of the organization...») and the tag in front of
the subject ("[EXTERNAL]"), as listed in [support] inbound_banners and
inbound_subject_tags (README, "support@ behind Microsoft 365 / Exchange").

Only what the admin listed goes (the whole banner, as it reads), and only at the very
top: the text left is always a suffix of the text read, whatever follows the banner
stays, the subject keeps everything but the tags.
"""

from __future__ import annotations

import re

from maild.domain.tid import PREFIX_RE, TAG_RE

__all__ = ["DEFAULT_SUBJECT_TAGS", "without_banner", "without_subject_tags"]

# The tags Exchange, Microsoft 365, Mimecast and the like put in front of subjects of
# outside mail, English and Russian. "EXTERNAL:" is not among them: "External: диск
# не виден" is a subject a customer writes.
DEFAULT_SUBJECT_TAGS = ("[EXTERNAL]", "[ВНЕШНИЙ]", "[ВНЕШНЕЕ]")

_BLANK_LINES = re.compile(r"(?:[ \t\f\v\xa0]*\n)*")
_SPACES = re.compile(r"[ \t\f\v\xa0]*")


# characters a mail system or an HTML editor may put inside words unseen: a zero-width
# space or joiner, a word joiner, a BOM, a soft hyphen
_UNSEEN = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_IN_WORD = f"[{_UNSEEN}]*"
_BETWEEN = f"[\\s{_UNSEEN}]+"
_DROP_UNSEEN = dict.fromkeys(map(ord, _UNSEEN))  # (from the listed banner itself)


def _pattern(banner: str) -> re.Pattern[str] | None:
    """A banner as it is looked for: its words in order, any run of whitespace between
    them (a line the client wrapped, HTML's no-break spaces), case aside, unseen
    characters (_UNSEEN) anywhere aside; a last word that is not the beginning of a
    longer one ("CAUTION" does not begin "CAUTIONARY"). Literal characters, each
    followed by one class none of them is in: linear on any text."""
    words = [w for w in (w.translate(_DROP_UNSEEN) for w in banner.split()) if w]
    if not words:
        return None
    end = r"(?!\w)" if words[-1][-1].isalnum() else ""
    spelt = [_IN_WORD.join(map(re.escape, w)) for w in words]
    return re.compile(_IN_WORD + _BETWEEN.join(spelt) + end, re.IGNORECASE)


def _past(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where what `pattern` matches at `pos` ends (its `*`s match there, if only nothing)."""
    m = pattern.match(text, pos)
    return m.end() if m else pos


def without_banner(text: str, banners: tuple[str, ...]) -> str:
    """`text` without the banner on its top: where, after blank lines, it begins with
    one of `banners`, that text goes, and the blank lines under it when nothing else
    stands on the banner's last line. What follows the banner stays, on its line or
    below it, though no blank line parts them: HTML of inline elements puts the
    sender's first words on the banner's line, and lines under it are the sender's
    (a request, a staff member's #close). Two systems may each add theirs: one after
    the other goes."""
    wanted = [p for p in map(_pattern, banners) if p is not None]
    cut = 0
    while wanted:
        start = _past(_BLANK_LINES, text, cut)
        ends = [m.end() for p in wanted if (m := p.match(text, start))]
        if not ends:
            break
        cut = _past(_SPACES, text, max(ends))  # the longest: one listed whole and short
        if cut == len(text) or text[cut] == "\n":
            cut = _past(_BLANK_LINES, text, cut) if cut < len(text) else cut
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
