"""Unit tests for maild.domain.authres: Authentication-Results from our own MTA only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.authres import first_of_ours, results, sender_verified, verified_domains

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


def test_only_the_first_header_of_ours_counts() -> None:
    """Our MTA adds its header on top; a lower one with our id came with the mail."""
    headers = [f"{US}; dkim=fail header.d=a.ru", f"{US}; spf=pass smtp.mailfrom=a.ru"]
    assert verified_domains(headers, US) == set()
    assert not sender_verified(headers, US, "anna@a.ru")
    other = ["other.example; dkim=pass header.d=b.ru", f"{US}; dkim=pass header.d=a.ru"]
    assert verified_domains(other, US) == {"a.ru"}


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
    header = first_of_ours(
        [f'{US}; dmarc/1=FAIL (p=reject; dmarc=pass) header.from=x.ru; dkim="pass" header.d=x.ru'],
        US,
    )
    assert header is not None and results(header) == {("dmarc", "fail"), ("dkim", "pass")}


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
