"""maild.output: what the CLI prints on a terminal (pure parts). The CLI end to end:
tests/integration/test_terminal_encoding.py, test_output_unwritable.py."""

from __future__ import annotations

import io
import json
import sys

from maild.output import _Terminal, json_text, readable_output


def test_a_terminal_shows_every_control_but_the_line_end_and_tab_as_a_question_mark():
    """A carriage return rewrites the line shown (a spoofed «closed»), a vertical tab
    or form feed moves the cursor, DEL and the C1 controls (CSI \\x9b) start what the
    terminal acts on: each is "?"; the tab and the line end stay."""
    shown = io.StringIO()
    _Terminal(shown).write("a\rb\x0bc\x0cd\x7fe\x9bf\x85g\th\ni\x1bj")  # type: ignore[arg-type]
    assert shown.getvalue() == "a?b?c?d?e?f?g\th\ni?j"


def test_json_is_readable_on_a_utf8_terminal_and_escaped_on_another():
    """README: `--json` escapes (\\uXXXX) what a terminal not UTF-8 has no code for; on
    UTF-8 an admin reads the customer's Russian as written."""
    data = {"subject": "Оплата №5"}
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert '"subject": "Оплата №5"' in json_text(data, utf8)
    koi8 = io.TextIOWrapper(io.BytesIO(), encoding="koi8-r")
    text = json_text(data, koi8)
    assert text.isascii() and json.loads(text) == data


class _Tty(io.BytesIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_stderr_shows_controls_as_question_marks_too(monkeypatch):
    """What a command says on stderr (an error naming a customer's subject, a relay's
    answer) reaches the same terminal: an escape sequence there acts as on stdout."""
    out, err = _Tty(), _Tty()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, encoding="utf-8"))
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(err, encoding="utf-8"))
    with readable_output():
        print("a\x1b[2Jb")
        print("c\x1b]52;c;x\x07d", file=sys.stderr)
        sys.stderr.flush()
    assert out.getvalue() == b"a?[2Jb\n" and err.getvalue() == b"c?]52;c;x?d\n"
