"""Unit tests for maild.domain.addresses: the one address an admin typed, and the
sender's address as the mail gives it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain import addresses, addrspec
from maild.domain.addresses import address_of, valid_addr_spec
from maild.domain.message import parse, read_mail
from maild.domain.records import message_record


@pytest.mark.parametrize(
    ("typed", "address"),
    [("anna@example.com", "anna@example.com"), ("Анна <Anna@Example.COM>", "anna@example.com"),
     (" anna@example.com ", "anna@example.com")],
)  # fmt: skip
def test_an_address_typed_is_taken_lower_case(typed: str, address: str) -> None:
    assert address_of(typed) == address


@pytest.mark.parametrize(
    "typed",
    ["", "example.com", "@example.com", "anna@", "anna@example..com", "anna@.com",
     "anna@example.com, boris@example.com", "anna@example.com boris@example.com",
     "an na@example.com", '"an na"@example.com'],
)  # fmt: skip
def test_anything_but_one_address_is_none(typed: str) -> None:
    """No local part, no domain, an empty label, two addresses, a space: what an admin
    typed names no one mailbox (maild forget, maild license add)."""
    assert address_of(typed) is None


def test_the_senders_address_lower_case_an_8_bit_one_decoded() -> None:
    raw = "From: =?utf-8?b?0JjQstCw0L0=?= <IVAN@Shop.Example>\r\nTo: a@b.ru\r\n\r\nТекст"
    msg = parse(raw.encode())
    assert (msg.from_name, msg.from_addr) == ("Иван", "ivan@shop.example")
    assert msg.recipients_cut == ""  # nothing past the limit
    msg = parse("From: Иван@Пример.рф\r\n\r\nТекст".encode())
    assert msg.from_addr == "иван@пример.рф"


@pytest.mark.parametrize(
    ("header", "address"),
    [
        ('"victim+7"@shop.example', "victim+7@shop.example"),
        ('Иван <"Ivan.Petrov"@Shop.Example>', "ivan.petrov@shop.example"),
        ('"support"@example.com', "support@example.com"),
        ('"an na"@example.com', '"an na"@example.com'),  # the quotes are needed: kept
        ('".ivan"@example.com', '".ivan"@example.com'),
    ],
)
def test_a_local_part_quoted_without_need_is_the_same_address(header: str, address: str):
    """ "victim+N"@ went round the caps on automatic mail (30 confirmations to one
    mailbox where 10 is the cap: smtplib sends it unquoted), and "support"@ past maild's
    checks that it never writes to itself."""
    msg = parse(f"From: {header}\r\nTo: support@example.com\r\nSubject: x\r\n\r\nx\r\n".encode())
    assert msg.from_addr == address


# The addr-spec as first written: its classes name what they take, non-ASCII as the
# range \x80-\U0010ffff (14 ms to compile). maild's spelling names what they leave out.
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\x80-\U0010ffff-"
_LABEL = r"[A-Za-z0-9_\x80-\U0010ffff-]+"
_ADDR_SPEC_AS_FIRST_WRITTEN = re.compile(
    rf'(?:[{_ATEXT}.]*[{_ATEXT}][{_ATEXT}.]*|"(?:[ !#-\[\]-~\x80-\U0010ffff]|\\[ -~])*")'
    rf"@(?:{_LABEL}(?:\.{_LABEL})*|\[[!-Z^-~]*\])"
)
# every ASCII character, and some beyond: Cyrillic, a no-break space, an emoji
_CHARS = st.characters(max_codepoint=0x7F) | st.sampled_from("жЯ\x80\xa0\u202e😀\U0010ffff")


@settings(max_examples=300)
@given(
    st.text(_CHARS, max_size=12),
    st.text(_CHARS, max_size=12),
    st.sampled_from(["", '"', "."]),
)
def test_the_addr_spec_is_the_one_first_written(local: str, domain: str, frame: str) -> None:
    """Each character class takes what the one of the first spelling took."""
    addr = f"{frame}{local}{frame}@{domain}"
    expected = _ADDR_SPEC_AS_FIRST_WRITTEN.fullmatch(addr) is not None
    assert (addrspec._ADDR_SPEC.fullmatch(addr) is not None) == expected


def test_each_character_in_each_place_is_taken_as_first_written() -> None:
    for ch in [chr(c) for c in range(0x80)] + ["ж", "\x80", "😀"]:
        for addr in (f"a{ch}b@x.ru", f"{ch}@x.ru", f'"{ch}"@x.ru', f"a@x{ch}y.ru", f"a@{ch}"):
            expected = _ADDR_SPEC_AS_FIRST_WRITTEN.fullmatch(addr) is not None
            assert (addrspec._ADDR_SPEC.fullmatch(addr) is not None) == expected, addr


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["To", "Cc"]),
    st.binary(max_size=80).filter(lambda b: b"\n" not in b and b"\r" not in b),
)
def test_any_bytes_past_the_recipient_limit_give_a_record_the_store_can_write(
    header: str, tail: bytes
) -> None:
    """The text past limits.max_recipients is kept in the thread record: raw 8-bit
    bytes in it («петя <petya@…>» as UTF-8) were kept as lone surrogates, which no
    store can write, and the mail's commit failed (it stalled `maild serve`)."""
    many = ",\r\n ".join(f"c{n}@shop.example" for n in range(101)).encode()
    raw = (
        b"From: ivan@shop.example\r\n" + header.encode() + b": " + many + b",\r\n " + tail
        + b" <petya@shop.example>\r\nSubject: many\r\n\r\nhello\r\n"
    )  # fmt: skip
    msg = parse(raw)
    assert msg.recipients_cut.startswith(f"{header.lower()}: c100@shop.example")
    record = message_record(
        msg, direction="in", kind="customer", received_at=datetime.now(UTC),
        attachments=[], spool_key=None,
    )  # fmt: skip
    json.dumps(record, ensure_ascii=False).encode()  # as durable.Json writes it


def test_a_display_name_past_the_recipient_limit_is_read_as_any_header() -> None:
    many = ", ".join(f"c{n}@shop.example" for n in range(101))
    raw = f"From: ivan@shop.example\r\nTo: {many}, петя <petya@shop.example>\r\n\r\nhi\r\n"
    msg = parse(raw.encode())
    assert msg.recipients_cut == "to: c100@shop.example, петя <petya@shop.example>"


def test_an_address_past_the_lengths_relays_take_or_undecoded_is_no_address() -> None:
    """Taken before, and mailed: a To line of 1015 octets (RFC 5322's 998), or a
    requester «galina@produkty-optom.ex\ufffdро» whose answers could never arrive."""
    assert valid_addr_spec("n@" + "x" * 60 + ".example")
    assert not valid_addr_spec("n@" + "x" * 64 + ".example")  # a label over 63
    assert valid_addr_spec("a" * 241 + "@shop.example")  # 254 characters
    assert not valid_addr_spec("a" * 242 + "@shop.example")  # over 254
    assert not valid_addr_spec("galina@produkty-optom.ex\ufffdро")
    assert valid_addr_spec("galina@продукты-оптом.рф")


def test_a_quoted_local_part_may_hold_a_quoted_pair_and_an_at_sign() -> None:
    """RFC 5321 4.1.2: «"a\\"b"@» is one mailbox; the domain is what follows the last
    "@", not a quoted one's rest (else a long local part reads as a label over 63)."""
    assert valid_addr_spec('"a\\"b"@shop.example')
    assert valid_addr_spec('"a@' + "b" * 70 + '"@shop.example')


def test_a_character_that_shows_as_none_or_another_is_no_address() -> None:
    """Beyond ASCII an address may hold letters of any script, but no bidi override
    («иван\u202e@» shows its domain reversed to staff), no-break or zero-width space:
    such a sender's address is never stored as a requester nor mailed."""
    assert valid_addr_spec("иван@магазин.рф")
    assert not valid_addr_spec("иван\u202e@магазин.рф")
    assert not valid_addr_spec("иван\u00a0петров@магазин.рф")
    assert not valid_addr_spec("ivan@магазин\u200b.рф")


def test_an_address_literal_is_a_mailbox_a_relay_takes() -> None:
    """RFC 5321 4.1.3: a host with no name is mailed at its address in brackets; a
    sender writing from one is answered there, no bracket is left open."""
    assert valid_addr_spec("ivan@[192.0.2.1]")
    assert valid_addr_spec("ivan@[IPv6:2001:db8::1]")
    assert not valid_addr_spec("ivan@[192.0.2.1")


@given(st.text(st.sampled_from("яЁ語ab1-"), min_size=50, max_size=70))
def test_a_long_non_ascii_label_is_refused_as_its_a_label_is(label: str) -> None:
    """Past 59 characters a non-ASCII label is refused unencoded (punycode's cost grows
    with the square of the label: a few hundred KB of To cost seconds): the answer is
    the one its A-label's length gives."""
    a_label = 4 + len(label.lower().encode("punycode")) if not label.isascii() else len(label)
    assert valid_addr_spec(f"ivan@{label}.рф") == (a_label <= 63)


def test_each_entry_of_an_address_field_counts_toward_the_cap_valid_or_not() -> None:
    """Only valid addresses counted: each To field of 100 invalid ones parsed 100 more
    (with IDN labels, seconds a field); the rest of the fields goes to the cut text."""
    bad = ", ".join(f"x{i}@{'語' * 70}.cn" for i in range(addresses.limits.MAX_RECIPIENTS))
    raw = (
        f"From: a@b.ru\r\nTo: {bad}\r\nTo: {bad}\r\nTo: ivan@shop.ru\r\nSubject: s\r\n\r\nx\r\n"
    ).encode()
    cut: list[str] = []
    msg, _problem = read_mail(raw)
    assert addresses.addresses(msg, "to", cut=cut) == ()
    assert len(cut) == 2 and cut[1] == "to: ivan@shop.ru", cut


def test_a_non_ascii_label_is_measured_as_its_idna_a_label() -> None:
    """RFC 1035's 63 octets count the label as DNS has it, «xn--» and punycode: 70 «я»
    (76 octets so) have no IDNA spelling; 57 (63) do, 58 (64) do not."""
    assert not valid_addr_spec("ivan@" + "я" * 70 + ".рф")
    assert valid_addr_spec("ivan@" + "я" * 57 + ".рф")
    assert not valid_addr_spec("ivan@" + "Я" * 58 + ".рф")
    assert len(("я" * 57).encode("idna")) == 63  # the stdlib's own A-label
    with pytest.raises(UnicodeError):  # «label empty or too long»
        ("я" * 58).encode("idna")
