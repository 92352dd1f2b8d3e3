"""adapters/relay.py writes MAIL FROM and RCPT TO itself for plain addresses: what it
writes must be what smtplib's quoteaddr makes of them, for any address it takes as
plain; and its dot-stuffing must be what smtplib's DATA sends."""

from __future__ import annotations

import re
import smtplib

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.adapters.relay import _PLAIN, dot_stuffed
from tests.examples import examples

ATOM = st.text(alphabet=st.sampled_from(list("aZ09!#$%&'*+/=?^_`{|}~-.@\"<> (),;:ыÿ")), max_size=12)


@settings(max_examples=examples(500), deadline=None)
@given(st.lists(ATOM, min_size=1, max_size=4).map("".join))
def test_a_plain_address_is_what_quoteaddr_makes_of_it(address: str) -> None:
    if _PLAIN.fullmatch(address):
        assert smtplib.quoteaddr(address) == f"<{address}>"


def test_plain_takes_the_outbox_s_addresses() -> None:
    for address in ("anna@example.com", "boris.b+x@shop-example.ru", "", "a_b-c@x.y.z"):
        assert _PLAIN.fullmatch(address)
    for address in ("Anna <anna@example.com>", "иван@x.ru", "a..b@x.ru", '"a b"@x.ru', "a@"):
        assert not _PLAIN.fullmatch(address)


LINE = st.sampled_from([".", "..", ".x", "x.", "", " .", "end"])
BREAK = st.sampled_from(["\r\n", "\n", "\r", ""])


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.tuples(LINE, BREAK), max_size=8))
def test_dot_stuffing_is_what_smtplib_sends(lines: list[tuple[str, str]]) -> None:
    data = "".join(a + b for a, b in lines).encode()
    quoted = re.sub(rb"(?m)^\.", b"..", data)  # smtplib.SMTP.data's own rule
    expected = quoted + (b"" if quoted.endswith(b"\r\n") else b"\r\n") + b".\r\n"
    assert dot_stuffed(data) == expected
