"""One mail to the customer per staff reply: status notices folded under the answer.

Pure text: the notices are rendered templates; what repeats the answer's own
greeting, the desk's signature and the reminder to keep the TID in the subject is
dropped so that the customer reads one letter, not three, signed once at its end.
"""

from __future__ import annotations

__all__ = ["fold", "above_signature"]

GREETINGS = ("здравствуйте", "добрый день", "добрый вечер", "доброе утро")
SIGNATURE = "\n--\n"  # the templates' signature line (templates/*.txt: "--", name, address)
KEEP_TID = "пожалуйста, сохраняйте"  # the templates' reminder to keep [TID#...]


def _without_greeting(text: str) -> str:
    lines = text.strip("\n").splitlines()
    while lines and (not lines[0].strip() or lines[0].strip().lower().startswith(GREETINGS)):
        lines.pop(0)
    return "\n".join(lines)


def _split_signature(text: str) -> tuple[str, str]:
    """(the text, its signature from the "--" line on, or "")."""
    at = ("\n" + text).rfind(SIGNATURE)
    if at < 0:
        return text.rstrip("\n"), ""
    return text[: max(at - 1, 0)].rstrip("\n"), text[at:].strip("\n")


def fold(first: str, notices: list[str]) -> str:
    """``first`` (the staff answer, or the first notice) with each notice below it,
    their greetings dropped and a blank line between; one signature, at the end
    (the first one met), and the TID reminder once."""
    signature, paragraphs, reminded = "", [], False
    for n, part in enumerate([first, *notices]):
        text, sign = _split_signature(part if n == 0 else _without_greeting(part))
        signature = signature or sign
        for para in text.split("\n\n"):
            if para.strip().lower().startswith(KEEP_TID):
                if reminded:
                    continue
                reminded = True
            if para.strip():
                paragraphs.append(para.strip("\n"))
    body = "\n\n".join(paragraphs)
    return f"{body}\n\n{signature}\n" if signature else body + "\n"


def above_signature(body: str, addition: str) -> str:
    """``body`` with ``addition`` (a paragraph) after its text, one blank line apart,
    and before its signature if it has one."""
    text, signature = _split_signature(body)
    out = f"{text}\n\n{addition.strip(chr(10))}\n"
    return f"{out}\n{signature}\n" if signature else out
