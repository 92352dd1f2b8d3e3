"""What the CLI prints, whatever the terminal.

An admin's terminal need not be UTF-8: a KOI8-R or CP1251 locale of an older Russian
server, or the C locale with PYTHONUTF8=0 (ASCII). A customer's subject may hold a
character it has no code for (an emoji; «№» in KOI8-R), and print() then ended the
command with a traceback. Text shows such a character as "?"; JSON, which scripts
read, stays whole: escaped as \\uXXXX wherever the terminal does not take UTF-8.

A customer's text may also hold what a terminal acts on: escape sequences that set
colours or the window title, clear the screen, or write the clipboard (OSC 52), shown
by `maild ticket show` to an admin. On a terminal every control character but the
line end and the tab is shown as "?", as `ls` shows one in a file name; what goes to a
pipe or a file is left whole.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO


def takes_unicode(stream: TextIO) -> bool:
    """Whether `stream` encodes every character (a UTF encoding)."""
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name.startswith("utf")
    except LookupError:
        return False


# C0 controls but tab and line feed, DEL and the C1 controls: what a terminal acts on
_CONTROLS = dict.fromkeys([*range(0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0)], "?")


class _Terminal:
    """A stream to a terminal that shows control characters as "?"."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(text.translate(_CONTROLS))

    def __getattr__(self, name: str) -> Any:  # flush, encoding, isatty, fileno ...
        return getattr(self._stream, name)


class OutputUnwritable(Exception):
    """stdout does not take what a command prints: closed (`>&-`), a full disk, an I/O
    error. Not an OSError: no handler of the store's errors takes it for the store's."""


class _Checked:
    """stdout, its write errors raised as OutputUnwritable (a broken pipe stays one:
    `maild ticket list | head` ends quietly); None, a closed stdout, as one that
    refuses every write."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._do("write", text)

    def flush(self) -> None:
        if self._stream is not None:  # closed: its writes said so
            self._do("flush")

    def _do(self, name: str, *args: str) -> Any:
        if self._stream is None:
            raise OutputUnwritable("it is closed")
        try:
            return getattr(self._stream, name)(*args)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise OutputUnwritable(e.strerror or str(e)) from e

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", None) or "utf-8"

    def __getattr__(self, name: str) -> Any:  # isatty, fileno ...
        return getattr(self._stream, name)


@contextlib.contextmanager
def readable_output() -> Iterator[None]:
    """For a CLI command: show what stdout's encoding has no code for as "?" (stderr
    escapes it already), and on a terminal every control character too. What stdout
    does not take raises OutputUnwritable, at the latest when the command has ended
    (its last lines flushed here, not at the interpreter's exit)."""
    if isinstance(sys.stdout, io.TextIOWrapper) and not takes_unicode(sys.stdout):
        sys.stdout.reconfigure(errors="replace")
    with contextlib.ExitStack() as stack:
        for stream, redirect in (
            (sys.stdout, contextlib.redirect_stdout),
            (sys.stderr, contextlib.redirect_stderr),
        ):
            if isinstance(stream, io.TextIOWrapper) and stream.isatty():
                stack.enter_context(redirect(_Terminal(stream)))
        stack.enter_context(contextlib.redirect_stdout(_Checked(sys.stdout)))
        yield
        sys.stdout.flush()


def json_text(data: Any, out: TextIO) -> str:
    """`data` as indented JSON that `out` can carry whole."""
    return json.dumps(data, ensure_ascii=not takes_unicode(out), indent=2)


def print_json(data: Any) -> None:
    """`data` as indented JSON on stdout, and a line end."""
    sys.stdout.write(json_text(data, sys.stdout) + "\n")


def report(as_json: bool, data: dict[str, Any], *lines: str) -> None:
    """What a command that changed something did: `data` as one JSON object with
    --json (scripts read it), else `lines` for the admin."""
    if as_json:
        print_json(data)
    else:
        for line in lines:
            print(line)
