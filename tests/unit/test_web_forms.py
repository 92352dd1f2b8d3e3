"""maild.web.forms: what a posted form becomes in the spool."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from maild.domain.message import parse
from maild.web.forms import compose, limit_key


def _request(address: str, name: str) -> bytes:
    """The request mail the «Задать вопрос» form makes for this address and name."""
    raw, _ = compose(
        support="support@example.com",
        from_addr=address,
        from_name=name,
        subject="Вопрос",
        text="Текст",
        files=[],
        nonce="0123abcd",
        now=datetime(2026, 11, 25, tzinfo=UTC),
    )
    return raw


@pytest.mark.parametrize(
    "name",
    [
        'Мария "Q" <evil@attacker.example>, x Bcc: victim@x.example',
        "Мария <evil@attacker.example>",
        "Ivan <lic@corp.example>",
        "Пётр, Иванович",
        "=?utf-8?q?anna=40example.com?= <evil@attacker.example>",
    ],
)
def test_the_name_typed_in_the_form_never_becomes_another_mailbox(name):
    raw = _request("maria@client.example", name)
    assert parse(raw).from_addr == "maria@client.example"
    [only] = email.message_from_bytes(raw, policy=email.policy.default)["From"].addresses
    assert only.addr_spec == "maria@client.example"


def test_an_address_that_cannot_carry_a_name_goes_without_it():
    # an obsolete local part (RFC 5322 4.4) that mail may bring and Address refuses
    raw = _request("a..b@client.example", "Иван <x@evil.example>")
    assert parse(raw).from_addr == "a..b@client.example"


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.5", "203.0.113.5"),  # an IPv4 client of a dual-stack socket
        ("unknown", "unknown"),
    ],
)
def test_the_per_ip_limit_counts_an_ipv6_network_not_each_address(ip, key):
    assert limit_key(ip) == key
