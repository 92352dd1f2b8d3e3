"""Unit tests for maild.domain.authres: Authentication-Results from our own MTA only."""

from __future__ import annotations

from email.headerregistry import Address

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.authres import (
    domain_of_value,
    our_verdict,
    sender_verified,
    verified_domains,
)

US = "mx.support.example"

# As Postfix with OpenDKIM + policyd-spf + OpenDMARC stamps it (folding kept).
POSTFIX = (
    "mx.support.example;\r\n\tdkim=pass (2048-bit key; unprotected) header.d=shop.example.ru"
    ' header.i=@shop.example.ru header.s=mail header.b="Abc1+dEf";\r\n'
    "\tspf=pass (mx.support.example: domain of bounce@mailer.example.net designates"
    " 192.0.2.10 as permitted sender) smtp.mailfrom=bounce@mailer.example.net;\r\n"
    "\tdmarc=pass (p=none dis=none) header.from=shop.example.ru"
)


def test_postfix_header_dkim_and_spf_domains() -> None:
    assert verified_domains([POSTFIX], US) == {"shop.example.ru", "mailer.example.net"}


def test_authserv_id_is_case_insensitive() -> None:
    assert verified_domains([POSTFIX], "MX.Support.Example") == {
        "shop.example.ru",
        "mailer.example.net",
    }


def test_headers_from_other_authserv_ids_are_ignored() -> None:
    forged = "mx.support.example.evil.ru; dkim=pass header.d=bank.ru"
    upstream = "mx.google.com; dkim=pass header.d=gmail.com; spf=pass smtp.mailfrom=gmail.com"
    assert verified_domains([forged, upstream], US) == set()
    assert not sender_verified([forged, upstream], US, "ivan@gmail.com")


def test_results_that_do_not_pass_do_not_count() -> None:
    header = (
        f"{US}; dkim=fail (bad signature) header.d=a.ru; dkim=none; spf=softfail"
        " smtp.mailfrom=b.ru; spf=neutral smtp.mailfrom=c.ru; spf=temperror smtp.mailfrom=d.ru;"
        " dkim=policy header.d=e.ru; spf=none smtp.mailfrom=f.ru"
    )
    assert verified_domains([header], US) == set()


def test_bare_none_result() -> None:
    assert verified_domains([f"{US}; none"], US) == set()
    assert verified_domains([f"{US} 1; none"], US) == set()


def test_version_after_authserv_id() -> None:
    assert verified_domains([f"{US} 1; dkim=pass header.d=a.ru"], US) == {"a.ru"}


def test_each_method_is_read_from_the_topmost_header_of_ours_that_states_it() -> None:
    """Our MTA's milters each add a header on top (OpenDMARC's above OpenDKIM's): both
    are read, but a lower header never overrides a method one above it states."""
    headers = [f"{US}; dkim=fail header.d=a.ru", f"{US}; dkim=pass header.d=a.ru"]
    assert verified_domains(headers, US) == set()
    assert not sender_verified(headers, US, "anna@a.ru")
    two = [f"{US}; dmarc=pass header.from=a.ru", f"{US}; dkim=pass header.d=a.ru"]
    assert sender_verified(two, US, "anna@a.ru")
    assert our_verdict(two, US).results == {("dmarc", "pass"), ("dkim", "pass")}
    below = [f"{US}; dkim=pass header.d=a.ru", f"{US}; dmarc=fail header.from=a.ru"]
    assert ("dmarc", "fail") in our_verdict(below, US).results
    # two signatures in one header: both entries of that header count
    sigs = [f"{US}; dkim=pass header.d=a.ru; dkim=pass header.d=b.ru", f"{US}; dkim=fail"]
    assert verified_domains(sigs, US) == {"a.ru", "b.ru"}
    other = ["other.example; dkim=pass header.d=b.ru", f"{US}; dkim=pass header.d=a.ru"]
    assert verified_domains(other, US) == {"a.ru"}


_METHODS = st.sampled_from(["dkim", "spf", "dmarc", "arc"])
_RESULTS = st.sampled_from(["pass", "fail", "none", "softfail"])
_HEADER = st.lists(st.tuples(_METHODS, _RESULTS), max_size=4)


@given(st.lists(_HEADER, min_size=1, max_size=4), _HEADER)
def test_a_lower_header_never_overrides_a_method_stated_above(upper: list, lower: list) -> None:
    """Whatever a header below states (the sender's, if the MTA let it through), the
    results of each method the headers above state stay theirs; it adds only methods
    none above states."""

    def header(entries: list) -> str:
        return "; ".join([US, *(f"{m}={r} header.d=a.ru smtp.mailfrom=a.ru" for m, r in entries)])

    got = our_verdict([*map(header, upper), header(lower)], US).results
    expected: dict[str, set] = {}
    for entries in [*upper, lower]:
        here: dict[str, set] = {}
        for m, r in entries:
            here.setdefault(m, set()).add((m, r))
        for m, pairs in here.items():
            expected.setdefault(m, pairs)
    assert got == set().union(*expected.values())


def test_header_i_gives_the_domain_of_the_identity() -> None:
    header = f"{US}; dkim=pass header.i=robot@news.shop.ru"
    assert verified_domains([header], US) == {"news.shop.ru"}


def test_mailfrom_as_bare_domain() -> None:
    assert verified_domains([f"{US}; spf=pass smtp.mailfrom=shop.ru"], US) == {"shop.ru"}


def test_helo_does_not_count() -> None:
    # SPF on HELO says nothing about the From address.
    assert verified_domains([f"{US}; spf=pass smtp.helo=mail.shop.ru"], US) == set()


def test_comments_nested_and_with_semicolons_and_equals() -> None:
    header = (
        f"{US} (postfix (nested; a=b) comment); dkim=pass (key; dkim=fail header.d=x.ru)"
        " header.d=shop.ru (trailing) ; spf=fail (was: spf=pass smtp.mailfrom=y.ru)"
        " smtp.mailfrom=z.ru"
    )
    assert verified_domains([header], US) == {"shop.ru"}


def test_comment_in_the_middle_of_a_pair() -> None:
    header = f"{US}; dkim=(good key)pass header.d=(signing domain)shop.ru"
    assert verified_domains([header], US) == {"shop.ru"}


def test_quoted_values_and_quoted_semicolons() -> None:
    header = f'{US}; dkim=pass header.d="shop.ru" header.b="a;b"; spf=pass smtp.mailfrom="x@y.ru"'
    assert verified_domains([header], US) == {"shop.ru", "y.ru"}


@pytest.mark.parametrize(
    ("resinfo", "domains"),
    [
        # a quote escaped inside a quoted string does not end it: no second entry
        ('dkim=pass header.d=shop.ru header.b="a\\"; dkim=pass header.d=evil.ru"', {"shop.ru"}),
        # a quote inside a comment opens no quoted string: the comment still ends
        ('dkim=pass (a "quote in a comment) header.d=shop.ru', {"shop.ru"}),
        # an escaped ")" does not end a comment
        ("dkim=pass (a \\) and; dkim=pass header.d=evil.ru) header.d=shop.ru", {"shop.ru"}),
        # a "(" inside a quoted string opens no comment
        (
            'dkim=pass header.d=shop.ru header.b="a(b"; spf=pass smtp.mailfrom=y.ru',
            {"shop.ru", "y.ru"},
        ),
        # an escaped character of a quoted value is itself
        ('dkim=pass header.d="shop\\.ru"', {"shop.ru"}),
        # an escaped quote does not end a quoted string for comments either
        (
            'dkim=pass header.d=shop.ru header.b="a\\"(b"; spf=pass smtp.mailfrom=y.ru',
            {"shop.ru", "y.ru"},
        ),
        # a comment separates the words it stands between
        ("dkim=pass(good key)header.d=shop.ru", {"shop.ru"}),
        # an empty quoted domain is no domain
        ('dkim=pass header.d=""', set()),
    ],
)
def test_quotes_escapes_and_comments_keep_forged_entries_out(resinfo: str, domains: set) -> None:
    assert verified_domains([f"{US}; {resinfo}"], US) == domains


def test_results_are_each_entrys_method_and_result() -> None:
    header = f'{US}; dmarc/1=FAIL (p=reject; dmarc=pass) header.from=x.ru; dkim="pass" '
    header += "header.d=x.ru"
    assert our_verdict([header], US).results == {("dmarc", "fail"), ("dkim", "pass")}


def test_upper_case_methods_results_and_domains() -> None:
    header = f"{US.upper()}; DKIM=PASS Header.D=Shop.RU.; SPF=Pass smtp.MailFrom=X@Y.RU"
    assert verified_domains([header], US) == {"shop.ru", "y.ru"}


def test_method_version() -> None:
    assert verified_domains([f"{US}; dkim/1=pass header.d=a.ru"], US) == {"a.ru"}


def test_garbage_does_not_raise() -> None:
    assert verified_domains(["", ";;;", "(((", '"', f"{US}; =pass", f"{US}; dkim"], US) == set()


@pytest.mark.parametrize(
    ("from_addr", "expected"),
    [
        ("ivan@shop.example.ru", True),  # equal to header.d
        ("Иван Петров <Ivan@Shop.Example.RU>", True),  # display name, case
        ("ivan@msk.shop.example.ru", True),  # subdomain of header.d: relaxed alignment
        ("ivan@mailer.example.net", True),  # SPF domain
        ("ivan@example.ru", False),  # parent of the passing domain is not aligned
        ("ivan@evilshop.example.ru", False),  # suffix without a dot boundary
        ("ivan@other.ru", False),
        ("", False),
        ("not an address", False),
    ],
)
def test_sender_verified_alignment(from_addr: str, expected: bool) -> None:
    assert sender_verified([POSTFIX], US, from_addr) is expected


def test_single_label_passing_domain_aligns_nothing() -> None:
    assert not sender_verified([f"{US}; dkim=pass header.d=ru"], US, "ivan@shop.ru")


def test_no_headers_means_not_verified() -> None:
    assert not sender_verified([], US, "ivan@shop.ru")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=3), st.text(max_size=30))
def test_never_raises(headers: list[str], from_addr: str) -> None:
    assert isinstance(sender_verified(headers, US, from_addr), bool)
    # Whatever follows, a header stamped by someone else contributes nothing.
    assert verified_domains([f"other.example; {h}" for h in headers], US) == set()


def test_a_cyrillic_from_aligns_with_its_domains_a_labels() -> None:
    """DKIM's d= is always in A-labels (RFC 6376); an SMTPUTF8 client's From says
    boss@окна.рф. Compared as written, real mail of a licensed Cyrillic domain was
    "unverified" and got free support with advice to fix its SPF/DKIM."""
    header = ["mx.example.com; dkim=pass header.d=xn--80atjc.xn--p1ai"]
    assert sender_verified(header, "mx.example.com", "boss@окна.рф")
    assert sender_verified(header, "mx.example.com", "boss@xn--80atjc.xn--p1ai")
    spf = ["mx.example.com; spf=pass smtp.mailfrom=boss@окна.рф"]
    assert sender_verified(spf, "mx.example.com", "Boss@XN--80ATJC.XN--P1AI")
    assert not sender_verified(header, "mx.example.com", "boss@ｏкна.рф")  # another name


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        # RFC 8601 pvalue: [local-part "@"] domain, the local part may be quoted
        ('"anna@example.com"@evil.example', "evil.example"),
        ('"anna@example.com"@Evil.Example.', "evil.example"),
        ('"a\\"b@example.com"@evil.example', "evil.example"),
        ('"a b"@shop.ru', "shop.ru"),
        # the whole value one quoted string (RFC 2045 value): what it quotes
        ('"anna@example.com"', "example.com"),
        ('"\\"anna@example.com\\"@evil.example"', "evil.example"),
        ("@sub.example.com", "sub.example.com"),
        ("shop.ru", "shop.ru"),
        # no domain to read: proves nothing
        ('"anna@example.com"@', ""),
        ('"anna@example.com"x', ""),
        ('"anna@example.com"@"evil.example"', ""),
        ("anna@", ""),
        ('""', ""),
    ],
)
def test_the_domain_of_a_value_follows_its_last_at(value: str, domain: str) -> None:
    assert domain_of_value(value) == domain


@pytest.mark.parametrize(
    "resinfo",
    [
        'spf=pass smtp.mailfrom="anna@example.com"@evil.example',
        'dkim=pass header.d=evil.example header.i="anna@example.com"@evil.example',
        'spf=pass smtp.mailfrom=anna@example.com"@evil.example',  # a quote left open
        'spf=pass smtp.mailfrom="anna@example.com"x',
    ],
)
def test_a_quoted_local_part_proves_not_the_domain_it_quotes(resinfo: str) -> None:
    """Read as its quoted part, the envelope "anna@example.com"@evil.example proved
    anna@example.com: a forged staff reply passed, a forged customer's Cc joined."""
    header = [f"{US}; {resinfo}"]
    assert "example.com" not in verified_domains(header, US)
    assert not sender_verified(header, US, "anna@example.com")


_ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"
_ATOM = st.text(_ATEXT, min_size=1, max_size=8)
_DOT_ATOM = st.lists(_ATOM, min_size=1, max_size=3).map(".".join)
# a quoted local part: any printable ASCII, "@" and ";" and spaces too, \ and " escaped
_QTEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
_NAMING = st.tuples(_QTEXT, _QTEXT).map(lambda p: f"{p[0]}anna@staff.example{p[1]}")
_QUOTED = st.one_of(_QTEXT, _NAMING).map(
    lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'
)
_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_DOMAIN = st.lists(_LABEL, min_size=2, max_size=4).map(".".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_DOT_ATOM, _QUOTED), _DOMAIN, st.sampled_from(["spf", "dkim"]))
def test_the_domain_read_is_the_addresss_own(local: str, domain: str, method: str) -> None:
    """Over dot-atom and quoted local parts (RFC 5322), the domain read from our MTA's
    verdict is the one email.headerregistry parses from the address, never a domain
    the local part names."""
    value = f"{local}@{domain}"
    assert Address(addr_spec=value).domain == domain  # the RFC's reading, by the stdlib
    prop = "smtp.mailfrom" if method == "spf" else "header.d=other.example header.i"
    header = [f"{US}; {method}=pass {prop}={value}"]
    expected = {domain} if method == "spf" else {domain, "other.example"}
    assert verified_domains(header, US) == expected
    assert domain_of_value(value) == domain
    # the whole address written as one quoted string (RFC 2045 value): the same domain
    assert domain_of_value('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"') == domain
    assert sender_verified(header, US, f"x@{domain}")
    assert not sender_verified(header, US, "anna@staff.example") or domain == "staff.example"


def test_dkim_proves_its_signing_domain_not_the_from_it_reports() -> None:
    """A DKIM pass proves header.d (and header.i), the signer's: the header.from some
    MTAs add beside it is the From line, whoever wrote it."""
    header = f"{US}; dkim=pass header.d=evil.example header.from=shop.example.ru"
    assert verified_domains([header], US) == {"evil.example"}
