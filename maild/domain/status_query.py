"""A customer who only asks where their request stands ("статус?", "где ответ?").

Such a mail gets the ticket's state by automatic reply and changes nothing else; the
phrases are listed here, in one place. Pure text in, yes/no out.
"""

from __future__ import annotations

import re

__all__ = ["QUESTION_LINES", "STATUS_QUESTIONS", "is_status_question"]

# Compared after lower-casing, "ё" -> "е", and dropping punctuation and extra spaces.
STATUS_QUESTIONS = frozenset(
    {
        "",  # a bare "?" (or "???") is all punctuation
        "статус",
        "статус обращения",
        "какой статус",
        "каков статус",
        "status",
        "status update",
        "any update",
        "any updates",
        "где ответ",
        "когда ответ",
        "когда будет ответ",
        "есть новости",
        "какие новости",
        "что с обращением",
        "что с моим обращением",
        "как дела с обращением",
        "на каком этапе",
        "ну что",
        "ау",
    }
)
# A greeting, the question, thanks and a name: a fifth line makes it no status
# question. is_status_question reads no further, nor does statusmail.asks_status trim.
QUESTION_LINES = 5
_PUNCT = re.compile(r"[^\w\s]+")
_SIGNATURE = re.compile(r"^(?:--|—|__)\s*$")
GREETINGS = ("здравствуйте", "добрый день", "добрый вечер", "доброе утро", "привет", "hello", "hi")
THANKS = ("спасибо", "заранее спасибо", "с уважением", "thanks", "thank you", "regards")
_FRAME = re.compile(rf"^(?:(?:{'|'.join(GREETINGS)})\s+)?(.*?)(?:\s+(?:{'|'.join(THANKS)}))?$")


def _normal(text: str) -> str:
    lowered = _PUNCT.sub(" ", text.lower().replace("ё", "е"))
    return " ".join(lowered.split())


def _is_name(line: str) -> bool:
    """A signature without "--": "Иван", "Иван Петров", "И. Петров", "Анна
    Петрова-Водкина" (each part of a double name a word)."""
    words = line.replace(".", ". ").split()
    return 0 < len(words) <= 3 and all(
        w[0].isupper() and all(part.isalpha() for part in w.strip(".,").split("-")) for w in words
    )


def is_status_question(own_text: str) -> bool:
    """True when the mail's own text (quote trimmed) only asks for the state: one short
    question, perhaps with a greeting, thanks and a name."""
    lines: list[str] = []
    for line in own_text.splitlines():
        if _SIGNATURE.match(line.strip()):
            break
        if line.strip():
            lines.append(line.strip())
        if len(lines) == QUESTION_LINES:
            break
    if lines and _normal(lines[0]) in GREETINGS:
        lines = lines[1:]
    if not lines or len(lines) > 3:
        return False
    question, rest = lines[0], lines[1:]
    m = _FRAME.match(_normal(question))
    core = m.group(1) if m else _normal(question)
    if core not in STATUS_QUESTIONS or (not core and "?" not in question):
        return False
    return all(_normal(x) in THANKS or _is_name(x) for x in rest)
