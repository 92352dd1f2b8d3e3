"""One mail to the customer per staff reply: status notices folded under the answer.

Pure text: the notices are rendered templates; what repeats the answer's own
greeting is dropped so that the customer reads one letter, not three.
"""

from __future__ import annotations

__all__ = ["fold"]

GREETINGS = ("здравствуйте", "добрый день", "добрый вечер", "доброе утро")


def _without_greeting(text: str) -> str:
    lines = text.strip("\n").splitlines()
    while lines and (not lines[0].strip() or lines[0].strip().lower().startswith(GREETINGS)):
        lines.pop(0)
    return "\n".join(lines)


def fold(first: str, notices: list[str]) -> str:
    """``first`` (the staff answer, or the first notice) with each notice below it,
    their greetings dropped and a blank line between."""
    parts = [first.rstrip("\n")]
    parts += [body for body in (_without_greeting(n) for n in notices) if body.strip()]
    return "\n\n".join(parts) + "\n"
