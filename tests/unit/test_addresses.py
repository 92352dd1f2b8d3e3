"""Unit tests for maild.domain.addresses: the one address an admin typed, and the
sender's address as the mail gives it."""

from __future__ import annotations

import pytest

from maild.domain.addresses import address_of
from maild.domain.message import parse


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
