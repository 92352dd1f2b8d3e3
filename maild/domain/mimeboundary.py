"""The email package's multipart boundaries, matched without a regular expression
of their own, and its lines handed over without two calls each.

email.feedparser compiles a regular expression for every multipart it meets,
from the boundary's text (unique per message, so re's cache never helps): 250 µs,
a fifth of parsing a typical multipart mail. `install` gives feedparser a `re`
whose compile() answers that one pattern with an object that matches the same
lines (a prefix test, then one shared expression for what may follow) and hands
every other pattern to re.

feedparser also reads every line of a body through two method calls and asks
every enclosing boundary whether the line ends the part: a 12 KB mail has ~180
lines. `install` gives it a line buffer (LineFeed) whose iterator is a generator
that asks the boundaries only about lines starting with "-", the first character
of any boundary line, as long as boundaries are all it is asked about.

Parsed messages come out the same (tested on generated MIME); a Python whose
feedparser builds another pattern just gets re.
"""

from __future__ import annotations

import email.feedparser
import re
from typing import Any

# feedparser: '(?P<sep>' + re.escape(separator) + the rest, as written here
_HEAD = "(?P<sep>"
_REST = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_AFTER_SEPARATOR = re.compile(_REST[1:])
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


class _Match:
    """What feedparser reads of a match: group(0) and the named groups."""

    __slots__ = ("_line", "_separator", "_rest")

    def __init__(self, line: str, separator: str, rest: re.Match[str]) -> None:
        self._line = line
        self._separator = separator
        self._rest = rest

    def group(self, name: int | str = 0) -> str | None:
        if name == 0:
            return self._line[: self._rest.end()]
        if name == "sep":
            return self._separator
        return self._rest.group(name)


class BoundaryPattern:
    """The compiled boundary pattern of `separator`: only .match is used (also as
    the end-of-part test of every line inside the multipart, hence a closure)."""

    __slots__ = ("match", "separator")

    def __init__(self, separator: str) -> None:
        self.separator = separator
        start = len(separator)
        rest = _AFTER_SEPARATOR.match

        def match(line: str) -> _Match | None:
            if line.startswith(separator):
                m = rest(line, start)
                if m is not None:
                    return _Match(line, separator, m)
            return None

        match.boundary = True  # type: ignore[attr-defined]  # (LineFeed)
        self.match = match


def compile(pattern: Any, flags: int = 0) -> Any:  # noqa: A001 - stands in for re.compile
    """re.compile, but a multipart boundary's pattern gives a BoundaryPattern."""
    if (
        not flags
        and isinstance(pattern, str)
        and pattern.startswith(_HEAD)
        and pattern.endswith(_REST)
    ):
        escaped = pattern[len(_HEAD) : -len(_REST)]
        separator = _ESCAPE.sub(r"\1", escaped)
        if re.escape(separator) == escaped:
            return BoundaryPattern(separator)
    return re.compile(pattern, flags)


class _FeedparserRe:
    """The `re` that feedparser sees: re itself, except compile."""

    compile = staticmethod(compile)

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)


class LineFeed(email.feedparser.BufferedSubFile):
    """feedparser's line buffer; iterating it gives the same lines (and the same
    NeedMoreData, and the same false end of file at a boundary) as readline."""

    def __init__(self) -> None:
        super().__init__()
        self._boundaries_only = True  # every end-of-part test is a boundary's

    def push_eof_matcher(self, pred: Any) -> None:
        super().push_eof_matcher(pred)
        self._boundaries_only = self._boundaries_only and getattr(pred, "boundary", False)

    def pop_eof_matcher(self) -> Any:
        pred = super().pop_eof_matcher()
        self._boundaries_only = all(getattr(p, "boundary", False) for p in self._eofstack)
        return pred

    def __iter__(self) -> Any:
        return self._iterate()

    def _iterate(self) -> Any:
        lines = self._lines
        eofstack = self._eofstack
        while True:
            if not lines:
                if self._closed:
                    return
                yield email.feedparser.NeedMoreData
                continue
            line = lines.popleft()
            if eofstack and (line[:1] == "-" or not self._boundaries_only):
                for ateof in reversed(eofstack):
                    if ateof(line):
                        lines.appendleft(line)  # a false end of file, as readline
                        return
            if not line:  # put back by unreadline at the end: readline's "" (EOF)
                return
            yield line


_STDLIB_SUBFILE = email.feedparser.BufferedSubFile


def install() -> None:
    email.feedparser.re = _FeedparserRe()  # type: ignore[assignment]
    email.feedparser.BufferedSubFile = LineFeed  # type: ignore[misc]


def uninstall() -> None:
    """Back to re and the stdlib's buffer (the tests compare both)."""
    email.feedparser.re = re  # type: ignore[assignment]
    email.feedparser.BufferedSubFile = _STDLIB_SUBFILE  # type: ignore[misc]
