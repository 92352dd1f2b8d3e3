"""What the CLI prints, whatever the terminal's encoding.

An admin's terminal need not be UTF-8: a KOI8-R or CP1251 locale of an older Russian
server, or the C locale with PYTHONUTF8=0 (ASCII). A customer's subject may hold a
character it has no code for (an emoji; «№» in KOI8-R), and print() then ended the
command with a traceback. Text shows such a character as "?"; JSON, which scripts
read, stays whole: escaped as \\uXXXX wherever the terminal does not take UTF-8.
"""

from __future__ import annotations

import codecs
import io
import json
import sys
from typing import Any, TextIO


def takes_unicode(stream: TextIO) -> bool:
    """Whether `stream` encodes every character (a UTF encoding)."""
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name.startswith("utf")
    except LookupError:
        return False


def readable_stdout() -> None:
    """Show what stdout's encoding has no code for as "?" (once, at the CLI's start;
    stderr already escapes it)."""
    if isinstance(sys.stdout, io.TextIOWrapper) and not takes_unicode(sys.stdout):
        sys.stdout.reconfigure(errors="replace")


def json_text(data: Any, out: TextIO) -> str:
    """`data` as indented JSON that `out` can carry whole."""
    return json.dumps(data, ensure_ascii=not takes_unicode(out), indent=2)


def print_json(data: Any) -> None:
    """`data` as indented JSON on stdout, and a line end."""
    sys.stdout.write(json_text(data, sys.stdout) + "\n")
