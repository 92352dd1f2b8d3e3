"""The bidi controls people's text loses, wherever it comes from (mail, the site's forms),
and the C0 controls a mail's text loses (the site's forms drop theirs: web/forms.py).

The embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) change the order
a text is shown in up to their end, whatever its letters: «счёт[U+202E]gpj.exe» shows as
«счётexe.jpg», a subject's <title> and <h1> read backwards. They go. The marks stay:
LRM, RLM and ALM (U+200E, U+200F, U+061C) are invisible letters of one direction, with
no scope; they place the punctuation and numbers beside them, which Hebrew and Arabic
text needs (clients insert them as one types), and cannot turn a run of Latin letters
around, so «gpj.exe» still reads «gpj.exe».

NUL, ESC, BEL and the other C0 controls but tab and line break show as nothing in a
mail client or a browser, and JSON keeps each as a six-byte escape: a text of them (a
binary log pasted as text) made a ticket six times the mail. They go too, but those
that break a line (vertical tab, form feed, the separators), which become line breaks.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "BIDI_CONTROLS",
    "INVISIBLE_FORMATS",
    "one_line_shown",
    "without_bidi_controls",
    "without_controls",
]

BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"  # as a regular expression's class range
_CONTROLS = re.compile(f"[{BIDI_CONTROLS}]")
_EACH = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def without_bidi_controls(text: str) -> str:
    """`text` without the embedding, override and isolate controls (in C: linear).
    Most text holds none: each is looked for with str's own search first."""
    if not any(c in text for c in _EACH):
        return text
    return _CONTROLS.sub("", text)


# What a name or a subject (one line of a header) loses besides the bidi controls:
# the invisible format characters that hide in a word (zero-width space, soft hyphen,
# word joiners, invisible operators, BOM, Mongolian vowel separator, the deprecated
# formats, interlinear annotations), as the site's forms drop them (web/forms.py).
# «Ан[ZWJ]на» read «Анна» and «[TID#12[ZWJ]34-56[SHY]78]» a ticket's number in staff's
# mail, the morning queue and on the page, but were neither. ZWJ and ZWNJ stay between
# other letters (an emoji of several, Persian, Indic scripts need them), not beside a
# Latin, Greek or Cyrillic letter, a digit or ASCII, where no script does.
INVISIBLE_FORMATS = (
    "\u00ad\u180e\u200b\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb"  # (a class range)
)
_INVISIBLE = re.compile(
    f"[{INVISIBLE_FORMATS}]|[\u200c\u200d](?=[\x00-\u04ff])|(?<=[\x00-\u04ff])[\u200c\u200d]"
)


# Combining marks kept on one letter in a name or a subject: a Vietnamese, Hebrew or
# Devanagari letter, a keycap emoji take two or three; more stack up into the lines
# above and below, hundreds («a» and 500 accents) over the notice's own lines.
_MARKS_KEPT = 4


def one_line_shown(text: str) -> str:
    """A name's or a subject's `text` as it shows: without the bidi controls and the
    invisible format characters (_INVISIBLE), so it reads as the characters it holds,
    at most _MARKS_KEPT combining marks on a letter."""
    text = _INVISIBLE.sub("", without_bidi_controls(text))
    if text.isascii():
        return text
    kept, run = [], 0
    for c in text:
        run = run + 1 if unicodedata.category(c) in ("Mn", "Me") else 0
        if run <= _MARKS_KEPT:
            kept.append(c)
    return "".join(kept)


_C0 = re.compile(r"[\x00-\x08\x0b-\x1f]")  # all but tab and line break
# those str.splitlines breaks a line at (vertical tab, form feed, the file, group and
# record separators): each is a line break, as the site's forms read them and as a
# staff reply's commands were found on lines of their own
# (a pattern, not str.translate, which looks its table up per character: 0.62 s of
# CPU for 10 million characters of Cyrillic text against 0.13 s)
_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e]")


# characters cleaned at a time: a pattern's sub holds a string per piece between two
# matches until it joins them, ~150 bytes each: 20 MB of random bytes read as 8-bit
# text (2 million controls) took 180 MB more at once, cleaned whole
_PIECE = 1 << 20


def without_controls(text: str) -> str:
    """`text` without the C0 controls but tab and line break, those that break a line
    made line breaks (in C: linear; a piece at a time: each pattern matches one
    character, so no match spans two pieces)."""
    if _C0.search(text) is None:
        return text
    return "".join(
        _C0.sub("", _BREAKS.sub("\n", text[start : start + _PIECE]))
        for start in range(0, len(text), _PIECE)
    )
