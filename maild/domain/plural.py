"""Russian plural forms and digit groups: one helper each for every count in outgoing
text and pages.

Its own module, importing nothing, so that the lowest domain modules (file types,
caps) can use it; `maild.domain.sla` re-exports both names.
"""

from __future__ import annotations

__all__ = ["ru_count", "ru_plural", "thousands"]


def ru_plural(n: int, one: str, few: str, many: str) -> str:
    """Pick the Russian plural form for ``n``: 1 час / 2 часа / 5 часов."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def ru_count(n: int, one: str, few: str, many: str, grouped: bool = False) -> str:
    """A number with its noun in the form the number asks for: "21 день", "2 дня",
    "11 дней" (templates: the `plural` filter; every count in outgoing text);
    `grouped`: its digits as `thousands` groups them, "99 992 знака"."""
    return f"{thousands(n) if grouped else n} {ru_plural(n, one, few, many)}"


def thousands(n: int) -> str:
    """A number with its digits grouped as Russian text groups them: "8 000 024" (no-break
    spaces: the number never splits across lines)."""
    return f"{n:,}".replace(",", "\u00a0")
