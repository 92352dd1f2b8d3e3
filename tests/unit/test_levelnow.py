"""domain/levelnow.py: the level a requester's follow-up takes from the registry now."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from maild.domain import levelnow
from maild.domain import ticket as tk
from maild.domain.sender import Identification, checked

MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
LATER = T0 + timedelta(hours=1)
IVAN = "ivan@x.ru"
FREE = Identification("free", "none", None, "адрес не указан ни в одной лицензии")
VIP = Identification("vip", "license", "K-1", "адрес указан в лицензии K-1")
STANDARD = Identification("standard", "license", "K-2", "адрес указан в лицензии K-2")
EXPIRED = Identification("free", "none", "K-1", "срок действия лицензии K-1 истёк", expired=True)
HOURS = {"vip": 2, "partner": 3, "operative": 4, "standard": 6, "free": 24, "consulting": 40}


def due(level: str, start: datetime) -> datetime:
    return start + timedelta(hours=HOURS[level])


def ticket(ident: Identification, **kw):
    t = tk.new_ticket("1234-5678", IVAN, "Тема", ident, T0, due)
    return {**t, **kw}


def closed(ident: Identification):
    return ticket(ident, status="closed", closed_at=T0.isoformat(), reaction_due=None)


def now(t, ident, messages=(), sender=IVAN, proven=False):
    return levelnow.level_now(t, list(messages), sender, ident, LATER, due, proven=proven)


def test_a_reopening_reply_after_the_license_expired_is_free_support_with_its_reason():
    t = now(closed(VIP), EXPIRED)
    assert t["level"] == "free"
    assert t["identification"]["reason"] == EXPIRED.reason  # a new ticket's words
    assert t["identification"]["expired"] is True
    assert t["identification"]["entitlement"] is None  # colleagues no longer write in
    t, reopened = tk.on_customer_message(t, LATER, due)
    assert reopened and t["reaction_due"] == due("free", LATER).isoformat()


def test_a_reopening_reply_takes_a_license_added_since():
    t = now(closed(FREE), VIP)
    assert t["level"] == "vip" and t["identification"]["entitlement"] == "license:K-1"


def test_an_open_ticket_rises_with_a_license_added_and_its_deadline_comes_sooner():
    t = now(ticket(FREE), VIP)
    assert t["level"] == "vip"
    assert t["reaction_due"] == due("vip", LATER).isoformat()
    assert t["reaction_from"] == LATER.isoformat()
    assert t["first_reaction_due"] == t["reaction_due"]  # the first reaction is owed so


def test_a_pending_deadline_sooner_than_the_new_levels_stays():
    pending = (T0 + timedelta(hours=2)).isoformat()
    t = now(ticket(STANDARD, reaction_due=pending), VIP)
    assert t["level"] == "vip" and t["reaction_due"] == pending  # 3 h from LATER is later


def test_an_answered_ticket_rises_with_nothing_due_until_the_mail_starts_the_clock():
    answered = ticket(FREE, status="open", reaction_due=None, first_reaction_at=T0.isoformat())
    t = now(answered, VIP)
    assert t["level"] == "vip" and t["reaction_due"] is None
    t, _ = tk.on_customer_message(t, LATER, due)
    assert t["reaction_due"] == due("vip", LATER).isoformat()
    assert t["first_reaction_due"] == answered["first_reaction_due"]  # judged as it was


def test_work_in_progress_keeps_its_level_when_the_license_expires_or_is_worse():
    assert now(ticket(VIP), EXPIRED) is None
    assert now(ticket(VIP), STANDARD) is None
    assert now(ticket(VIP, status="waiting", reaction_due=None), FREE) is None
    assert now(ticket(VIP), VIP) is None


def test_a_level_staff_set_is_never_overridden():
    for cmd in ("#level standard", "#consulting", "#development"):
        staff = [{"kind": "staff", "commands": ["#take", cmd]}]
        assert now(ticket(FREE), VIP, staff) is None
        assert now(closed(VIP), EXPIRED, staff) is None


def test_a_level_command_merged_in_from_another_ticket_set_that_ones_level():
    moved = [{"kind": "note", "commands": ["#level standard"], "merged_from": "1111-2222"}]
    assert now(ticket(FREE), VIP, moved)["level"] == "vip"


def test_only_the_requesters_mail_asks_the_registry():
    assert now(closed(VIP), EXPIRED, sender="colleague@x.ru") is None
    assert now(ticket(FREE), VIP, sender="colleague@x.ru") is None


def test_an_address_spf_dkim_does_not_confirm_is_owed_its_level_as_on_a_new_ticket():
    unverified = checked(VIP, can_verify=True, verified=False)
    t = now(closed(FREE), unverified)  # reopened, unproven: free, the level owed kept
    assert t is None  # free already: nothing changes
    t = now(closed(STANDARD), unverified)
    assert t["level"] == "free" and t["identification"]["owed"]["level"] == "vip"
    confirmed = levelnow.address_confirmed(t, [], unverified, LATER, due)  # its next proven mail
    assert confirmed is not None and confirmed["level"] == "vip"
    # a reply to the address signed for the requester proves it: the level it is owed
    assert now(ticket(FREE), unverified, proven=True)["level"] == "vip"
    assert now(ticket(FREE), unverified) is None


UNPROVEN = checked(VIP, can_verify=True, verified=False)  # a VIP address SPF/DKIM did not confirm


def test_a_confirmed_address_keeps_the_earlier_deadline_of_the_free_support_it_had():
    """Confirmed an hour before its free deadline, VIP's two hours from then are later:
    the regulation's maximum time is the level's, never more than was promised."""
    t = ticket(UNPROVEN)
    free_due = t["reaction_due"]  # T0 + 24 h
    at = datetime.fromisoformat(free_due) - timedelta(hours=1)
    confirmed = levelnow.address_confirmed(t, [], UNPROVEN, at, due)
    assert confirmed["level"] == "vip" and confirmed["identification"]["source"] == "license"
    assert confirmed["reaction_due"] == confirmed["first_reaction_due"] == free_due
    assert confirmed["first_reaction_level"] == "free"  # judged by the deadline it had


def test_a_confirmed_address_gets_the_better_levels_deadline_when_it_is_sooner():
    confirmed = levelnow.address_confirmed(ticket(UNPROVEN), [], UNPROVEN, LATER, due)
    assert confirmed["reaction_due"] == due("vip", LATER).isoformat()
    assert confirmed["first_reaction_due"] == confirmed["reaction_due"]
    assert confirmed["first_reaction_level"] == "vip"


def test_a_passed_deadline_stays_passed_when_the_address_is_confirmed():
    passed = (T0 + timedelta(minutes=30)).isoformat()  # before LATER: escalated already
    t = ticket(UNPROVEN, reaction_due=passed, first_reaction_due=passed)
    confirmed = levelnow.address_confirmed(t, [], UNPROVEN, LATER, due)
    assert confirmed["level"] == "vip"
    assert confirmed["reaction_due"] == confirmed["first_reaction_due"] == passed


def test_a_better_level_never_puts_the_first_deadline_off():
    """The pending deadline a later mail started moves to the better level's; the first
    reaction, still owed, keeps the earlier first deadline it had."""
    first = (T0 + timedelta(hours=2, minutes=30)).isoformat()  # sooner than LATER + 2 h
    t = ticket(UNPROVEN, first_reaction_due=first)
    for raised in (levelnow.address_confirmed(t, [], UNPROVEN, LATER, due), now(t, VIP)):
        assert raised["reaction_due"] == due("vip", LATER).isoformat()
        assert raised["first_reaction_due"] == first
        assert raised["first_reaction_level"] == "free"


def test_a_confirmed_address_gets_the_level_the_registry_gives_it_now():
    """The license the address was owed a level by expired (or was removed, or changed)
    before the requester's proven mail: the registry now decides, as for any follow-up;
    the level kept on the ticket gave VIP by a license that had expired the day before."""
    t = ticket(UNPROVEN)
    assert levelnow.address_confirmed(t, [], EXPIRED, LATER, due) is None
    assert levelnow.address_confirmed(t, [], FREE, LATER, due) is None
    assert now(t, EXPIRED, proven=True) is None  # free already: it stays so
    lowered = levelnow.address_confirmed(
        t, [], checked(STANDARD, can_verify=True, verified=False), LATER, due
    )
    assert lowered["level"] == "standard"
    assert lowered["identification"]["entitlement"] == "license:K-2"


def test_a_level_staff_set_stays_when_the_address_is_confirmed():
    """#level is staff's decision: the requester's proven address does not override it,
    as no follow-up does (level_now), nor lower a better level staff gave."""
    t = ticket(UNPROVEN)
    by_staff = [{"direction": "out", "commands": ["#level standard"]}]
    kept = levelnow.address_confirmed({**t, "level": "standard"}, by_staff, UNPROVEN, LATER, due)
    assert kept["level"] == "standard" and kept["reaction_due"] == t["reaction_due"]
    # the address is confirmed all the same: its colleagues under the license write in
    assert kept["identification"]["entitlement"] == "license:K-1"
    assert "owed" not in kept["identification"]
    better = levelnow.address_confirmed(
        {**t, "level": "vip"}, [], UNPROVEN, LATER, due
    )  # none better
    assert better["level"] == "vip" and better["reaction_due"] == t["reaction_due"]
    assert levelnow.address_confirmed(t, [], UNPROVEN, LATER, due)["level"] == "vip"


def test_better_level_is_the_faster_reaction():
    from maild.domain.sender import better_level

    assert better_level("vip", "free") and better_level("partner", "standard")
    assert not better_level("free", "vip") and not better_level("vip", "vip")
    assert better_level("free", "consulting") and better_level("consulting", "development")


def test_only_the_requesters_reopening_of_a_free_ticket_is_told_the_free_term_is_over():
    """A reopening takes the level the registry gives now, so its requester is told the
    free term is over as a new ticket would be; a level staff set (consulting), an open
    ticket's follow-up and a participant's mail say nothing of it."""
    old, today = "2026-01-10", T0.date()  # the first ticket over six months before
    free = closed(FREE)
    assert levelnow.reopened_free(free, IVAN, True, FREE, old, today)["free_expired"] is True
    staffs = {**free, "level": "consulting"}
    assert levelnow.reopened_free(staffs, IVAN, True, FREE, old, today)["free_expired"] is False
    assert levelnow.reopened_free(free, IVAN, False, FREE, old, today)["free_expired"] is False
    other = "petr@x.ru"
    assert levelnow.reopened_free(free, other, True, FREE, old, today)["free_expired"] is False


def test_a_proven_mail_on_a_ticket_that_was_owed_nothing_confirms_nothing():
    """Only a ticket whose address SPF/DKIM could not confirm is owed a level: a VIP
    customer's reply to the address signed for them is a follow-up as any other (the
    registry asks by level_now), not a confirmation their acknowledgement speaks of."""
    assert levelnow.address_confirmed(ticket(VIP), [], VIP, LATER, due) is None
    assert levelnow.address_confirmed(ticket(FREE), [], VIP, LATER, due) is None


def test_a_better_level_due_at_the_same_moment_keeps_the_deadline_as_it_was_set():
    """The better level's time ends just when the pending deadline does: the deadline is
    not sooner, so it stays the one set (its clock's start, the level it is counted
    under), as a later one does."""
    pending = due("vip", LATER).isoformat()
    t = now(ticket(STANDARD, reaction_due=pending, first_reaction_due=pending), VIP)
    assert t["level"] == "vip" and t["reaction_due"] == pending
    assert t["reaction_from"] == T0.isoformat() and t.get("reaction_level") != "vip"


def test_a_better_level_after_the_first_reaction_leaves_the_first_deadline_as_it_was():
    """The first reaction came: its deadline was judged so. A follow-up's pending deadline
    moves to the better level's; the first deadline and its level stay."""
    first = (T0 + timedelta(hours=24)).isoformat()
    t = ticket(FREE, first_reaction_at=T0.isoformat(), first_reaction_due=first)
    t = now({**t, "reaction_due": (LATER + timedelta(hours=24)).isoformat()}, VIP)
    assert t["reaction_due"] == due("vip", LATER).isoformat()
    assert t["first_reaction_due"] == first and t["first_reaction_level"] == "free"


def test_a_better_levels_first_deadline_at_the_same_moment_keeps_its_level():
    """The first deadline owed ends just when the better level's time does: it is not
    sooner, so it stays filed under the level that set it."""
    first = due("vip", LATER).isoformat()
    t = now(ticket(STANDARD, first_reaction_due=first), VIP)
    assert t["first_reaction_due"] == first and t["first_reaction_level"] == "standard"


def test_the_mail_says_nothing_of_a_level_that_stayed_and_names_the_one_it_was():
    """The acknowledgement and the staff notice say «был: ...» only when the registry
    changed the level."""
    t = ticket(VIP)
    assert levelnow.change_ctx(t, t) == {"level_was": None}
    raised = now(ticket(FREE), VIP)
    ctx = levelnow.change_ctx(ticket(FREE), raised)
    assert ctx["level_was"] and ctx["commercial"] is True
    assert ctx["reason"] == VIP.reason and not ctx["expired"] and not ctx["unverified"]


def test_the_mail_says_why_a_reopening_took_the_level_it_did():
    """A reopening after the license expired is told so; one whose address SPF/DKIM
    did not confirm is told its level will be corrected: a new ticket's words."""
    expired = levelnow.change_ctx(closed(VIP), now(closed(VIP), EXPIRED))
    assert expired["expired"] is True and expired["reason"] == EXPIRED.reason
    assert expired["commercial"] is False and expired["unverified"] is False
    unproven = levelnow.change_ctx(closed(STANDARD), now(closed(STANDARD), UNPROVEN))
    assert unproven["unverified"] is True and unproven["reason"] == UNPROVEN.reason
