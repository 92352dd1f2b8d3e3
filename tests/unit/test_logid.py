"""What a log line about a raw message starts with (maild/domain/logid.py)."""

from __future__ import annotations

import base64

from maild.domain.logid import mail_for_log


def test_the_message_id_and_the_tid_its_subject_names():
    raw = b"Message-ID: <a@b.c>\r\nSubject: Re: [tid#1234-5678] x\r\n\r\nbody"
    assert mail_for_log(raw) == "<a@b.c> [TID#1234-5678]"


def test_a_tid_inside_an_encoded_subject_and_no_message_id():
    subject = b"=?utf-8?b?" + base64.b64encode("Ответ [TID#4321-8765]".encode())
    raw = b"Subject: " + subject + b"?=\r\n\r\nbody"
    assert mail_for_log(raw) == "<none> [TID#4321-8765]"


def test_no_tid_and_broken_headers_still_give_a_line():
    assert mail_for_log(b"Message-ID: <a@b.c>\r\nSubject: hello\r\n\r\n") == "<a@b.c>"
    assert mail_for_log(b"\xff\xfe garbage") == "<none>"
    assert mail_for_log(b"Subject: =?utf-8?q?broken [TID#1111-2222]\r\n\r\n").endswith(
        "[TID#1111-2222]"
    )


def test_the_ids_are_read_where_the_pipeline_reads_them():
    """Below «X-Foo : bar» (a field to the MTA) or a stray line break, the pipeline
    reads the Message-ID and the subject; the log line said <none> and no TID."""
    for head in (b"X-Foo : bar\r\n", b"Received: x\nby y\r\n"):
        raw = head + b"Message-ID: <m1@x.example>\r\nSubject: [TID#1234-5678]\r\n\r\nx"
        assert mail_for_log(raw) == "<m1@x.example> [TID#1234-5678]", head


def test_a_folded_message_id_is_one_line_and_an_unknown_charset_keeps_the_tid():
    """A Message-ID folded onto the next line is logged on one line (not a line break
    that splits the log line); a subject whose encoded word names a charset Python does
    not know still names the TID written beside it."""
    raw = b"Message-ID:\r\n <a@b.c>\r\nSubject: =?x-unknown?q?a?= [TID#1111-2222]\r\n\r\n"
    assert mail_for_log(raw) == "<a@b.c> [TID#1111-2222]"


def test_every_control_character_is_shown_escaped_in_a_log_line() -> None:
    """What a sender wrote reaches the log with each control character as \\xNN: C0
    (NUL, CR, LF), DEL and C1 (NEL \\x85 ends a line for readers of the log, CSI \\x9b
    starts a terminal's escape sequence); the letters around them, Cyrillic too, as
    they are."""
    from maild.domain.logid import printable

    assert printable("<a\x00b\r\nc\x7fd\x80e\x85f\x9bg\x9fh@x>") == (
        "<a\\x00b\\x0d\\x0ac\\x7fd\\x80e\\x85f\\x9bg\\x9fh@x>"
    )
    assert printable("<\xa0ё\x1f@ж>") == "<\xa0ё\\x1f@ж>"
