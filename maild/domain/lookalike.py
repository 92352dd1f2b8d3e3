"""Letters of another alphabet that look like Latin ones (and Latin ones that look like
Russian ones) inside one word: "#nоte" with a Cyrillic «о», "#lеvel vіp" with a
Cyrillic «е» and a Ukrainian «і», «#спaм» with a Latin "a". A keyboard switched for
one key, a word copied from a chat or autocorrect types them; on screen the word is
the command. No word of prose mixes the two alphabets, so such a word is read with
its lookalikes folded into the alphabet of its other letters (unconfused), and an
error that names it says which letters are not what they look like (told).

A word of one alphabet is never folded: «таке» (Ukrainian "such") is no #take, and a
Russian word typed with the Latin layout left on is layout.py's. Pure: text in, text out.
"""

from __future__ import annotations

import re

from maild.domain.limits import MAX_NAMED, cut

__all__ = ["mixed", "told", "unconfused", "unconfused_words"]

# Each lookalike of a Latin letter, lower case (a word is read lower case): Cyrillic
# (Russian, then Ukrainian/Belarusian «і», Serbian «ј», Macedonian «ѕ», Komi «ԁ»), Greek.
TO_LATIN = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "α": "a",
        "β": "b",
        "ε": "e",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
    }  # fmt: skip
)
# Each Latin letter that looks like a Russian one, for a Russian word («#спaм»).
TO_RUSSIAN = str.maketrans(
    {
        "a": "а",
        "b": "в",
        "c": "с",
        "e": "е",
        "h": "н",
        "k": "к",
        "m": "м",
        "o": "о",
        "p": "р",
        "t": "т",
        "x": "х",
        "y": "у",
    }  # fmt: skip
)
TOLD = 3  # words of a line an error explains, and letters of each (a hostile line: 3)
_FOLDS_TO_LATIN = frozenset(chr(c) for c in TO_LATIN)
_FOLDS_TO_RUSSIAN = frozenset(chr(c) for c in TO_RUSSIAN)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
# a letter of the alphabets the tables fold, Cyrillic and Greek: «ü», «é», «ß» are
# letters of Latin words (müller@firma.de), no lookalikes
_OTHER = re.compile(r"[\u0370-\u03ff\u0400-\u052f]")
_RUSSIAN = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_UKRAINIAN = frozenset("іїєґ")


def mixed(word: str) -> bool:
    """``word`` holds Latin letters and Cyrillic or Greek ones."""
    return bool(_LATIN.search(word)) and bool(_OTHER.search(word))


def unconfused(word: str) -> str:
    """``word`` (lower case) read with its lookalikes in the alphabet most of its
    letters are in: "clоse" is "close", «спaм» «спам», "lеvеl" "level"; a word of one
    alphabet, or one whose letters no table maps, is itself."""
    if not mixed(word):
        return word
    return word.translate(TO_LATIN if _latin(word) else TO_RUSSIAN)


def _latin(word: str) -> bool:
    """A word mixing alphabets is a Latin one when each of its other letters has a
    Latin lookalike ("vір": a Ukrainian «і», a Russian «р»), else a Russian one when
    each Latin letter has a Russian lookalike («спaм»), else by most of its letters."""
    others = _OTHER.findall(word := word.lower())
    if all(c in _FOLDS_TO_LATIN for c in others):
        return True
    latins = _LATIN.findall(word)
    if all(c in _FOLDS_TO_RUSSIAN for c in latins):
        return False
    return len(latins) >= len(others)


def unconfused_words(text: str) -> str:
    """``text`` with each of its words unconfused: "[ТID#4821-7730]" with a Cyrillic
    «Т» is "[tid#4821-7730]", "windоws-1251" "windows-1251" (lower case)."""
    return re.sub(r"[^\W\d_]+", lambda m: unconfused(m.group()), text.lower())


def told(text: str) -> str:
    """What an error adds about the words of ``text`` that mix alphabets, naming each
    letter not of the alphabet most of the word's letters are in («в слове «vіp» буква
    «і» — украинская, а не латинская»), or "" when no word does: a staff member reading
    «неизвестный уровень «vіp»» sees "vip" and cannot tell what was wrong."""
    said: list[str] = []
    for word in dict.fromkeys(re.findall(r"[^\W\d_]+", text)):
        if not mixed(word):
            continue
        if len(said) == TOLD:
            break
        latin = _latin(word)
        odd = [c for c in word if (_OTHER if latin else _LATIN).fullmatch(c)]
        odd = list(dict.fromkeys(odd))[:TOLD]
        kinds: dict[str, list[str]] = {}
        for c in odd:
            kinds.setdefault(_kind(c) if latin else "латинск", []).append(f"«{c}»")
        many = len(odd) > 1
        parts = [f"{', '.join(cs)} — {k}{'ие' if len(cs) > 1 else 'ая'}" for k, cs in kinds.items()]
        meant = ("латинск" if latin else "русск") + ("ие" if many else "ая")
        letters = f"{'буквы' if many else 'буква'} {', '.join(parts)}, а не {meant}"
        said.append(f"в слове «{cut(word, MAX_NAMED)}» {letters}")
    return "; ".join(said)


def _kind(letter: str) -> str:
    """The stem of the adjective naming ``letter``'s alphabet: «русск», «греческ»."""
    low = letter.lower()
    if low in _RUSSIAN:
        return "русск"
    if low in _UKRAINIAN:
        return "украинск"
    if "\u0370" <= low <= "\u03ff":
        return "греческ"
    if "\u0400" <= low <= "\u052f":
        return "кириллическ"
    if "\uff00" <= low <= "\uffef":
        return "широк"  # an input method's fullwidth form
    return "нелатинск"
