"""Outlook's «Recall This Message» («Отозвать сообщение»): the request Outlook sends
every recipient of a mail its writer recalls. Only Outlook with Exchange in the same
organisation acts on one; any other mail system gets it as a mail of its own, and a
staff member's, sent to the ticket's signed reply address, read as an answer, went to
the customer with the notice's subject, level and deadline (staffmail.decide_recall).

What it is, by what Outlook itself writes, never by a subject word alone («Отзыв» is
a review as well): the class of its winmail.dat, IPM.Outlook.Recall, in any language;
or, without it (Exchange Online converts the request to plain mail on its way out),
the subject Outlook gives it, «Отзыв: » / "Recall: " / "Rückruf: " before the recalled
mail's subject, with the one sentence it writes as the text's first paragraph,
naming that same subject: «Анна Смирнова хочет отозвать сообщение "RE: ..."», "Anna
Smirnova would like to recall the message, "RE: ..."", «Anna Smirnova möchte die
Nachricht "RE: ..." zurückrufen». Pure.
"""

from __future__ import annotations

import re

from maild.domain.limits import MAX_NAME
from maild.domain.message import ParsedMessage

__all__ = ["RECALL_CLASS", "is_recall", "recalled_subject"]

RECALL_CLASS = "IPM.Outlook.Recall"  # [MS-OXOMSG]: a message class, read case-blind

# The prefix of the request's subject, by Outlook's language: "<prefix>: <subject>".
_PREFIX = re.compile(r"(?:Recall|Отзыв|Rückruf)\s?:\s*", re.IGNORECASE)
_OPEN, _CLOSE = "\"'«„“”", "\"'»“”"
# The request's sentence: its writer's name, then the recalled subject in quotes.
_SENTENCES = (
    re.compile(rf"would like to recall the message,?\s*[{_OPEN}](.*)[{_CLOSE}]\s*\.?"),
    re.compile(rf"хочет отозвать сообщение,?\s*[{_OPEN}](.*)[{_CLOSE}]\s*\.?"),
    re.compile(rf"möchte die Nachricht\s*[{_OPEN}](.*)[{_CLOSE}]\s*zurückrufen\s*\.?"),
)
_CUT = "…"  # what limits.cut ends a subject cut short with
# The longest first paragraph read as the sentence: a name and a subject (the notice's,
# "RE: " before it) fit many times over; a longer one is no request, and is not searched
# (hostile sizes: the search costs the square of what it reads).
_MAX_SENTENCE = 2000


def is_recall(msg: ParsedMessage) -> bool:
    """Whether ``msg`` is Outlook's request to recall a mail sent before (a staff
    answer): the class of its winmail.dat says so, or its subject's recall prefix and
    its text's first paragraph, the request's sentence, name the same mail."""
    if msg.message_class.casefold() == RECALL_CLASS.casefold():
        return True
    recalled = recalled_subject(msg.subject)
    if recalled is None:
        return False
    named = _named(msg.text)
    if named is None:
        return False
    if recalled.endswith(_CUT):  # a subject cut at limits.MAX_SUBJECT
        return named.startswith(recalled.removesuffix(_CUT).rstrip())
    return named == recalled


def recalled_subject(subject: str) -> str | None:
    """The subject of the mail a recall request's ``subject`` names (the part after
    «Отзыв: », "Recall: ", "Rückruf: "), or None when it has no such prefix."""
    found = _PREFIX.match(subject.strip())
    if found is None:
        return None
    return _words(subject.strip()[found.end() :]) or None


def _named(text: str) -> str | None:
    """The subject the request's sentence names, when the text's first paragraph (its
    lines up to the first blank one, joined: a client may wrap it) is that sentence,
    its writer's name before it; None otherwise. What follows the paragraph (a
    company's disclaimer, a list's footer) does not matter."""
    paragraph = _first_paragraph(text)
    if paragraph is None:
        return None
    for sentence in _SENTENCES:
        found = sentence.search(paragraph)
        # the writer's name before it, the sentence's end the paragraph's
        if found is not None and found.start() <= MAX_NAME and found.end() == len(paragraph):
            return _words(found.group(1))
    return None


def _first_paragraph(text: str) -> str | None:
    """The text's first paragraph, its words joined by single spaces; None when it is
    longer than _MAX_SENTENCE (read line by line, no further than that)."""
    words: list[str] = []
    size = 0
    for line in text.lstrip().split("\n", _MAX_SENTENCE + 1)[: _MAX_SENTENCE + 1]:
        if not line.strip():
            break
        words += line.split()
        size += len(line)
        if size > _MAX_SENTENCE:
            return None
    return " ".join(words)


def _words(text: str) -> str:
    return " ".join(text.split())
