"""authres reads a resinfo's key=value pairs in one pass, as the pattern of RFC 8601
pvalues read them, and one mail's Authentication-Results once."""

from __future__ import annotations

import re
import time
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import authres, spam, verify
from maild.domain.authres import _pairs, verified_domains
from tests.unit.test_decide import POLICY, _msg

US = "mx.support.example"

# What the pairs are, as a pattern (backtracking: quadratic on a long value an
# unterminated quote ends, so only for short text here).
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_PATTERN = re.compile(rf'([\w./-]+)\s*=\s*((?:{_QUOTED}|[^\s;"])+)(?=[\s;]|$)')

# key characters, separators, quotes and escapes, and Unicode letters, digits and spaces
_CHARS = 'aZ9_./-= \t\n;"\\@é²\u00a0\u2003\x1c'


@settings(max_examples=2000, deadline=None)
@given(st.text(_CHARS, max_size=40))
def test_the_pairs_are_what_the_pattern_finds(resinfo: str) -> None:
    assert _pairs(resinfo) == _PATTERN.findall(resinfo)


def test_a_long_value_costs_its_length_once() -> None:
    """Values an unterminated quote ends, with keys and "=" and quotes inside, read in
    time linear in their length: 50,000 characters each well within a second (the
    pattern took 30 s for the first)."""
    n = 50_000
    for tail in (
        "x" * n + '"',  # a key's worth of characters with no "="
        "a=" * (n // 2) + '"',  # a pair begun at every other character
        '"a=b" ' * (n // 6) + '"',  # quoted strings to read from inside and out
        "\\" * n + '"',
        ("y" * 100 + ";") * (n // 101),
        "a." * (n // 2) + "!",  # a value read whole, its domain then none
    ):
        header = [f"{US}; dkim=pass header.d={tail}"]
        started = time.process_time()
        verified_domains(header, US)
        assert time.process_time() - started < 2.0, tail[:20]


def test_one_mail_reads_our_mtas_header_once() -> None:
    """The rules asking of one mail whether our MTA vouched for it read its header
    once between them."""
    header = f"{US}; dkim=pass header.d=shop.example; dmarc=pass header.from=shop.example"
    msg = _msg(sender="anna@shop.example", headers={"Authentication-Results": header})
    policy = replace(POLICY, authserv_id=US)
    before = authres._verdict.cache_info().misses
    assert verify.proves_sender(msg, policy) and verify.sender_verified(msg, policy)
    verify.requester_verified(msg, "1111-2222", policy)
    assert spam.verdict(msg.headers, ["dmarc"], US, msg.authres_received) is None
    assert authres._verdict.cache_info().misses == before + 1
