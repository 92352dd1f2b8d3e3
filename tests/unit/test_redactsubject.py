"""maild.redactsubject: the subject in raw mail and outbox records, redacted."""

from __future__ import annotations

import email
import email.policy
import json

from maild.domain.redact import MARKER
from maild.mime import unstructured
from maild.redactsubject import redact_head, redact_record_line


def subjects(raw: bytes) -> tuple[str, str]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return str(msg["Subject"]), str(msg["Thread-Topic"])


def test_subject_and_thread_topic_in_any_charset_the_rest_byte_for_byte():
    head = "From: a@b.ru\nSubject: Пароль: Qwerty123 срочно\n [TID#1234-5678]\n"
    rest = "Thread-Topic: Пароль: Qwerty123\nX-Other: 1\n\nТекст: Пароль: Qwerty123\n"
    raw = (head + rest).encode("cp1251")  # 8-bit header bytes, as some clients send
    out = redact_head(raw)
    assert out is not None and b"Qwerty123" not in out.partition(b"\n\n")[0]
    assert subjects(out) == (
        f"Пароль: {MARKER} срочно [TID#1234-5678]",
        f"Пароль: {MARKER}",
    )
    assert out.startswith(b"From: a@b.ru\n") and b"\n [TID#1234-5678]\n" in out  # tag readable
    assert out.endswith(raw.partition(b"X-Other")[1] + raw.partition(b"X-Other")[2])
    assert redact_head(out) is None


def test_encoded_words_and_crlf():
    raw = unstructured("Subject", "Re: Доступ: логин admin пароль Qwerty123 [TID#1234-5678]")
    raw += b"\r\nx"
    assert b"=?utf-8?" in raw and b"\r\n\r\nx" in raw
    out = redact_head(raw)
    assert out is not None and out.endswith(b"\r\n\r\nx")
    assert subjects(out)[0] == f"Re: Доступ: {MARKER} [TID#1234-5678]"


def test_nothing_to_redact_is_none():
    assert redact_head(b"Subject: Re: [TID#1234-5678] no access\r\n\r\nPassword: x") is None
    assert redact_head(b"no head at all") is None


def test_record_line():
    line = json.dumps(
        {"id": "x", "subject": "Re: пароль Qwerty123 [TID#1234-5678]"},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    out = redact_record_line(line)
    assert out is not None and b"\n" not in out
    assert json.loads(out) == {"id": "x", "subject": f"Re: пароль {MARKER} [TID#1234-5678]"}
    assert redact_record_line(out) is None
    assert redact_record_line(b"{broken") is None
    assert redact_record_line(b'{"id":"x","subject":null}') is None


def test_a_subject_longer_than_a_field_is_read_is_kept_whole():
    """A field is read from its first MAX_HEADER_CHARS characters; the rewrite of a
    38,907-character subject with a password in it kept 10,562 of them. Now the whole
    field is redacted and kept; one without access data stays byte for byte."""
    words = " ".join(f"слово{n}" for n in range(4000))
    subject = f"Пароль: Qwerty123 {words} пароль: Secret456"
    raw = (f"From: a@b.ru\r\nSubject: {subject}\r\nX-Other: 1\r\n\r\nbody\r\n").encode()
    out = redact_head(raw)
    assert out is not None
    assert subjects(out)[0] == f"Пароль: {MARKER} {words} пароль: {MARKER}"
    assert out.endswith(b"X-Other: 1\r\n\r\nbody\r\n")
    plain = f"From: a@b.ru\r\nSubject: {words}\r\n\r\nbody\r\n".encode()
    assert redact_head(plain) is None


def test_a_subject_folded_with_a_tab_is_redacted_whole():
    """A field goes on in lines that begin with a space or a TAB (Outlook and others
    fold with a TAB): the password on the TAB-folded line is the Subject's too, and
    leaves the spool copy's head with the rest of it."""
    raw = b"From: a@b.ru\r\nSubject: Access: login admin\r\n\tpassword Qwerty123\r\n\r\nbody\r\n"
    out = redact_head(raw)
    assert out is not None and b"Qwerty123" not in out.partition(b"\r\n\r\n")[0]
    assert subjects(out)[0] == f"Access: login {MARKER} password {MARKER}"
    assert out.endswith(b"\r\n\r\nbody\r\n")


def test_an_lf_mail_whose_body_has_crlf_blank_lines_keeps_its_body():
    """The head ends at the first blank line, whichever comes first of CRLF and LF: an
    LF mail whose body quotes a CRLF fragment further on (a forwarded mail's head, as
    pasted) keeps that body byte for byte, and its head's LF line ends."""
    body = b"-- forwarded --\nSubject: password Qwerty123\r\n\r\nmore\n"
    raw = b"From: a@b.ru\nSubject: password Qwerty123\nX-Other: 1\n\n" + body
    out = redact_head(raw)
    assert out is not None and out.endswith(b"\nX-Other: 1\n\n" + body)
    head = out.partition(b"\n\n")[0]
    assert b"Qwerty123" not in head and b"\r" not in head


def test_a_mail_of_a_head_alone_is_redacted():
    """A mail with no blank line, no body (a head cut short, a subject-only note) is
    all head: its subject is redacted as any other's."""
    out = redact_head(b"From: a@b.ru\r\nSubject: password Qwerty123\r\n")
    assert out is not None and b"Qwerty123" not in out and out.startswith(b"From: a@b.ru\r\n")


def test_a_head_whose_first_line_begins_with_a_space_is_still_read():
    """A damaged head whose first line begins with a space (a continuation of nothing)
    is read as its own field: the Subject after it is redacted, nothing raised."""
    raw = b" stray\r\nSubject: password Qwerty123\r\n\r\nbody\r\n"
    out = redact_head(raw)
    assert out is not None and out.startswith(b" stray\r\n") and b"Qwerty123" not in out


def test_a_crlf_mail_whose_body_has_lf_blank_lines_keeps_its_body():
    """The head of a CRLF mail ends at its first CRLF blank line even when its body
    holds an LF one further on: a head quoted there is the body's, kept byte for byte."""
    body = b"-- forwarded --\nSubject: password Qwerty123\n\nmore\r\n"
    raw = b"From: a@b.ru\r\nSubject: password Qwerty123\r\n\r\n" + body
    out = redact_head(raw)
    assert out is not None and out.endswith(b"\r\n\r\n" + body)
    assert b"Qwerty123" not in out.partition(b"\r\n\r\n")[0]


def test_a_record_line_that_is_no_object_is_not_read():
    """An outbox file whose first line is JSON but no record (damaged) is left as it is."""
    for line in (b"[1, 2]", b"3", b'"subject"', b"null"):
        assert redact_record_line(line) is None
