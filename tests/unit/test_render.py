"""Hand-written RFC 2047 headers of outgoing mail: they must read back exactly."""

from __future__ import annotations

import email
import email.policy

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.render import _header_line

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


def read_back(name: str, value: str) -> tuple[str, bytes]:
    raw = _header_line(name, value)
    msg = email.message_from_bytes(raw + b"\r\n", policy=email.policy.default)
    return str(msg[name]), raw


@settings(max_examples=200, deadline=None)
@given(TEXT.map(lambda s: " ".join(s.split())))  # what the renderer gives: no line breaks
def test_any_subject_reads_back_and_lines_stay_short(subject):
    text, raw = read_back("Subject", subject)
    assert text == subject
    if not subject.isascii():
        assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_tid_tag_stays_readable_in_the_raw_header():
    subject = "Не формируется отчёт по продажам за квартал, помогите разобраться [TID#1234-5678]"
    text, raw = read_back("Subject", subject)
    assert text == subject
    assert b"[TID#1234-5678]" in raw


def test_display_name_is_encoded_and_address_kept():
    text, raw = read_back("From", "Служба поддержки <support@example.com>")
    assert text == "Служба поддержки <support@example.com>"
    assert b"<support@example.com>" in raw and raw.isascii()
