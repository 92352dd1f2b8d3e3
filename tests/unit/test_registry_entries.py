"""registryinput's rule of what `block add`, `group add --domain` and `license add
--email` take: whatever it takes some mail matches, and what no mail can match
(`*.ru`, `a.ru;b.ru`, `x..ru`, a URL) it refuses."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from maild.domain.addresses import comparable_domain
from maild.domain.spam import BlockList
from maild.registryinput import group_refusal, hint, is_address, is_domain

LABEL = st.text(string.ascii_letters + string.digits + "-_*;,/:@!%? \t", min_size=0, max_size=8)
NAMES = st.lists(LABEL, min_size=1, max_size=4).map(".".join) | st.text(max_size=20)


@given(NAMES)
def test_a_domain_taken_is_one_mail_comes_from(name):
    if not is_domain(name):
        return
    assert BlockList([name]).match(f"ivan@{name}") == name
    assert BlockList([name]).match(f"ivan@mail.{name}") == name  # a block: its subdomains
    assert comparable_domain(name) == comparable_domain(name.lower())
    assert is_address(f"ivan@{name}")
    assert not any(c in name for c in "*;,/:@ \t!%?")


def test_what_no_mail_comes_from_is_refused():
    for bad in ("*.ru", "a.ru;b.ru", "x..ru", "http://x.ru/", "x.ru.", "ru", "a.ru, b.ru"):
        assert not is_domain(bad), bad
    for good in ("shop.ru", "окна.рф", "окна。рф", "mail_x.shop-1.ru", "xn--80atjc.xn--p1ai"):
        assert is_domain(good), good
    assert not is_address("a@b@x.ru") and not is_address("a@*.ru") and not is_address("@x.ru")
    assert is_address("ivan.petrov+desk@shop.ru")
    # a bracket left open, a list's separators: stored, they blocked no sender
    for bad in ("<ivan@x.ru", "ivan<@x.ru", "iv(an@x.ru", "a,b@x.ru", "a;b@x.ru", '"a@x.ru'):
        assert not is_address(bad), bad
    assert not is_address('"ivan petrov"@x.ru')  # blank space, as before
    assert is_address('"a<b"@x.ru') and is_address("o'brien!#$%&*=?^`{|}~@x.ru")


def test_a_domain_in_the_spellings_an_admin_types_is_taken():
    """A fullwidth full stop (an East Asian keyboard: «окна．рф») is a full stop as IDNA
    reads it, and the block list reads it so: `block add` takes it. `group add --domain
    @shop.ru` is the domain shop.ru. Neither is refused as no domain (exit 64)."""
    import argparse

    for typed in ("окна．рф", "shop｡ru"):
        assert is_domain(typed) and BlockList([typed]).match(f"ivan@{typed}"), typed
    assert BlockList(["окна．рф"]).match("ivan@окна.рф")
    for typed in ("@shop.ru", " Shop.RU "):
        assert group_refusal(argparse.Namespace(name="Ромашка", domain=[typed])) is None, typed


def test_a_domain_whose_letters_carry_marks_is_taken():
    """A label of an Indic script spells its vowels with combining marks (भारत, an IDN
    top-level domain): refused as no domain, its customers could not be grouped or its
    spammers blocked."""
    assert is_domain("भारत.भारत") and is_address("ivan@डाटा.भारत")


def test_a_lone_quote_is_no_local_part():
    """'"' alone opens a quoted local part that is never closed: no mail comes from it."""
    assert not is_address('"@x.ru') and not is_address('"a@x.ru')


def test_each_wildcard_is_named_as_none():
    """An admin used to "*", "?" or SQL's "%" is told there are no wildcards, not only
    how one entry is written."""
    for typed in ("*.spam.ru", "sp?m.ru", "%@spam.ru"):
        for command in ("block", "group", "license"):
            assert hint(typed, command).startswith(" (no wildcards: "), (typed, command)
