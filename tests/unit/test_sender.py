from __future__ import annotations

from datetime import date

from maild.domain.sender import Group, License, identify

TODAY = date(2026, 11, 25)
LICS = [
    License("K-STD", "standard", ("it@shop.ru",), None, "Магазин"),
    License("K-VIP", "vip", ("boss@shop.ru", "it@shop.ru"), date(2027, 1, 1)),
    License("K-OLD", "operative", ("old@shop.ru",), date(2026, 11, 24)),
]
GRPS = [
    Group("Партнёры", "partner", ("partner.ru",)),
    Group("Бывшие", "standard", ("gone.ru",), date(2025, 1, 1)),
]


def test_license_address_gets_its_level_case_insensitively():
    i = identify("Boss@Shop.RU", LICS, GRPS, TODAY)
    assert (i.level, i.source, i.ref, i.commercial) == ("vip", "license", "K-VIP", True)


def test_best_of_several_matches():
    assert identify("it@shop.ru", LICS, GRPS, TODAY).level == "vip"


def test_license_valid_on_its_last_day_and_free_after():
    assert identify("old@shop.ru", LICS, GRPS, date(2026, 11, 24)).level == "operative"
    i = identify("old@shop.ru", LICS, GRPS, TODAY)
    assert i.level == "free" and i.expired and "2026-11-24" in i.reason
    assert i.entitlement is None


def test_group_by_domain_and_expired_group():
    assert identify("dev@partner.ru", LICS, GRPS, TODAY).level == "partner"
    assert identify("dev@sub.partner.ru", LICS, GRPS, TODAY).level == "free"
    i = identify("x@gone.ru", LICS, GRPS, TODAY)
    assert i.level == "free" and i.expired


def test_unknown_sender_is_free_with_reason():
    i = identify("someone@gmail.com", LICS, GRPS, TODAY)
    assert i.level == "free" and not i.commercial and "не указан" in i.reason
    assert identify("", LICS, GRPS, TODAY).level == "free"


def test_entitlement_shared_by_license_colleagues():
    a = identify("it@shop.ru", LICS[:1], [], TODAY)
    b = identify("it@shop.ru", LICS[:1], [], TODAY)
    assert a.entitlement == b.entitlement == "license:K-STD"
