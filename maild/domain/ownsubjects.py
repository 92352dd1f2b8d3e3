"""maild's own words on top of a subject: the prefixes of the mail it sends customers
(«Обращение зарегистрировано: », «Письмо добавлено к обращению: », ...), which a
customer's mail may carry back. A reply from another address names the ticket's TID
but opens a ticket of its own (a stranger must not append to someone else's ticket by
copying its TID), and its subject was «Обращение зарегистрировано: Обращение
зарегистрировано: Ошибка 500».

The prefixes are not written here: they are read from the templates' Subject lines
(render.Renderer.own_subjects), so the words a template sends are the words stripped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["own_subjects", "prefix_of", "words_of"]

# a Subject line ending in the customer's subject: what stands before it is maild's
_THEIRS = re.compile(r"^\s*Subject:(?P<ours>.*):\s*\{\{\s*subject\s*\}\}\s*$", re.IGNORECASE)
_VALUE = re.compile(r"(\{\{.*?\}\})")  # a value in our words: «Обращение {{ tid }} ...»


def prefix_of(subject_line: str) -> str | None:
    """The pattern of maild's words before the customer's subject in a template's
    Subject line (its source: «Subject: Обращение зарегистрировано: {{ subject }}»),
    a value in them («{{ tid }}») standing for any word; None when the line does not
    end in the customer's subject, or has a block (`{% if %}`) a pattern cannot read."""
    m = _THEIRS.match(subject_line)
    if m is None or "{%" in m["ours"] or not m["ours"].strip():
        return None
    parts = []
    for piece in _VALUE.split(m["ours"].strip()):
        if _VALUE.fullmatch(piece):
            parts.append(r"\S+")
            continue
        words = r"\s+".join(re.escape(w) for w in piece.split())
        before = r"\s*" if piece[:1].isspace() else ""
        after = r"\s*" if piece[-1:].isspace() else ""
        parts.append(before + words + after)
    return "".join(parts)


def words_of(subject_line: str) -> str | None:
    """maild's words before the customer's subject in a template's Subject line
    («Обращение зарегистрировано»), by which a page or a staff note names that mail;
    None when the line does not end in the customer's subject or they hold a value."""
    m = _THEIRS.match(subject_line)
    words = " ".join(m["ours"].split()) if m else ""
    return words if words and "{" not in words else None


def own_subjects(prefixes: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern of any run of the prefixes (prefix_of's) at a subject's start, with
    their colons; None for none. The subject's words are collapsed already."""
    alternatives = sorted(set(prefixes), key=len, reverse=True)  # the longest first
    if not alternatives:
        return None
    return re.compile(rf"^\s*(?:(?:{'|'.join(alternatives)})\s*:\s*)+", re.IGNORECASE)
