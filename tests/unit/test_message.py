"""Unit tests for maild.domain.message.parse: every corpus case, edge cases, properties.

The corpus (tests/data/corpus, built by tests/data/make_corpus.py) is checked here at
the parse level; tests/integration/test_corpus_e2e.py checks the same files through
the real CLI.
"""

from __future__ import annotations

import base64
import email.policy
import json
import random
import re
import sys
from email import encoders
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from maild.domain.addresses import _PLAIN_ADDRESS, _getaddresses, _unquoted, getaddresses
from maild.domain.attachments import AttachmentPolicy, decide_all
from maild.domain.bidi import one_line_shown
from maild.domain.headblock import _STRAY_IN_CRLF, _STRAY_IN_LF, mend_line_breaks
from maild.domain.message import (
    ParsedMessage,
    fallback_message,
    message_id_of,
    normalize_address,
    parse,
    synthetic_msgid,
)
from tests.examples import examples
from tests.helpers import PNG, peak_memory

CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
CASES = EXPECTED["cases"]
# Property tests never write an example database into the repo.
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _case_id(case: dict) -> str:
    return case["file"].removesuffix(".eml")


def mail(*lines: str | bytes) -> bytes:
    """A raw message from lines (str as UTF-8, bytes as they are), CRLF-joined."""
    return b"\r\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\r\n"


# --- the corpus ---------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_corpus_message_is_read_as_written(case: dict) -> None:
    msg = parse((CORPUS / case["file"]).read_bytes())
    assert msg.subject == case["subject"]
    assert msg.from_addr == case["sender"]
    for phrase in case["text"]:
        assert phrase in msg.text
    for phrase in case["text_absent"]:
        assert phrase not in msg.text
    assert "\ufffd" not in msg.text + msg.subject + msg.from_name
    if case["message_id"]:
        assert msg.message_id == case["message_id"]
    else:
        assert msg.message_id.endswith("@maild.invalid>")
    assert msg.parse_problem is None


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_corpus_attachment_decisions(case: dict) -> None:
    msg = parse((CORPUS / case["file"]).read_bytes())
    parts = [(a.filename, a.content_type, a.data) for a in msg.attachments]
    decisions = decide_all(parts, AttachmentPolicy())
    assert [(d.filename, d.accepted) for d in decisions] == [
        (a["filename"], a["accepted"]) for a in case["attachments"]
    ]
    for d, want in zip(decisions, case["attachments"], strict=True):
        if want["accepted"]:
            assert d.reason is None
        else:
            assert want["reason_contains"] in d.reason


def test_corpus_generator_is_deterministic_and_matches_the_committed_files(tmp_path) -> None:
    sys.path.insert(0, str(CORPUS.parent))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(CORPUS.parent))
    written = make_corpus.build(tmp_path)
    committed = sorted(p.name for p in CORPUS.iterdir() if p.is_file())
    assert sorted(p.name for p in written) == committed
    for path in written:
        assert path.read_bytes() == (CORPUS / path.name).read_bytes(), path.name
    # Every case has its file and the expectations name every file.
    assert {c["file"] for c in CASES} == {p for p in committed if p.endswith(".eml")}


# --- headers ------------------------------------------------------------------


def test_raw_8bit_subject_and_name_are_detected_not_replaced() -> None:
    raw = mail(
        b"From: " + "Иван Петров".encode("cp1251") + b" <ivan@shop.example>",
        b"Subject: " + "Не работает оформление заказа".encode("cp1251"),
        "",
        "body",
    )
    msg = parse(raw)
    assert msg.subject == "Не работает оформление заказа"
    assert msg.from_name == "Иван Петров"
    assert msg.from_addr == "ivan@shop.example"


def test_raw_utf8_subject() -> None:
    msg = parse(mail("From: a@b.example", "Subject: Ошибка 500 в корзине", "", "x"))
    assert msg.subject == "Ошибка 500 в корзине"


def test_folded_b_words_split_inside_a_utf8_character_are_joined() -> None:
    data = "Щётка".encode()
    first, second = base64.b64encode(data[:3]).decode(), base64.b64encode(data[3:]).decode()
    raw = mail(f"Subject: =?utf-8?B?{first}?=", f" =?utf-8?B?{second}?=", "", "x")
    assert parse(raw).subject == "Щётка"


def test_q_word_with_raw_spaces() -> None:
    word = "=CE=F8=E8=E1=EA=E0 =EF=F0=E8 =EE=EF=EB=E0=F2=E5"
    raw = mail(f"Subject: Re: =?windows-1251?Q?{word}?=", "", "x")
    assert parse(raw).subject == "Re: Ошибка при оплате"


def test_unterminated_b_word_without_padding() -> None:
    encoded = base64.b64encode("Не работает сайт".encode()).decode().rstrip("=")
    assert parse(mail(f"Subject: =?utf-8?B?{encoded}", "", "x")).subject == "Не работает сайт"


def test_to_cc_reply_to_and_threading_headers() -> None:
    raw = mail(
        "From: Ivan <IVAN@Shop.Example>",
        "To: support@example.com, =?utf-8?B?0JDQvdC90LA=?= <anna@shop.example>",
        "Cc: boss@shop.example",
        "Reply-To: <replies@shop.example>",
        "In-Reply-To: <a@x>",
        "References: <r1@x>",
        " <r2@x>",
        "Subject: s",
        "",
        "x",
    )
    msg = parse(raw)
    assert msg.from_addr == "ivan@shop.example"
    assert msg.to == ("support@example.com", "anna@shop.example")
    assert msg.cc == ("boss@shop.example",)
    assert msg.reply_to == "replies@shop.example"
    assert msg.in_reply_to == ("<a@x>",)
    assert msg.references == ("<r1@x>", "<r2@x>")


@pytest.mark.parametrize(
    ("value", "address", "name"),
    [
        ("=?utf-8?B?0J/QtdGC0YDQvtCyLCDQmNCy0LDQvQ==?= <ivan@x.ru>", "ivan@x.ru", "Петров, Иван"),
        ('"=?windows-1251?B?z+Xy8O7iLCDI4uDt?=" <ivan@x.ru>', "ivan@x.ru", "Петров, Иван"),
        ("Ivan Petrov <IVAN@X.RU>", "ivan@x.ru", "Ivan Petrov"),
        ("ivan@x.ru (Иван)", "ivan@x.ru", "Иван"),
        # Whole "Name <address>" in one encoded word: broken web forms do this.
        ("=?utf-8?B?0JjQstCw0L0gPGl2YW5AeC5ydT4=?=", "ivan@x.ru", "Иван"),
        ("=?utf-8?B?0JjQstCw0L0=?= ivan@x.ru", "ivan@x.ru", "Иван"),
        # glued to the address: the encoded word is never part of it (RFC 2047 5), else
        # the confirmation went to "=?utf-8?b?...?=ivan@x.ru", which no one reads
        ("=?utf-8?B?0JjQstCw0L0=?=ivan@x.ru", "ivan@x.ru", "Иван"),
    ],
)
def test_from_name_and_address(value: str, address: str, name: str) -> None:
    msg = parse(mail(f"From: {value}", "", "x"))
    assert (msg.from_addr, msg.from_name) == (address, name)


@pytest.mark.parametrize(
    "value",
    [
        # A display name that decodes to a staff address must not become the sender.
        "=?utf-8?Q?anna@example.com?= <attacker@evil.example>",
        "=?utf-8?Q?Anna_=3Canna@example.com=3E?= <attacker@evil.example>",
        "=?utf-8?B?YW5uYUBleGFtcGxlLmNvbSA8?= attacker@evil.example",
        '"anna@example.com" <attacker@evil.example>',
        '"Anna <anna@example.com>" <attacker@evil.example>',
        # Malformed, unquoted: the angle-addr is the mailbox, as DMARC checks see it.
        "anna@example.com <attacker@evil.example>",
        "attacker@evil.example (Anna <anna@example.com>)",
        # comments nest (RFC 5322 3.2.2): one inside another hides no mailbox either
        "attacker@evil.example (Anna (a (b)) <anna@example.com>)",
    ],
)
def test_display_name_cannot_pose_as_the_sender(value: str) -> None:
    assert parse(mail(f"From: {value}", "", "x")).from_addr == "attacker@evil.example"


def test_a_comment_with_a_comma_keeps_the_sender_and_every_recipient() -> None:
    """Python's strict address parser (CVE-2023-27043's fix: 3.11.10+, 3.12.6+, Debian
    12's 3.11.2) gives no address for a value whose commas outnumber its addresses: this
    customer had no sender there, so no confirmation, and the To list was lost.
    test_strict_python.py runs this test under such a Python."""
    msg = parse(
        mail(
            "From: ivan@client.example (Иванов, Иван)",
            "To: support@example.com, petr@client.example (Петров, Пётр)",
            'Cc: "Сидоров, С." <s@client.example>, <"q,r"@client.example>',
            "",
            "x",
        )
    )
    assert msg.from_addr == "ivan@client.example"
    assert msg.to == ("support@example.com", "petr@client.example")
    assert msg.cc == ("s@client.example", '"q,r"@client.example')


def test_encoded_display_name_with_a_comma_does_not_split_to() -> None:
    word = "=?utf-8?B?0J/QtdGC0YDQvtCyLCDQmNCy0LDQvQ==?="
    msg = parse(mail(f"To: {word} <ivan@x.ru>, support@example.com", "", "x"))
    assert msg.to == ("ivan@x.ru", "support@example.com")


def test_missing_message_id_gets_a_stable_synthetic_one() -> None:
    raw = mail("From: a@b.example", "Subject: s", "", "x")
    assert parse(raw).message_id == parse(raw).message_id == synthetic_msgid(raw)
    assert parse(raw + b"y").message_id != parse(raw).message_id


def test_any_date_header_leaves_the_message_whole() -> None:
    # Date is not read (received_at is the time maild got the mail); a broken one
    # must not cost anything else.
    for date in ("Wed, 25 Nov 2026 10:15:00 +0300", "вчера", "=?utf-8?B?0LLRh9C10YDQsA==?="):
        msg = parse(mail(f"Date: {date}", "From: a@b.example", "Subject: s", "", "x"))
        assert (msg.from_addr, msg.subject, msg.text.strip(), msg.parse_problem) == (
            "a@b.example",
            "s",
            "x",
            None,
        )


# --- bodies -------------------------------------------------------------------


def _multipart(boundary: str, *parts: bytes, subtype: str = "mixed") -> list[bytes]:
    lines = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"'.encode(), b""]
    for part in parts:
        lines += [f"--{boundary}".encode(), part]
    return [*lines, f"--{boundary}--".encode()]


def _text(text: str, subtype: str = "plain") -> bytes:
    return f"Content-Type: text/{subtype}; charset=utf-8\r\n\r\n{text}".encode()


def test_alternative_prefers_plain_and_falls_back_to_html_when_plain_is_empty() -> None:
    raw = mail(
        *_multipart("b", _text("простой"), _text("<p>html</p>", "html"), subtype="alternative")
    )
    assert parse(raw).text.strip() == "простой"
    raw = mail(
        *_multipart("b", _text("  "), _text("<p>только html</p>", "html"), subtype="alternative")
    )
    assert parse(raw).text.strip() == "только html"


def test_html_inside_related_inside_alternative() -> None:
    related = mail(
        *_multipart("r", _text("<div>Текст <b>письма</b></div>", "html"), subtype="related")
    )
    raw = mail(*_multipart("a", _text(""), related, subtype="alternative"))
    assert parse(raw).text.strip() == "Текст письма"


def test_inline_text_parts_around_an_image_keep_their_order() -> None:
    image = b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    image += base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(20))
    raw = mail(*_multipart("m", _text("до картинки"), image, _text("после картинки")))
    msg = parse(raw)
    assert msg.text.index("до картинки") < msg.text.index("после картинки")
    assert [a.content_type for a in msg.attachments] == ["image/png"]


def test_forwarded_html_only_message_text_is_kept() -> None:
    inner = mail("Subject: inner", *_multipart("i", _text("<p>вложенный <i>текст</i></p>", "html")))
    forwarded = b"Content-Type: message/rfc822\r\n\r\n" + inner
    msg = parse(mail(*_multipart("o", _text("Пересылаю"), forwarded)))
    assert "Пересылаю" in msg.text and "вложенный текст" in msg.text
    assert msg.attachments == ()


def test_forwarded_message_attachments_are_attachments() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(10)
    shot = (
        b'Content-Type: image/png; name="a.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.b64encode(png)
    )
    inner = mail("Subject: inner", *_multipart("i", _text("see"), shot))
    msg = parse(
        mail(*_multipart("o", _text("fwd"), b"Content-Type: message/rfc822\r\n\r\n" + inner))
    )
    assert [(a.filename, a.data) for a in msg.attachments] == [("a.png", png)]


def test_multipart_without_boundary_is_still_read_as_text() -> None:
    raw = mail("Content-Type: multipart/mixed", "", "Здравствуйте, текст без границ.")
    msg = parse(raw)
    assert "текст без границ" in msg.text
    assert msg.attachments == ()


def test_single_part_image_is_an_attachment_not_text() -> None:
    raw = mail(
        "Content-Type: image/gif", "Content-Transfer-Encoding: base64", "", "R0lGODlhAQABAAAAACw="
    )
    msg = parse(raw)
    assert msg.text == ""
    assert [a.content_type for a in msg.attachments] == ["image/gif"]


def test_text_attachment_with_a_name_is_not_body_text() -> None:
    log = b'Content-Type: text/plain; name="error.log"\r\nContent-Disposition: attachment\r\n'
    log += b"\r\nFATAL"
    msg = parse(mail(*_multipart("m", _text("см. лог"), log)))
    assert "FATAL" not in msg.text
    assert [a.filename for a in msg.attachments] == ["error.log"]


def test_base64_body_with_junk_and_no_padding() -> None:
    data = base64.b64encode("Привет, мир!".encode()).decode().rstrip("=")
    raw = mail(
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
        data[:8] + "!*" + data[8:],
    )
    assert parse(raw).text == "Привет, мир!"


def test_raw_8bit_attachment_filename() -> None:
    part = b'Content-Type: image/png; name="' + "Скрин.png".encode("cp1251") + b'"\r\n\r\nxx'
    assert [a.filename for a in parse(mail(*_multipart("m", _text("t"), part))).attachments] == [
        "Скрин.png"
    ]


# --- reports (bounces, receipts) ----------------------------------------------

STATUS = (
    b"Content-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example\r\n\r\n"
    b"Final-Recipient: rfc822; gone@shop.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
)


def test_bounce_with_returned_headers() -> None:
    headers = b"Content-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\n"
    headers += b"Message-ID: <conf-1@example.com>\r\nSubject: x\r\n"
    raw = mail(
        "From: MAILER-DAEMON@mx.example",
        *_multipart("r", _text("Delivery failed"), STATUS, headers, subtype="report"),
    )
    msg = parse(raw)
    assert msg.content_type == "multipart/report"
    assert "Status: 5.1.1" in msg.delivery_status
    assert "gone@shop.example" in msg.delivery_status
    assert msg.text.strip() == "Delivery failed"
    assert msg.attachments == ()  # report parts are not files the sender attached
    assert msg.reported_message_id == "<conf-1@example.com>"


def test_bounce_with_the_whole_returned_message() -> None:
    png = b'Content-Type: image/png; name="a.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    png += base64.b64encode(b"\x89PNG\r\n\x1a\n")
    original = mail(
        "Message-ID: <conf-2@example.com>", "Subject: s", *_multipart("i", _text("our text"), png)
    )
    returned = b"Content-Type: message/rfc822\r\n\r\n" + original
    msg = parse(mail(*_multipart("r", _text("failed"), STATUS, returned, subtype="report")))
    assert msg.reported_message_id == "<conf-2@example.com>"
    assert msg.attachments == ()
    assert "our text" not in msg.text


def test_a_report_names_the_first_returned_original_that_has_a_message_id() -> None:
    """A report may return more than one original (a relay that adds the headers it
    got besides the message): one without a Message-ID names nothing, so the next is
    read, and the report still finds the ticket of the mail it is about."""
    bare = b"Content-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\n"
    named = b"Content-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\n"
    named += b"Message-ID: <conf-3@example.com>\r\n"
    msg = parse(mail(*_multipart("r", _text("failed"), STATUS, bare, named, subtype="report")))
    assert msg.reported_message_id == "<conf-3@example.com>"


def test_report_without_human_part_shows_the_status() -> None:
    msg = parse(mail(*_multipart("r", STATUS, subtype="report")))
    assert "Action: failed" in msg.text


def test_plain_message_has_no_report_fields() -> None:
    msg = parse(mail("From: a@b.example", "", "hi"))
    assert msg.delivery_status is None and msg.reported_message_id is None


# --- garbage ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n\r\n",
        b"\x00\xff\xfe" * 100,
        b"Subject: =?utf-8?B?",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
        b"Content-Type: text/plain; charset=\xff\xfe\r\n\r\nx",
        b"Content-Type: text/plain; charset=utf-7\r\n\r\n+BB8EQAQ4BDIENQRC-",
        b"Content-Transfer-Encoding: base64\r\n\r\n====",
        b"Content-Type: message/rfc822\r\n\r\n",
        b"Content-Type: multipart/report\r\n\r\n",
        b"Content-Disposition: attachment; filename*0*=bogus''%ZZ; filename*1=\"x\"\r\n\r\n",
        b"From: <>\r\nTo: ,,,,@@@\r\nDate: 99 Foo 0000\r\n\r\n",
    ],
)
def test_garbage_gives_a_message(raw: bytes) -> None:
    msg = parse(raw)
    assert isinstance(msg, ParsedMessage)
    assert msg.message_id.startswith("<") and msg.message_id.endswith(">")
    assert isinstance(msg.text, str)


@pytest.mark.parametrize(
    "eol, stray",
    [(b"\r\n", s) for s in (b"\r", b"\n", b"\r\r", b"\n\n")] + [(b"\n", b"\r"), (b"\n", b"\r\r")],
    ids=repr,
)
def test_a_stray_line_break_in_a_header_keeps_the_headers_after_it(eol, stray) -> None:
    raw = eol.join(
        [
            b"Received: from mx.example.ru",
            b"Subject: \xd0\x9e\xd1\x88\xd0\xb8\xd0\xb1\xd0\xba\xd0\xb0" + stray + b"1C",
            b"From: Ivan <ivan@example.ru>",
            b"Message-ID: <stray@example.ru>",
            b"",
            b"body",
            b"",
        ]
    )
    msg = parse(raw)
    assert (msg.message_id, msg.from_addr) == ("<stray@example.ru>", "ivan@example.ru")
    assert msg.subject == "Ошибка 1C"
    assert msg.text.strip() == "body"


def test_mixed_line_endings_still_read_every_header() -> None:
    raw = b"From: a@b.example\nTo: support@example.com\r\nSubject: x\ry: z\r\n\r\nbody\r\n"
    msg = parse(raw)
    assert (msg.from_addr, msg.to, msg.subject) == ("a@b.example", ("support@example.com",), "x")
    assert msg.header("y") is None  # (not a screened header) but not the body either
    assert msg.text.strip() == "body"


def test_a_header_block_of_many_stray_breaks_is_mended_in_bounded_memory() -> None:
    """An 8 MB mail of CR-only lines ending in one CRLF is all header block for the
    mending (no blank CRLF line): 4 million strays held 725 MB in maild ingest."""
    raw = b"Subject: x\r\n" + b"x\r" * 300_000 + b"\r\n"
    mended, peak = peak_memory(lambda: mend_line_breaks(raw))
    assert mended == b"Subject: x\r\n" + b"x " * 300_000 + b"\r\n"
    assert peak < 16 << 20, peak  # (6 MB: the result and one piece's matches; 54 MB whole)


def test_a_long_header_block_is_mended_piece_by_piece_as_it_would_be_whole() -> None:
    rand = random.Random(7)
    tokens = [b"\r", b"\n", b"\r\n", b"X-A:", b"Subject: ", b" ", b"\t", b"x", b"xx:"]
    for eol, stray in ((b"\r\n", _STRAY_IN_CRLF), (b"\n", _STRAY_IN_LF)):
        head = b"".join(rand.choice(tokens) for _ in range(150_000))
        while eol + eol in head:  # (the block ends at the first blank line)
            head = head.replace(eol + eol, eol)
        raw = head + eol + eol + b"body" + eol
        assert mend_line_breaks(raw) == stray.sub(b" ", head) + eol + eol + b"body" + eol


@given(
    st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"X-A: ", b"Subject: x", b" ", b"y"])),
    st.sampled_from([b"\r\n", b"\n"]),
)
def test_any_short_header_block_is_mended_as_its_strays_say(tokens, eol) -> None:
    """Most header blocks hold no stray at all (every break a CRLF, or no CR in LF
    mail): those come back byte for byte without the search; the rest as it mends."""
    head = b"From: a@b.example" + eol + b"".join(tokens)
    while eol + eol in head:  # (the block ends at the first blank line)
        head = head.replace(eol + eol, eol)
    if head.endswith((b"\r", b"\n")):
        head += b"y"  # (a break before the blank line's would end the block there)
    raw = head + eol + eol + b"body" + eol
    stray = _STRAY_IN_CRLF if eol == b"\r\n" else _STRAY_IN_LF
    assert mend_line_breaks(raw) == stray.sub(b" ", head) + eol + eol + b"body" + eol


def test_deep_nesting_does_not_raise() -> None:
    depth = 400
    head = b"".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
        for i in range(depth)
    )
    tail = b"".join(f"\r\n--b{i}--".encode() for i in reversed(range(depth)))
    body = "Content-Type: text/plain; charset=utf-8\r\n\r\nглубоко".encode()
    msg = parse(head + body + tail)
    assert isinstance(msg, ParsedMessage)
    assert "глубоко" in msg.text


# --- properties ----------------------------------------------------------------


@PROPERTY
@given(st.binary(max_size=4000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    msg = parse(raw)
    assert isinstance(msg, ParsedMessage)
    assert re.fullmatch(r"<[^<>\s]+>", msg.message_id)
    assert isinstance(msg.text, str) and isinstance(msg.subject, str)
    assert "\n" not in msg.subject and "\r" not in msg.subject


@PROPERTY
@given(
    st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=60),
    st.lists(st.sampled_from(["\r", "\n", "\r\r", "\n\n"]), max_size=3),
)
def test_stray_breaks_in_a_subject_never_cost_the_headers_after_it(text, breaks) -> None:
    # a stray break may fall anywhere in the subject's text; whatever follows it that is
    # not shaped like a header field stays part of the subject
    words = text.split(" ")
    subject = "".join(w + (breaks[i] if i < len(breaks) else " ") for i, w in enumerate(words))
    raw = mail(
        "Subject: " + subject.replace("\r\n", " "),
        "From: Ivan <ivan@example.ru>",
        "Message-ID: <prop@example.ru>",
        "",
        "body",
    )
    msg = parse(raw)
    assert (msg.message_id, msg.from_addr) == ("<prop@example.ru>", "ivan@example.ru")
    assert msg.text.strip() == "body"


@PROPERTY
@given(
    st.one_of(
        st.sampled_from(
            [
                b"charset*=us-ascii''windows-1251",
                b"charset*=''windows-1251",
                b'charset="windows-1251\xa0"',
                b'charset="windows-1251\x00"',
                b"charset*0=windows; charset*1=-1251",
            ]
        ),
        st.binary(max_size=30).map(
            lambda b: b"charset=" + b.replace(b"\r", b"").replace(b"\n", b"")
        ),
    )
)
def test_an_odd_charset_parameter_costs_only_its_own_part(label: bytes) -> None:
    """A text part with 8-bit bytes whose charset parameter compat32 cannot decode by
    (RFC 2231-encoded, 8-bit, NUL) made the whole mail unreadable: no From, Subject,
    Message-ID or files, and no X-Spam-Flag read."""
    raw = (
        b"From: Ivan <ivan@shop.example>\r\nSubject: Payment fails\r\nMessage-ID: <odd@x>\r\n"
        b"X-Spam-Flag: NO\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain; "
        + label
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "Добрый день, не проходит оплата.".encode("cp1251")
        + b"\r\n--B\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=a.png"
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(PNG)
        + b"--B--\r\n"
    )
    msg = parse(raw)
    assert (msg.from_addr, msg.subject, msg.message_id) == (
        "ivan@shop.example",
        "Payment fails",
        "<odd@x>",
    )
    assert msg.header("x-spam-flag") == "NO" and len(msg.attachments) == 1
    assert msg.text.strip() and "Content-Type" not in msg.text  # its own text, not the source


_LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "Content-Type: multipart/mixed; boundary=x",
                "Content-Type: text/plain; charset=koi8-r",
                "Content-Transfer-Encoding: base64",
                "Content-Transfer-Encoding: quoted-printable",
                "Content-Disposition: attachment; filename*=utf-8''%D0%90.png",
                "Subject: =?windows-1251?B?zvjo4ergIA==?=",
                "--x",
                "--x--",
                "",
                "From: =?koi8-r?Q?=F0=D2=C9?= <a@b.example>",
            ]
        ),
        st.text(max_size=40),
    ),
    max_size=30,
)


@PROPERTY
@given(_LINES)
def test_mime_shaped_garbage_parses_without_raising(lines: list[str]) -> None:
    raw = "\r\n".join(lines).encode("utf-8", "surrogatepass")
    msg = parse(raw)
    assert isinstance(msg.text, str)
    assert all(isinstance(a.data, bytes) for a in msg.attachments)


# Arbitrary MIME trees, serialised by email.generator the way a client would.

_NAME_CHARS = "абвгдежзиклмнопрстуфхцчшщыэюяАБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯabcxyzABC0123456789_-()"
_TEXT_CHARS = _NAME_CHARS + " ,.!?:;\n«»—ёЁ"
_CHARSETS = ["utf-8", "windows-1251", "koi8-r", "iso-8859-5", "us-ascii", "x-unknown", "utf-7"]
_ATTACH_TYPES = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/bmp",
    "application/zip",
    "application/octet-stream",
    "application/pdf",
    "text/csv",
    "text/plain",
    "text/html",
]


def _name(draw) -> str:
    stem = draw(st.text(_NAME_CHARS, min_size=1, max_size=40))
    return stem + draw(st.sampled_from([".png", ".jpg", ".bmp", ".zip", ".txt", ".pdf", ""]))


def _header_value(draw) -> tuple[str | Header, str | None]:
    """A header value and, when it must decode exactly, the text a reader sees."""
    text = draw(st.text(max_size=60))
    style = draw(st.sampled_from(["utf-8", "windows-1251", "koi8-r", "raw"]))
    # Control characters become spaces and runs of whitespace one space; the bidi
    # controls and the invisible characters go (bidi.one_line_shown).
    spaced = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text)
    shown = " ".join(one_line_shown(" ".join(spaced.split())).split())
    if "=?" in text or "\ufffd" in text:
        shown = None  # looks like an encoded word itself, or is a replacement already
    if style == "raw" or text.isascii():
        text = " ".join(text.split())  # a raw header value cannot carry line breaks
        return text, shown
    try:
        text.encode(style)
    except UnicodeEncodeError:
        style = "utf-8"
    # Only UTF-8 is exact by construction: a short windows-1251 or koi8-r word is
    # checked for plausibility and may be re-read in another Cyrillic code page.
    return Header(text, style), shown if style == "utf-8" else None


@st.composite
def text_leaf(draw) -> tuple[Message, dict]:
    subtype = draw(st.sampled_from(["plain", "html"]))
    charset = draw(st.sampled_from(_CHARSETS))
    text = draw(st.text(_TEXT_CHARS, max_size=200))
    codec = {"x-unknown": "utf-8", "us-ascii": "utf-8"}.get(charset, charset)
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        data, charset = text.encode("utf-8"), "utf-8"
    part = MIMEBase("text", subtype)
    part.set_param("charset", charset)
    cte = draw(st.sampled_from(["base64", "quoted-printable", "8bit"]))
    _set_payload(part, data, cte)
    return part, {"kind": "text", "subtype": subtype, "charset": charset, "text": text}


def _set_payload(part: Message, data: bytes, cte: str) -> None:
    part.set_payload(data)
    if cte == "base64":
        encoders.encode_base64(part)
    elif cte == "quoted-printable":
        encoders.encode_quopri(part)
    else:
        part.set_payload(data.decode("ascii", "surrogateescape"))
        part["Content-Transfer-Encoding"] = "8bit"


@st.composite
def file_leaf(draw) -> tuple[Message, dict]:
    ctype = draw(st.sampled_from(_ATTACH_TYPES))
    data = draw(st.binary(min_size=1, max_size=300))
    name = _name(draw) if draw(st.booleans()) else None
    part = MIMEBase(*ctype.split("/"))
    cte = draw(st.sampled_from(["base64", "quoted-printable"]))
    if cte == "quoted-printable":
        # QP keeps line ends as line ends: a lone CR cannot survive any QP encoder.
        data = data.replace(b"\r", b"").replace(b"\n", b"") or b"x"
    _set_payload(part, data, cte)
    if name is not None:
        style = draw(st.sampled_from(["rfc2231-utf8", "rfc2231-cp1251", "rfc2047", "plain"]))
        if style == "rfc2231-cp1251":
            value: str | tuple = ("windows-1251", "", name)
            try:
                name.encode("cp1251")
            except UnicodeEncodeError:
                value = name
        elif style == "rfc2047" and not name.isascii():
            value = Header(name, "utf-8").encode()
        else:
            value = name  # non-ASCII becomes RFC 2231 utf-8 by itself
        part.add_header("Content-Disposition", "attachment", filename=value)
        if draw(st.booleans()):
            part.set_param("name", value)
    else:
        part.add_header("Content-Disposition", "attachment")
    return part, {"kind": "file", "filename": name, "data": data}


@st.composite
def mime_tree(draw, depth: int = 0):
    """(Message, leaves): leaves are dicts of what each leaf holds, in order."""
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        part, info = draw(st.one_of(text_leaf(), file_leaf()))
        return part, [info], False
    kind = draw(st.sampled_from(["mixed", "alternative", "related", "rfc822"]))
    if kind == "rfc822":
        inner, leaves, in_alt = draw(mime_tree(depth + 1))
        _set_envelope(draw, inner)
        return MIMEMessage(inner), leaves, in_alt
    node = MIMEMultipart(kind, boundary=f"=={depth}{draw(st.integers(0, 10**6))}==")
    leaves: list[dict] = []
    for _ in range(draw(st.integers(1, 4))):
        child, child_leaves, _alt = draw(mime_tree(depth + 1))
        node.attach(child)
        if kind == "alternative":
            child_leaves = [dict(x, in_alternative=True) for x in child_leaves]
        leaves += child_leaves
    return node, leaves, kind == "alternative"


def _set_envelope(draw, msg: Message) -> str | None:
    msg["From"] = Header("Иван", "utf-8").encode() + " <ivan@shop.example>"
    subject, shown = _header_value(draw)
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{draw(st.integers(0, 10**9))}@shop.example>"
    return shown


def _serialize(msg: Message) -> bytes:
    buf = BytesIO()
    BytesGenerator(buf, policy=email.policy.compat32.clone(linesep="\r\n")).flatten(msg)
    return buf.getvalue()


@PROPERTY
@given(st.data())
def test_any_mime_tree_is_read_and_every_file_is_kept(data) -> None:
    tree, leaves, _ = data.draw(mime_tree())
    subject = _set_envelope(data.draw, tree)
    raw = _serialize(tree)
    msg = parse(raw)
    if subject is not None:
        assert msg.subject == subject

    assert isinstance(msg, ParsedMessage) and isinstance(msg.text, str)
    assert msg.from_addr == "ivan@shop.example"
    files = [x for x in leaves if x["kind"] == "file"]
    # A text/plain or text/html leaf that is the whole message is its body, not a file.
    assert [(a.filename, a.data) for a in msg.attachments] == [
        (x["filename"], x["data"]) for x in files
    ]
    # UTF-8 text parts outside an alternative are always shown in full.
    for leaf in leaves:
        if (
            leaf["kind"] == "text"
            and leaf["subtype"] == "plain"
            and leaf["charset"] == "utf-8"
            and not leaf.get("in_alternative")
            and leaf["text"].strip()
        ):
            assert " ".join(leaf["text"].split()) in " ".join(msg.text.split())


@settings(max_examples=examples(150), deadline=None)
@given(st.from_regex(_PLAIN_ADDRESS, fullmatch=True))
def test_plain_address_shortcut_agrees_with_the_full_parser(address):
    parsed = [a.strip().lower() for _name, a in getaddresses([address]) if "@" in a]
    assert normalize_address(address) == parsed[0]


# --- one simple mailbox read without the full address parser -------------------

_DISPLAY_CHARS = st.sampled_from(list("Ivan Petrov ИванПетров.=?_-'!\t\"()<>,;:@\\[]éB0+"))
_LOCAL = st.from_regex(r"[A-Za-z0-9_%+-]{1,8}(\.[A-Za-z0-9_%+-]{1,5}){0,2}", fullmatch=True)
_DOMAIN = st.from_regex(r"[A-Za-z0-9-]{1,8}(\.[A-Za-z0-9-]{1,5}){0,2}", fullmatch=True)


@settings(max_examples=examples(300))
@given(
    name=st.text(_DISPLAY_CHARS, max_size=20),
    local=_LOCAL,
    domain=_DOMAIN,
    shape=st.sampled_from(["{n} <{a}>", "{n}<{a}>", " <{a}> ", "{a}", " {a} ", '"{n}" <{a}>']),
)
@example(name='"0"@0', local="0", domain="0", shape="{n} <{a}>")  # "0"@0 is 0@0
@example(name="Ivan \t Petrov", local="ivan", domain="x.ru", shape="{n} <{a}>")  # one space
def test_simple_mailboxes_read_as_the_full_parser_reads_them(name, local, domain, shape):
    """What the full parser reads, each local part quoted without need unquoted (as
    _getaddresses promises: «"0"@0 <0@0>» names 0@0 twice)."""
    value = shape.format(n=name, a=f"{local}@{domain}")
    assert _getaddresses(value) == [(n, _unquoted(a)) for n, a in getaddresses([value])]


header_lines = st.lists(
    st.one_of(
        st.sampled_from(
            ["From: a@b.ru", "Subject: Тема", "Message-ID: <m1@b.ru>", "X: y", "", " folded"]
            + ["Message-ID:\r\n <m2@b.ru>", "message-id: m3@b.ru", "X-A : 1", "Message-ID\t: m4@b"]
        ),
        st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
    ),
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(
    header_lines,
    st.sampled_from(["\r\n", "\n", "\r"]),
    st.sampled_from([b"\r\n\r\n", b"\n\n", b"\r\n", b""]),
    st.binary(max_size=40),
)
def test_the_message_id_is_the_one_read_of_the_header_block_alone(lines, end, blank, body):
    """`maild fsck` finds a spooled message's ticket by the id it reads of the raw
    bytes; parse gave a mail without a Message-ID an id hashed from the bytes after
    mending stray line breaks, so fsck called such a message "in no ticket" and
    --repair spooled it again."""
    raw = end.join(lines).encode("utf-8", "surrogateescape") + blank + body
    assert parse(raw).message_id == message_id_of(raw)


@pytest.mark.parametrize("br", [b"\r\n", b"\n"])
def test_fields_below_one_with_blank_space_before_its_colon_are_read(br: bytes) -> None:
    """The MTA reads "X-Mailer : x" as a field (RFC 5322's obsolete syntax) and a
    milter appends its verdict below it; the parser ended the block there: From, the
    Message-ID and the verdict below it were the text, and spam got a ticket."""
    raw = br.join(
        [b"X-Mailer : Outlook", b"From: ivan@shop.ru", b"Message-ID: <m@x>",
         b"X-Spam-Flag: YES", b"", b"body", b""]
    )  # fmt: skip
    msg = parse(raw)
    got = (msg.from_addr, msg.message_id, msg.header("x-spam-flag"), msg.text.strip())
    assert got == ("ivan@shop.ru", "<m@x>", "YES", "body")
    assert message_id_of(raw) == "<m@x>"


def test_a_stray_break_before_a_field_with_blank_space_before_its_colon_ends_a_line():
    """(it was made a space: the field became the end of From's value)"""
    raw = b"From: ivan@shop.ru\nX-Foo : bar\r\nX-Spam-Flag: YES\r\n\r\nbody\r\n"
    assert mend_line_breaks(raw) == raw
    msg = parse(raw)
    assert (msg.from_addr, msg.header("x-spam-flag")) == ("ivan@shop.ru", "YES")


def test_a_mail_without_a_message_id_is_named_by_its_bytes_as_they_came():
    raw = b"From: a@b.ru\rSubject: x\r\n\r\ntext\r\n"  # a stray CR the parser mends
    assert parse(raw).message_id == synthetic_msgid(raw)


def test_bare_lf_lines_that_smtp_ended_in_one_crlf_keep_their_text():
    """smtplib's sendmail(msg.as_bytes()) sends the lines as the bytes have them (LF)
    and SMTP's end of data adds one CRLF: the mail was read as a header block with no
    body, and a staff answer sent so never reached the customer."""
    raw = b"From: a@b.ru\nSubject: hi\nMessage-ID: <q@b.ru>\n\nDone, see\nthe log.\r\n"
    msg = parse(raw)
    assert (msg.subject, msg.text, msg.message_id) == ("hi", "Done, see\nthe log.\n", "<q@b.ru>")
    assert mend_line_breaks(raw) == raw


_QMAIL_TEXT = (
    b"Hi. This is the qmail-send program at mail.shop.example.\r\n"
    b"I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
    b"<ivan@shop.example>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
    b"--- Below this line is a copy of the message.\r\n\r\n"
    b"From: support@example.com\r\nMessage-ID: <ours.1@example.com>\r\n\r\nHello\r\n"
)


def test_only_a_plain_text_mail_is_read_as_a_plain_text_bounce() -> None:
    """qmail and Exim send their bounce as a plain text; a person who pastes one into an
    HTML letter, or sends it with a screenshot, writes to the desk, not a server."""
    head = b"From: olga@shop.example\r\nTo: support@example.com\r\nSubject: failure\r\n"
    assert parse(head + b"\r\n" + _QMAIL_TEXT).delivery_status is not None
    html = b"<html><body><pre>" + _QMAIL_TEXT + b"</pre></body></html>"
    pasted = head + b"Content-Type: text/html\r\n\r\n" + html
    mixed = (
        head + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\n" + _QMAIL_TEXT + b"\r\n--b\r\n"
        b'Content-Type: image/png; name="a.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        b"iVBORw0KGgo=\r\n--b--\r\n"
    )
    for raw in (pasted, mixed):
        msg = parse(raw)
        assert "qmail-send" in msg.text and msg.delivery_status is None, msg.content_type


def test_the_recipient_cap_counts_to_and_cc_together() -> None:
    """A mail naming the cap's worth in To and as many again in Cc made twice the
    participants the cap allows; the Cc past it is kept as text."""
    to = ", ".join(f"t{i}@shop.example" for i in range(2))
    cc = ", ".join(f"c{i}@shop.example" for i in range(3))
    raw = f"From: olga@shop.example\r\nTo: {to}\r\nCc: {cc}\r\nSubject: x\r\n\r\nhi\r\n"
    msg = parse(raw.encode(), max_recipients=3)
    assert msg.to == ("t0@shop.example", "t1@shop.example")
    assert msg.cc == ("c0@shop.example",)
    assert "c2@shop.example" in msg.recipients_cut


def test_a_long_references_keeps_its_newest_ids() -> None:
    """References past the characters read are cut from their start: the newest ids,
    last, name the ticket a long thread's reply belongs to."""
    ids = " ".join(f"<old.{i:05}.aaaaaaaaaaaaaaaaaaaa@mail.example>" for i in range(1000))
    raw = f"From: a@b.example\r\nReferences: {ids} <newest@x>\r\nSubject: x\r\n\r\nhi\r\n"
    msg = parse(raw.encode())
    assert msg.references[-1] == "<newest@x>"
    assert msg.references[0] == "<old.00951.aaaaaaaaaaaaaaaaaaaa@mail.example>"


def test_a_screened_header_is_its_topmost_field() -> None:
    """The receiving MTA writes Return-Path on top; one the sender wrote below it («<>»,
    a mail server's) is not the one read."""
    raw = (
        b"Return-Path: <ivan@shop.example>\r\nFrom: ivan@shop.example\r\n"
        b"Return-Path: <>\r\nSubject: x\r\n\r\nhi\r\n"
    )
    assert parse(raw).header("return-path") == "<ivan@shop.example>"


def test_mail_whose_processing_failed_is_filed_under_its_own_message_id() -> None:
    raw = b"From: a@b.example\r\nMessage-ID: <own.1@b.example>\r\n\r\nhi\r\n"
    assert fallback_message(raw, "unparseable").message_id == "<own.1@b.example>"
