"""addresses.comparable_address / comparable_domain: one address however its domain is
spelt (магазин.рф or xn--80aairftm.xn--p1ai, any case), for identification."""

from __future__ import annotations

import tracemalloc
import unicodedata

from hypothesis import assume, given
from hypothesis import strategies as st

from maild.domain import authres
from maild.domain.addresses import (
    a_labelled,
    ascii_domain,
    comparable_address,
    comparable_domain,
    each_once,
    normalize_address,
    spellings,
)

_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
_LABEL = st.text(_CYRILLIC + "abcXYZ0123456789", min_size=1, max_size=15)
_LOCAL = st.text("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789._+-", min_size=1, max_size=20)
_CASE = st.sampled_from([str, str.lower, str.upper, str.title, str.swapcase])


@given(_LOCAL, st.lists(_LABEL, min_size=1, max_size=3), st.sampled_from(["рф", "РФ", "ru"]))
def test_the_unicode_and_the_a_label_form_of_a_domain_compare_equal(local, labels, tld):
    domain = ".".join([*labels, tld])
    a_label = domain.encode("idna").decode("ascii")
    mine = comparable_address(f"{local}@{domain}")
    assert mine.isascii() and mine == mine.lower()
    assert mine == comparable_address(f"{local}@{a_label}")
    assert comparable_address(mine) == mine
    assert comparable_domain(domain) == comparable_domain(a_label) == mine.rpartition("@")[2]


@given(_LOCAL, st.lists(_LABEL, min_size=1, max_size=3), _CASE, _CASE, _CASE)
def test_case_does_not_matter_in_either_form(local, labels, case1, case2, case3):
    domain = ".".join([*labels, "рф"])
    a_label = domain.encode("idna").decode("ascii")
    expected = comparable_address(f"{local}@{domain}")
    assert comparable_address(f"{case1(local)}@{case2(domain)}") == expected
    assert comparable_address(f"{case1(local)}@{case3(a_label)}") == expected


def test_a_domain_in_decomposed_letters_is_the_same_domain() -> None:
    """«й» typed as и and a combining breve (NFD: macOS, some forms) is the same
    letter: IDNA's A-label of it reads back composed, and the address is still the
    person's (licenses, groups), not a domain of its own spelt as typed."""
    composed = "ivan@мойсайт.рф"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert comparable_address(decomposed) == comparable_address(composed)
    assert comparable_address(decomposed) == "ivan@xn--80arbjktj.xn--p1ai"


def test_the_registry_examples() -> None:
    assert comparable_address("boss@окна.рф") == "boss@xn--80atjc.xn--p1ai"
    assert comparable_address(" Boss@XN--80ATJC.XN--P1AI ") == "boss@xn--80atjc.xn--p1ai"
    assert comparable_domain("Магазин.РФ") == "xn--80aairftm.xn--p1ai"
    assert comparable_address("Director@Firm.RU") == "director@firm.ru"
    # a name IDNA cannot spell (an empty label, a label over 63 octets): as typed
    assert comparable_address("a@окна..рф") == "a@окна..рф"
    assert comparable_domain("Ж" * 70 + ".рф") == "ж" * 70 + ".рф"


@given(st.text(max_size=80))
def test_garbage_does_not_raise(text: str) -> None:
    assert isinstance(comparable_address(text), str)
    assert isinstance(comparable_domain(text), str)
    assert isinstance(ascii_domain(text), str)


@given(st.text(max_size=40), st.text(max_size=40))
def test_the_local_part_is_kept_and_only_the_domain_spelt_in_ascii(local: str, domain: str):
    addr = f"{local}@{domain}"
    spelt = ascii_domain(addr)
    assert spelt.rpartition("@")[0] == addr.rpartition("@")[0]
    assert spelt == addr or spelt.rpartition("@")[2].isascii()


def test_a_compatibility_spelling_of_an_ascii_name_is_no_spelling_of_it() -> None:
    """IDNA 2003 folds fullwidth letters and dots into ASCII: «ｅxample.org» and
    «example。org» came out as example.org, a thousand spellings of one mailbox that
    the caps and the block list, counting addresses as written, took for others. Such
    a name stays as it came; so does «straße.de» (folded to strasse.de, another
    domain under today's IDNA)."""
    for domain in ("ｅxample.org", "example。org", "example．org", "example｡org", "straße.de"):
        assert comparable_domain(domain) == domain.lower()
        assert ascii_domain(f"v@{domain}") == f"v@{domain}"


def test_a_name_idna_2003_would_spell_as_another_name_is_no_spelling_of_it() -> None:
    """IDNA 2003 maps ß to ss and ς to σ and drops the zero-width joiners; registries
    keep them (IDNA 2008). So «faßmüller.de» came out as xn--fassmller-u9a.de, which is
    fassmüller.de, a domain anyone may register: our headers named it, its mail joined
    the other's ticket, and its DKIM signature verified a From of faßmüller.de. Such a
    name stays as it came; a name of letters IDNA reads back as written is spelt."""
    for domain in ("faßmüller.de", "ςφ.gr", "نامه\u200cای.ir", "ﬁnn.рф", "ẞtraße.рф"):
        assert comparable_domain(domain) == domain.lower(), domain
        assert ascii_domain(f"v@{domain}") == f"v@{domain}"
    assert comparable_domain("faßmüller.de") != comparable_domain("fassmüller.de")
    assert comparable_domain("ОКНА.рф") == "xn--80atjc.xn--p1ai"
    assert comparable_domain("über.de") == "xn--ber-goa.de"
    dkim = ["mx.example.com; dkim=pass header.d=xn--fassmller-u9a.de"]
    assert not authres.sender_verified(dkim, "mx.example.com", "info@faßmüller.de")


@given(st.text(max_size=30).filter(lambda d: not d.isascii()))
def test_a_non_ascii_name_is_kept_or_spelt_in_real_a_labels(domain: str) -> None:
    """A non-ASCII name never comes out as an ASCII name of plain labels: either as it
    came (stripped, lower-cased) or with each of its non-ASCII labels an A-label (xn--)."""
    name = domain.strip()  # (a name of white space alone is none)
    spelt = comparable_domain(domain)
    if name.isascii() or not spelt.isascii():
        assert spelt == name.lower()
        return
    for label, out in zip(name.split("."), spelt.split("."), strict=True):
        assert out == label.lower() if label.isascii() else out.startswith("xn--")


def test_long_distinct_addresses_are_not_kept_in_the_caches() -> None:
    """Hostile sizes: the answers for 200 distinct 100,000-character From addresses
    stayed in the caches (80 MB). Only what a real address can be is cached."""
    tracemalloc.start()
    try:
        for i in range(200):
            address = f"X{i}@" + "A" * 100_000 + ".RU"
            assert comparable_address(address) == address.lower()
            assert normalize_address(address) == address.lower()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 2_000_000
    assert comparable_address("Boss@ОКНА.рф") == comparable_address("boss@xn--80atjc.xn--p1ai")


def test_a_labelled_spells_only_an_ascii_mailbox_at_a_real_idn_in_ascii() -> None:
    """How maild writes an address in its headers (and in the envelope without
    SMTPUTF8): boss@окна.рф in A-labels; иван@окна.рф has no ASCII spelling; a
    fullwidth or ideographic-dot spelling is never rewritten into another address."""
    assert a_labelled("boss@окна.рф") == "boss@xn--80atjc.xn--p1ai"
    assert a_labelled("Boss@ОКНА.РФ") == "Boss@xn--80atjc.xn--p1ai"
    assert a_labelled("boss@xn--80atjc.xn--p1ai") == "boss@xn--80atjc.xn--p1ai"
    assert a_labelled("иван@окна.рф") == "иван@окна.рф"
    for kept in ("v@example。org", "v@ｅxample.org", "v@окна。рф", "v@окна..рф", "no-at-sign"):
        assert a_labelled(kept) == kept


@given(st.one_of(st.text(max_size=40), st.builds("{}@{}".format, _LOCAL, st.text(max_size=30))))
def test_a_labelled_names_the_same_mailbox(address: str) -> None:
    """(No white space: no stored address holds any, addresses.valid_addr_spec; what
    comparable_domain strips off a domain a header does not.)"""
    assume(not any(c.isspace() for c in address))
    spelt = a_labelled(address)
    assert a_labelled(spelt) == spelt
    assert spelt == address or (spelt.isascii() and spelt.rpartition("@")[0].isascii())
    assert comparable_address(spelt) == comparable_address(address)


def test_each_once_takes_one_mailbox_in_either_spelling_once() -> None:
    """A ticket's participants (merge, a To and Cc list) hold each person once: anna at
    магазин.рф and at its A-labels (as our headers name her) is one mailbox, so she
    gets one copy of each mail, in the spelling met first; an empty entry is none."""
    got = each_once(
        ["anna@магазин.рф", "", "Boris@Firm.ru", "ANNA@XN--80AAIRFTM.XN--P1AI", "boris@firm.ru"]
    )
    assert got == ["anna@магазин.рф", "Boris@Firm.ru"]


def test_spellings_of_an_address_are_its_unicode_and_a_label_forms() -> None:
    assert spellings("Boss@ОКНА.РФ") == ("boss@окна.рф", "boss@xn--80atjc.xn--p1ai")
    assert spellings("BOSS@XN--80ATJC.XN--P1AI") == ("boss@xn--80atjc.xn--p1ai", "boss@окна.рф")
    assert spellings("Ivan@Shop.ru") == ("ivan@shop.ru",)
    # a folded spelling has no other one, nor an A-label that reads back as another name
    assert spellings("a@ｅxample.com") == ("a@ｅxample.com",)
    assert spellings("a@xn--fa-hia.de") == ("a@xn--fa-hia.de",)
    assert spellings("a@xn--zz.ru") == ("a@xn--zz.ru",)
    # an A-label whose reading holds an ideographic full stop: «ivan@shop。evil.example»
    # is another address (comparable_address keeps it as written), never this one's
    # spelling: forget would erase its mentions, a reply address signed for it prove this
    assert spellings("ivan@xn--shopevil-rm3g.example") == ("ivan@xn--shopevil-rm3g.example",)


@given(st.text(max_size=40))
def test_spellings_never_raise_and_compare_equal(text: str) -> None:
    forms = spellings(text)
    assert forms and len({comparable_address(f) for f in forms}) == 1
