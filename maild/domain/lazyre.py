"""Regular expressions compiled on their first use, for the patterns of rare paths.

A pattern compiled at import is paid by every `maild` process that imports its module,
and most processes import most of maild (bench/FINDINGS.md 53), while some patterns
only the credentials' redaction or an HTML body too big to read tag by tag ever use.
Such a pattern is a LazyPattern: the same source and flags where it was, compiled when
first matched. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["LazyPattern"]


class LazyPattern:
    """`re.compile(source, flags)` when one of its methods is first called (each is
    the compiled pattern's own). Two threads may both compile it: the same pattern."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        return self._compiled

    def search(self, string: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.search(string, pos)

    def match(self, string: str, pos: int = 0) -> re.Match[str] | None:
        return self.compiled.match(string, pos)

    def fullmatch(self, string: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(string)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str) -> str:
        return self.compiled.sub(repl, string)
