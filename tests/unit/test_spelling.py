"""spelling.as_listed: support's own people as the config lists them, in either
spelling of a Cyrillic (IDN) domain and any case, and nobody else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from maild.domain.addresses import comparable_address
from maild.domain.spelling import as_listed, routed_address, routed_domain
from tests.helpers import make_mail

LISTED = ("anna@поддержка.рф", "boris@xn--80atjc.xn--p1ai", "head@example.com")


def test_the_other_spelling_of_a_listed_address_is_that_entry() -> None:
    assert as_listed("anna@xn--80ahaefyxhn.xn--p1ai", LISTED) == "anna@поддержка.рф"
    assert as_listed("ANNA@XN--80AHAEFYXHN.XN--P1AI", LISTED) == "anna@поддержка.рф"
    assert as_listed("boris@окна.рф", LISTED) == "boris@xn--80atjc.xn--p1ai"
    assert as_listed("Boris@ОКНА.РФ", LISTED) == "boris@xn--80atjc.xn--p1ai"
    assert as_listed("anna@поддержка.рф", LISTED) == "anna@поддержка.рф"


def test_nobody_else_is_taken_for_a_listed_address() -> None:
    """IDNA 2003 folds ß into ss, a fullwidth letter or dot into ASCII: other names."""
    listed = ("anna@straße.de", "olga@example.org")
    for other in (
        "anna@strasse.de",
        "olga@ｅxample.org",
        "olga@example。org",
        "olga@example.org.evil.example",
        "olga+x@example.org",
        "",
        "olga",
    ):
        assert as_listed(other, listed) == other
    assert as_listed("olga@example.org", ("anna@straße.de",)) == "olga@example.org"


_ADDR = st.one_of(
    st.text(max_size=30),
    st.sampled_from([*LISTED, "anna@xn--80ahaefyxhn.xn--p1ai", "Boris@ОКНА.РФ", "a@b.c"]),
)


@given(_ADDR, st.lists(_ADDR, max_size=4))
def test_as_listed_gives_the_address_or_an_entry_it_compares_equal_to(address, listed):
    got = as_listed(address, listed)
    assert got == address or (
        got in listed and comparable_address(got) == comparable_address(address)
    )


def test_staff_verified_takes_a_staff_member_in_either_spelling_and_nobody_else() -> None:
    """verify.staff_verified needed the From as support.staff wrote it: anna listed as
    anna@поддержка.рф, her client writing A-labels, proved nothing either way."""
    import dataclasses

    from maild.domain.message import parse
    from maild.domain.replyaddr import sign_for
    from maild.domain.verify import staff_verified
    from tests.unit.test_decide import POLICY, SECRET, SUPPORT

    dkim = {"Authentication-Results": "mx.example.com; dkim=pass header.d=xn--80ahaefyxhn.xn--p1ai"}
    for listed, writes in (
        ("anna@поддержка.рф", "anna@xn--80ahaefyxhn.xn--p1ai"),
        ("anna@xn--80ahaefyxhn.xn--p1ai", "Anna@XN--80AHAEFYXHN.XN--P1AI"),
    ):
        policy = dataclasses.replace(POLICY, staff=(listed,))
        signed = sign_for("1111-2222", listed, SECRET, SUPPORT)
        assert staff_verified(parse(make_mail(sender=writes, to=signed)), policy)
        with_dkim = dataclasses.replace(policy, authserv_id="mx.example.com")
        assert staff_verified(parse(make_mail(sender=writes, to=SUPPORT, headers=dkim)), with_dkim)
        assert not staff_verified(parse(make_mail(sender=writes, to=SUPPORT)), policy)
    policy = dataclasses.replace(POLICY, staff=("anna@straße.de",))
    signed = sign_for("1111-2222", "anna@straße.de", SECRET, SUPPORT)
    assert not staff_verified(parse(make_mail(sender="anna@strasse.de", to=signed)), policy)


# -- routed_domain: the block list's and the caps' key -----------------------------

_LABEL = st.text("абвгдежзийклмнопрстуфхцчшщыэюяАБВabcXYZ0123456789-", min_size=1, max_size=12)
_DOTS = st.sampled_from([".", "\u3002", "\uff0e", "\uff61"])


@given(st.lists(_LABEL, min_size=1, max_size=4), st.lists(_DOTS, min_size=3, max_size=3))
def test_any_full_stop_and_a_trailing_dot_route_alike(labels, dots):
    plain = ".".join(labels)
    odd = "".join(label + dots[i % 3] for i, label in enumerate(labels[:-1])) + labels[-1]
    assert routed_domain(odd) == routed_domain(plain) == routed_domain(plain + ".")
    assert routed_domain(plain.upper() + dots[0]) == routed_domain(plain)
    assert routed_address(f"Ivan@{odd}") == routed_address(f"ivan@{plain}.")


@given(st.lists(_LABEL, min_size=1, max_size=3), st.sampled_from(["ß", "ς", "\u200d"]))
def test_no_deviation_character_routes_as_what_idna_2003_maps_it_to(labels, odd):
    """ß, final sigma and a joiner are kept by IDNA 2008 and UTS 46 (nontransitional):
    IDNA 2003 made faß.de fass.de, someone else's domain (addresses._spelt_as_written)."""
    mapped = {"ß": "ss", "ς": "σ", "\u200d": ""}[odd]
    labels[0] = labels[0][:1] + odd + labels[0][1:]
    domain = ".".join(labels)
    assert routed_domain(domain) != routed_domain(domain.replace(odd, mapped))


@given(st.text(max_size=60))
def test_routed_never_raises_and_is_a_fixed_point(text):
    once = routed_domain(text)
    assert routed_domain(once) == once
    assert isinstance(routed_address(text), str)


def test_routed_domain_examples() -> None:
    assert routed_domain("окна。рф") == routed_domain("ОКНА．РФ.") == "xn--80atjc.xn--p1ai"
    assert routed_domain("ｅｘａｍｐｌｅ｡com") == routed_domain("Example.com.") == "example.com"
    assert routed_domain("example.com..") == "example.com.."  # postfix keeps it: bogus
    assert routed_domain("straße.de") == "straße.de" != routed_domain("strasse.de")


def test_an_address_with_a_trailing_dot_is_read_as_postfix_routes_it() -> None:
    """«x@example.com.» was no address at all (no sender: no block, no cap, no reply);
    postfix's trivial-rewrite drops the dot, not a «..» nor a domain of a dot alone."""
    from maild.domain.message import parse

    def read(sender: str, to: str = "support@example.com") -> tuple[str, tuple[str, ...]]:
        raw = f"From: {sender}\r\nTo: {to}\r\nSubject: s\r\nMessage-ID: <a@b>\r\n\r\nhi\r\n"
        msg = parse(raw.encode())
        return msg.from_addr, msg.to

    assert read("Ivan <Ivan@Example.com.>") == ("ivan@example.com", ("support@example.com",))
    assert read("ivan@example.com.", "support@example.com., olga@x.ru.") == (
        "ivan@example.com",
        ("support@example.com", "olga@x.ru"),
    )
    assert read("ivan@example.com..")[0] == ""
    assert read("ivan@.")[0] == ""
