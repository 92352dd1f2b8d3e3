"""Credential redaction run only where a label stands: the lines that hold one of its
stems and the line either side. Every pattern of domain/redact needs one of its labels
(these stems), "://" or "ssh", so a text without any of them holds no access data, and
lines far from one cannot hold a match; the patterns' cost grows with the text they
search (bench/FINDINGS.md 25), so a page, and a log attached to a mail, are searched
only near the stems. Pure.

The stems are looked for in folded text (_folded), not with re.IGNORECASE: that tried
each stem's case variants at every character.
"""

from __future__ import annotations

from collections.abc import Iterator

from maild.domain.lazyre import LazyPattern
from maild.domain.redact import redact_credentials

_MAYBE_CREDENTIALS = LazyPattern(
    r"pass|pwd|парол|token|secret|api|user|login|логин|пользовател|учетн|учётн|доступ|входа"
    r"|credential|://|ssh|ftp|админ|панел|rdp|vpn|authoriz|bearer"
)


def _folded(text: str) -> str:
    """The text case-folded, so the stems above match all that re.IGNORECASE matched
    (its two extras: "ı" and "İ", whose fold is "i" and a combining dot, are "i");
    line breaks stay where they were (no character folds into one)."""
    return text.casefold().replace("ı", "i").replace("\u0307", "")


def maybe_credentials(text: str) -> bool:
    """Whether the text holds a label stem at all (else it holds no access data)."""
    return bool(_MAYBE_CREDENTIALS.search(_folded(text)))


def redact_near_labels(text: str) -> str:
    """redact_credentials(text), run only on the lines that hold a label stem and
    one line either side: a match starts at a label, "://" or "ssh" and reaches at
    most into the next line (a value alone under its label) or, for the two-word
    labels ("имя пользователя"), back to the line before."""
    return "".join(redact_credentials(chunk)[0] if near else chunk for chunk, near in _chunks(text))


def credentials_near_labels(text: str) -> bool:
    """Whether redact_credentials(text) would find access data (searched as
    redact_near_labels searches)."""
    return any(near and redact_credentials(chunk)[1] for chunk, near in _chunks(text))


def _chunks(text: str) -> Iterator[tuple[str, bool]]:
    """The text in runs of lines near a stem or not (`near`), each run with the line
    break that ends it: joined, the text itself."""
    lines = text.split("\n")
    hit = [bool(_MAYBE_CREDENTIALS.search(line)) for line in _folded(text).split("\n")]
    near = _near(lines, hit)
    i = 0
    while i < len(lines):
        j = i
        while j + 1 < len(lines) and near[j + 1] == near[i]:
            j += 1
        yield "\n".join(lines[i : j + 1]) + ("\n" if j + 1 < len(lines) else ""), near[i]
        i = j + 1


def _near(lines: list[str], hit: list[bool]) -> list[bool]:
    """Lines with a label stem, the non-blank line either side of them, and the blank
    lines between: a two-word label's words may stand apart with blank lines between
    ("имя\\s+пользователя" in redact), so blank lines count for no distance."""
    solid = [i for i, line in enumerate(lines) if line.strip()]
    near = [False] * len(lines)
    for k, i in enumerate(solid):
        before = k > 0 and hit[solid[k - 1]]
        after = k + 1 < len(solid) and hit[solid[k + 1]]
        near[i] = hit[i] or before or after
    last = False  # a blank line goes with the nearer side: near if either side is
    for i in range(len(lines)):
        if lines[i].strip():
            last = near[i]
        else:
            near[i] = last
    last = False
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip():
            last = near[i]
        elif last:
            near[i] = True
    return near
