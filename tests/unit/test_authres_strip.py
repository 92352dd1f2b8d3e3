"""README's postfix `header_checks` line strips exactly what maild takes for an
Authentication-Results of ours (authres.is_ours): a header a sender wrote that maild
would read as ours and postfix lets through makes him staff. The line is read from
README (Connect the mail server), as an admin copies it; its POSIX classes become
Python's, matched as postfix's regexp tables match (case-insensitive, ASCII)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from maild.domain.authres import is_ours, our_verdict

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
ID = "mx.example.com"  # the authserv-id README's line is written for


def readme_lines() -> list[str]:
    """README's header_checks lines for Authentication-Results, each as written."""
    return re.findall(r"^ *(/\^Authentication-Results.*/ IGNORE)$", README, re.MULTILINE)


def strip_pattern() -> re.Pattern[str]:
    """README's line (it stands in the postfix section and the Trust checklist alike)
    as a Python regexp: [[:space:]] is POSIX's space class, case ignored in ASCII."""
    lines = set(readme_lines())
    assert len(lines) == 1 and len(readme_lines()) >= 2, readme_lines()
    [line] = lines
    body = line[1 : line.rindex("/ IGNORE")]
    return re.compile(body.replace("[:space:]", r" \t\n\v\f\r"), re.IGNORECASE | re.ASCII)


PATTERN = strip_pattern()


def stripped(value: str, name: str = "Authentication-Results") -> bool:
    """Whether postfix's header_checks would remove this header (it sees "Name: value"
    as it came, folding kept)."""
    return PATTERN.search(f"{name}: {value}") is not None


def test_the_line_strips_a_forged_header_of_ours_and_no_other() -> None:
    assert stripped(f"{ID}; dkim=pass header.d=staff.example")
    assert stripped("MX.Example.COM;dkim=pass")
    assert stripped(f"{ID} 1; spf=pass smtp.mailfrom=staff.example")
    assert stripped(f"{ID}(forged) ; dkim=pass")
    assert stripped(f"\r\n\t{ID};\r\n\tdkim=pass")
    assert PATTERN.search(f"Authentication-Results : {ID}; dkim=pass")
    for other in (
        f"{ID}.evil.example; dkim=pass",
        "mx2.example.com; dkim=pass",
        "mxxexample.com;",
    ):
        assert not stripped(other) and not is_ours(other, ID)
    assert not PATTERN.search(f"X-Authentication-Results: {ID}; dkim=pass")


_VALUE = st.text(alphabet=ID + ID.upper() + ' \t\r\n\v;()"=?\u00a0\u212a\u0130', max_size=30)


@given(st.one_of(_VALUE, st.builds(lambda a, b: a + ID + b, _VALUE, _VALUE)))
@example(f'"{ID}"; dkim=pass')
@example(f"(c) {ID}; dkim=pass")
@example(f"=?utf-8?q?{ID}?=; dkim=pass")
@example(f"{ID}\u00a0; dkim=pass")
@example(f"\u00a0{ID}; dkim=pass")
@example(f"{ID.replace('x', 'X')}; dkim=pass")
def test_maild_reads_as_ours_exactly_what_the_line_strips(value: str) -> None:
    """A header maild reads as ours that postfix keeps would be the sender's own; one
    postfix strips that maild would not read is the safe side, but none is."""
    assert is_ours(value, ID) == stripped(value), value


K_ID = "mx.bank.ru"  # an authserv-id holding a "k": Unicode folds the Kelvin sign into one


def stripped_for(authserv_id: str, value: str) -> bool:
    """README's line as an admin writes it for his own authserv-id."""
    body = PATTERN.pattern.replace(re.escape(ID), re.escape(authserv_id))
    assert body != PATTERN.pattern
    line = re.compile(body, re.IGNORECASE | re.ASCII)
    return line.search(f"Authentication-Results: {value}") is not None


@pytest.mark.parametrize(
    "value",
    [
        f"{K_ID}; dkim=pass header.d=bank.ru",
        "MX.BANK.RU;dkim=pass header.d=bank.ru",
        "mx.ban\u212a.ru; dkim=pass header.d=bank.ru; spf=pass smtp.mailfrom=bank.ru",
        "MX.BAN\u212a.RU (x); dkim=pass header.d=bank.ru",
    ],
)
def test_the_kelvin_sign_is_no_k_of_our_authserv_id(value: str) -> None:
    """postfix folds ASCII letters only: `mx.banK.ru` with the Kelvin sign (U+212A, which
    Python's str.lower() makes "k") passes its header_checks line, so maild must not read
    it as its MTA's, or a sender's own dkim=pass of the bank makes him staff. The
    property test above cannot tell: its ID has no "k"."""
    assert is_ours(value, K_ID) == stripped_for(K_ID, value)
    if not stripped_for(K_ID, value):
        assert our_verdict([value], K_ID).domains == frozenset()


@pytest.mark.parametrize("authserv_id", ["", "  ", "\t"])
def test_no_authserv_id_reads_no_header_as_ours(authserv_id: str) -> None:
    """An authserv-id of nothing names no MTA: no header is its, not even one whose
    value begins with ";" or a comment (nothing first, then a separator)."""
    for value in ("; dkim=pass header.d=bank.ru", " (x); dkim=pass header.d=bank.ru", ""):
        assert not is_ours(value, authserv_id)
        assert our_verdict([value], authserv_id).domains == frozenset()
