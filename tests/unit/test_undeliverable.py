"""Unit tests for maild.domain.undeliverable: what is still mailed to an address the
relay refused for good, and when the mark goes."""

from __future__ import annotations

from maild.domain import undeliverable as ud

TYPO = "ivan@exmaple.ru"


def test_a_refused_address_gets_no_automatic_mail_but_a_staff_reply():
    t = ud.mark({"tid": "1"}, TYPO.upper(), "2026-12-03T10:00:00+03:00", "550 5.1.1 a")
    t = ud.mark(t, TYPO, "2026-12-03T11:00:00+03:00", "550 5.1.1 b")  # refused again
    assert t["undeliverable"] == {
        TYPO: {"since": "2026-12-03T10:00:00+03:00", "error": "550 5.1.1 b"}
    }
    for kind in ("confirmation", "notice"):
        assert list(ud.held(t, [TYPO, "olga@shop.ru"], kind)) == [TYPO]
    assert ud.held(t, [TYPO], "staff") == {} and ud.held(None, [TYPO], "notice") == {}
    assert "undeliverable" not in ud.lift(t, [TYPO.upper()])
    assert ud.lift(t, ["olga@shop.ru"]) is t
