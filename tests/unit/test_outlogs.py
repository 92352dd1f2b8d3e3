"""The outbox's sent log (maild/adapters/outlogs.py): a line a full disk cut short
costs that line only, and a line is written whole however the kernel takes it."""

from __future__ import annotations

import errno
import os
import resource
import signal
import threading

import pytest

from maild.adapters.outlogs import (
    REFUSED_LOG,
    SENT_LOG,
    append_line,
    log_refused,
    read_refused_log,
    read_sent_log,
    trim_sent_log,
)


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


def test_a_file_that_takes_part_of_a_line_and_then_no_more_raises(tmp_path) -> None:
    """A full disk takes part of a line, then nothing: the rest is written or the error
    raised, never the part taken for the whole (the sender then starts its next line on
    a line of its own, else that one was glued to the part and both were lost). The
    file size limit makes a file system cut a write as a full disk does. (A pipe, as
    above, takes a blocking write whole: that test alone would pass on one write.)"""
    path = tmp_path / SENT_LOG
    path.write_bytes(b"x" * 50)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    old = resource.getrlimit(resource.RLIMIT_FSIZE)
    was = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, old[1]))
        with pytest.raises(OSError) as raised:
            append_line(fd, b"y" * 80 + b"\n")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old)
        signal.signal(signal.SIGXFSZ, was)
        os.close(fd)
    assert raised.value.errno == errno.EFBIG
    assert path.stat().st_size == 100  # the part the file took


def test_a_trimmed_log_whose_last_line_was_cut_ends_with_a_line_end(tmp_path) -> None:
    """The daily trim keeps a line cut short by a crash when its id is kept, ended: the
    sender's next line, appended after it, is a line of its own and is read."""
    (tmp_path / SENT_LOG).write_bytes(
        b"gone 2026-12-06T06:00:00+03:00 1\nkept 2026-12-06T06:01:00+03:00 1\nkept 2026-12"
    )
    assert trim_sent_log(tmp_path, {"kept"}) == 1
    with open(tmp_path / SENT_LOG, "ab") as f:
        f.write(b"next 2026-12-06T06:02:00+03:00 1\n")
    assert read_sent_log(tmp_path) == {
        "kept": ("2026-12-06T06:01:00+03:00", 1),
        "next": ("2026-12-06T06:02:00+03:00", 1),
    }


def test_a_refused_line_cut_short_is_no_refused_mail(tmp_path) -> None:
    """`maild status` counts the refused log's ids: a line a crash cut (its time
    unfinished) or a line not maild's is not counted; an id logged twice counts once."""
    (tmp_path / REFUSED_LOG).write_text(
        "r1 2026-12-06T06:00:00+03:00\n"
        "r1 2026-12-06T06:00:00+03:00\n"
        "r2 2026-12-06T0\n"  # cut by a crash; logged again whole on the next pass
        "some text an admin wrote\n"
        "r3 2026-12-06T06:05:00+03:00\n"
    )
    assert read_refused_log(tmp_path) == {
        "r1": "2026-12-06T06:00:00+03:00",
        "r3": "2026-12-06T06:05:00+03:00",
    }


def test_a_refused_mail_is_logged_at_its_refusal_not_at_its_queueing(tmp_path) -> None:
    """`maild status`'s `last_refused` is when the relay refused a mail for good (its
    last try), not when it was queued: a mail queued days ago and refused now is news."""
    meta = {"id": "r1", "queued_at": "2026-12-01T09:00:00+03:00"}
    log_refused(tmp_path, {**meta, "last_try": "2026-12-06T06:00:00+03:00"})  # type: ignore[typeddict-item]
    log_refused(tmp_path, {"id": "r2", "queued_at": "2026-12-02T09:00:00+03:00"})  # type: ignore[typeddict-item]
    assert read_refused_log(tmp_path) == {
        "r1": "2026-12-06T06:00:00+03:00",
        "r2": "2026-12-02T09:00:00+03:00",  # (never tried: a record from before)
    }


def test_a_refused_line_a_full_disk_cut_raises_and_costs_no_other_line(tmp_path) -> None:
    """A full disk took part of a refused log's line and said nothing (one write): the
    mail was moved aside as logged, and the next refused mail's line, glued to the
    part, was lost too; `maild status` counted two too few. Now the cut raises (the
    sender stops, the mail stays queued "refused" and is logged again on its next
    pass), and the next line starts on a line of its own."""
    path = tmp_path / REFUSED_LOG
    path.write_bytes(b"r0 2026-12-06T05:00:00+03:00\n" + b"#" * 21 + b"\n")  # 50 bytes
    first = {"id": "r1" + "0" * 40, "queued_at": "2026-12-06T06:00:00+03:00"}
    old = resource.getrlimit(resource.RLIMIT_FSIZE)
    was = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, old[1]))
        with pytest.raises(OSError):
            log_refused(tmp_path, first)  # type: ignore[arg-type]
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old)
        signal.signal(signal.SIGXFSZ, was)
    log_refused(tmp_path, first)  # type: ignore[arg-type]  # the next pass
    log_refused(tmp_path, {"id": "r2", "queued_at": "2026-12-06T06:05:00+03:00"})  # type: ignore[arg-type]
    assert set(read_refused_log(tmp_path)) == {"r0", first["id"], "r2"}
