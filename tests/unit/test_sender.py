from __future__ import annotations

from datetime import date, timedelta

from maild.domain.commands import cheat_sheet
from maild.domain.sender import (
    ENTITLED_LEVELS,
    FREE_SUPPORT_MONTHS,
    Group,
    Identification,
    License,
    add_months,
    checked,
    entitled_level,
    free_support_expired,
    identify,
)
from maild.domain.sla import LEVELS

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


def test_a_license_or_group_gives_any_commercial_level_or_free_and_staff_see_them_all():
    commercial = [k for k, lv in LEVELS.items() if lv.commercial]
    assert (*commercial, "free") == ENTITLED_LEVELS  # consulting, development: staff's
    assert commercial == ["partner", "vip", "operative", "standard"]
    assert dict(cheat_sheet())["#level (#уровень) <уровень>"] == ", ".join(ENTITLED_LEVELS)


def test_license_address_gets_its_level_case_insensitively():
    i = identify("Boss@Shop.RU", LICS, GRPS, TODAY)
    assert (i.level, i.source, i.ref, i.commercial) == ("vip", "license", "K-VIP", True)
    assert not i.expired and not i.unverified  # a valid entitlement, not yet checked


def test_best_of_several_matches():
    assert identify("it@shop.ru", LICS, GRPS, TODAY).level == "vip"


def test_license_valid_on_its_last_day_and_free_after():
    assert identify("old@shop.ru", LICS, GRPS, date(2026, 11, 24)).level == "operative"
    i = identify("old@shop.ru", LICS, GRPS, TODAY)
    assert i.level == "free" and i.expired
    # the customer reads it in the confirmation: a Russian sentence and date
    assert i.reason.startswith("срок действия лицензии ") and i.reason.endswith("истёк 24.11.2026")
    assert i.entitlement is None


def test_group_by_domain_and_expired_group():
    assert identify("dev@partner.ru", LICS, GRPS, TODAY).level == "partner"
    # staff read it as «Определение уровня: ...»: a Russian phrase, its nouns declined
    assert identify("dev@partner.ru", LICS, GRPS, TODAY).reason.startswith(
        "входит в группу клиентов «"
    )
    licensed = identify("it@shop.ru", [LICS[0]], [], TODAY)
    assert licensed.reason == "адрес указан в лицензии K-STD (Магазин)"
    assert identify("dev@sub.partner.ru", LICS, GRPS, TODAY).level == "free"
    i = identify("x@gone.ru", LICS, GRPS, TODAY)
    assert i.level == "free" and i.expired
    assert i.reason.startswith("срок действия группы клиентов «") and "-" not in i.reason[-10:]


def test_group_valid_on_its_last_day_and_free_after():
    gone = [Group("Бывшие", "standard", ("gone.ru",), date(2025, 1, 1))]
    assert identify("x@gone.ru", [], gone, date(2025, 1, 1)).level == "standard"
    assert identify("x@gone.ru", [], gone, date(2025, 1, 2)).level == "free"


def test_only_a_license_or_group_makes_a_level_commercial():
    assert Identification("vip", "license", "K", "").commercial
    assert Identification("partner", "group", "G", "").commercial
    assert not Identification("vip", "none", None, "").commercial  # no entitlement
    assert not Identification("free", "license", "K", "").commercial  # a free level


def test_unknown_sender_is_free_with_reason():
    i = identify("someone@gmail.com", LICS, GRPS, TODAY)
    assert i.level == "free" and not i.commercial and "не указан" in i.reason
    assert identify("", LICS, GRPS, TODAY).level == "free"


def test_entitlement_shared_by_license_colleagues():
    a = identify("it@shop.ru", LICS[:1], [], TODAY)
    b = identify("it@shop.ru", LICS[:1], [], TODAY)
    assert a.entitlement == b.entitlement == "license:K-STD"


# -- an unverified sender and the six months of free support ---------------------------

VIP = Identification("vip", "license", "K-VIP", "адрес указан в лицензии K-VIP")


def test_commercial_level_needs_a_verified_address_where_it_can_be_checked():
    assert checked(VIP, can_verify=True, verified=True) == VIP
    assert checked(VIP, can_verify=False, verified=False) == VIP  # no authserv-id: as is
    free = checked(VIP, can_verify=True, verified=False)
    assert (free.level, free.source, free.ref, free.unverified) == ("free", "none", "K-VIP", True)
    assert free.reason.startswith(VIP.reason) and "не подтверждён" in free.reason
    assert not free.commercial


def test_free_sender_is_not_checked():
    ident = identify("anon@mail.ru", LICS, GRPS, TODAY)
    assert checked(ident, can_verify=True, verified=False) is ident


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(date(2026, 5, 15), 6) == date(2026, 11, 15)
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 31), 6) == date(2027, 6, 30)


def test_free_support_lasts_the_regulations_months_from_the_first_ticket():
    """The term is FREE_SUPPORT_MONTHS (the regulation's 6, which README states and
    tests/unit/test_readme.py holds to it): 25 May 2026 to 25 November 2026."""
    first = "2026-05-25"
    last = add_months(date(2026, 5, 25), FREE_SUPPORT_MONTHS)
    free = identify("nobody@x.ru", LICS, GRPS, TODAY)
    vip = identify("boss@shop.ru", LICS, GRPS, TODAY)
    assert not free_support_expired(free, first, last)  # the last day
    assert free_support_expired(free, first, last + timedelta(days=1))
    assert not free_support_expired(free, None, date(2030, 1, 1))  # first ticket now
    assert not free_support_expired(vip, first, date(2030, 1, 1))  # only free support


def test_an_address_a_license_names_is_not_told_free_support_expired_before_it_is_proven():
    """Free support only as the fallback for a licensed address SPF/DKIM did not confirm:
    its level is corrected once the address is, so its free term is not what ended."""
    first, later = "2026-01-12", date(2026, 12, 7)
    for address in ("boss@shop.ru", "x@partner.ru"):  # a license's, a group's
        unproven = checked(identify(address, LICS, GRPS, TODAY), can_verify=True, verified=False)
        assert unproven.level == "free" and unproven.unverified
        assert not free_support_expired(unproven, first, later)
    # a license that ran out gives the free level itself: its term is counted as anyone's
    lapsed = identify("old@shop.ru", LICS, GRPS, TODAY)
    assert lapsed.expired and free_support_expired(lapsed, first, later)


def test_a_level_a_license_gives_is_owed_whatever_the_ticket_was_opened_as():
    """Staff's #level to a level a license or group gives is what the customer is owed
    (the table's transfer to development goes by it): a free ticket moved to consulting
    (its `entitled_level` kept: free) and then to VIP is VIP's, not free support's."""
    opened_free = {"source": "none", "ref": None, "expired": False}
    for level in ENTITLED_LEVELS:
        moved = {"level": level, "entitled_level": "free", "identification": opened_free}
        assert entitled_level(moved) == level
    assert entitled_level({"level": "consulting", "entitled_level": "vip"}) == "vip"
