"""The outbox's sent log (maild/adapters/outlogs.py): a line a full disk cut short
costs that line only, and a line is written whole however the kernel takes it."""

from __future__ import annotations

import os
import threading

from maild.adapters.outlogs import SENT_LOG, append_line, read_sent_log


def test_a_cut_line_costs_itself_not_the_lines_after_it(tmp_path) -> None:
    """A full disk cut a line, the next one glued to it («… 2026-12-06T06:06:c83f… 2»):
    a line of three fields whose last was no number ended the reading there."""
    (tmp_path / SENT_LOG).write_text(
        "a1 2026-12-06T06:00:00+03:00 1\n"
        "a2 2026-12-06T06:06:a3 2026-12-06T06:06:13+03:00 2\n"  # cut, then glued
        "a4 2026-12-06T06:06:30+03:00 \n"  # cut before its number: three fields
        "\n"
        "a5 2026-12-06T06:07:00+03:00 3\n"
    )
    assert read_sent_log(tmp_path) == {
        "a1": ("2026-12-06T06:00:00+03:00", 1),
        "a5": ("2026-12-06T06:07:00+03:00", 3),
    }


def test_a_line_is_written_whole_when_the_kernel_takes_part_of_it() -> None:
    """A pipe takes 64 KiB at a time: a line of 200 KiB goes in several writes."""
    r, w = os.pipe()
    got = bytearray()

    def read() -> None:
        while chunk := os.read(r, 65536):
            got.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    line = b"x" * 200_000 + b"\n"
    append_line(w, line)
    os.close(w)
    reader.join()
    os.close(r)
    assert bytes(got) == line
