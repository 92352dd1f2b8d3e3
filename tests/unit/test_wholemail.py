"""wholemail.cut_short: every cut of a multipart mail before its close delimiter is
named, except one that ends its header block at a line end (no framing tells that
apart from mail that ended there); whole mail is never named."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from maild.domain.mimetree import header_block_end
from maild.domain.wholemail import cut_short
from tests.helpers import make_mail

MAIL = make_mail(
    msgid="<w1@c.example>", body="Здравствуйте!\n" * 20, attachments=[("a.bin", "x/y", b"1" * 900)]
)


def test_whole_mail_is_whole():
    assert cut_short(MAIL) is None
    assert cut_short(make_mail(msgid="<w2@c.example>")) is None
    assert cut_short(b"Subject: alert\ndisk full\n") is None  # a script's, no blank line


@given(st.integers(min_value=1, max_value=len(MAIL) - 1))
def test_every_cut_before_the_close_delimiter_is_named(at):
    raw = MAIL[:at]
    close = MAIL.rindex(b"--\n" if MAIL.endswith(b"--\n") else b"--\r\n")
    head = header_block_end(MAIL)
    if at > close or (at <= head and raw.endswith((b"\n", b"\r"))):
        return
    assert cut_short(raw) is not None, raw[-40:]
