from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from maild.domain import ticket as tk
from maild.domain.sender import Identification

MSK = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)
FREE = Identification("free", "none", None, "неизвестный адрес")
LIC = Identification("standard", "license", "K-1", "лицензия K-1")


def due(level: str, start: datetime) -> datetime:
    return start + timedelta(hours={"free": 24, "standard": 6, "vip": 2}.get(level, 40))


def make(ident=FREE, **kw):
    return tk.new_ticket("1234-5678", "ivan@x.ru", "Тема", ident, T0, due, **kw)


def test_new_ticket_deadline_and_participants():
    t = make(participants={"cc@x.ru"})
    assert t["status"] == "new" and t["level"] == "free"
    assert t["reaction_due"] == (T0 + timedelta(hours=24)).isoformat()
    assert t["participants"] == ["cc@x.ru", "ivan@x.ru"]
    assert t["critical"] is False and t["assignee"] is None  # urgent only by #critical


def test_who_may_append():
    t = make(LIC, participants={"cc@x.ru"})
    staff = {"anna@s.ru"}
    assert tk.may_append(t, "ivan@x.ru", FREE, staff)
    assert tk.may_append(t, "cc@x.ru", FREE, staff)
    assert tk.may_append(t, "anna@s.ru", FREE, staff)
    colleague = Identification("standard", "license", "K-1", "")
    assert tk.may_append(t, "other@x.ru", colleague, staff)
    assert not tk.may_append(t, "evil@y.ru", FREE, staff)
    assert not tk.may_append(t, "", FREE, staff)
    assert not tk.may_append(make(FREE), "other@x.ru", FREE, staff)  # no entitlement shared


def test_a_customer_may_append_in_either_spelling_of_the_domain_a_removed_one_not():
    """Our mail names boss@окна.рф as boss@xn--80atjc.xn--p1ai (addresses.a_labelled):
    the same mailbox in either spelling, a customer of the ticket or one taken off it."""
    t = tk.new_ticket("1234-5678", "boss@окна.рф", "Тема", LIC, T0, due)
    t = {**t, "participants": [*t["participants"], "cc@xn--80atjc.xn--p1ai"]}
    assert tk.may_append(t, "boss@xn--80atjc.xn--p1ai", FREE, set())
    assert tk.may_append(t, "cc@окна.рф", FREE, set())
    colleague = Identification("standard", "license", "K-1", "")
    assert tk.may_append(t, "anna@окна.рф", colleague, set())
    t = {**t, "removed": ["anna@xn--80atjc.xn--p1ai"]}
    assert not tk.may_append(t, "anna@окна.рф", colleague, set())
    assert not tk.may_append(t, "boss@окна。рф", FREE, set())  # another address


def test_customer_follow_up_keeps_earlier_deadline_and_reopens_closed():
    t = make()
    t2, reopened = tk.on_customer_message(t, T0 + timedelta(hours=1), due)
    assert t2["reaction_due"] == t["reaction_due"] and not reopened
    answered = tk.on_staff_reply(t, T0 + timedelta(hours=2))
    assert answered["reaction_due"] is None and answered["status"] == "open"
    t3, _ = tk.on_customer_message(answered, T0 + timedelta(hours=3), due)
    assert t3["reaction_due"] == (T0 + timedelta(hours=27)).isoformat()
    closed, _ = tk.apply_command(t3, "close", None, T0 + timedelta(hours=4), due, "anna")
    t4, reopened = tk.on_customer_message(closed, T0 + timedelta(hours=5), due)
    assert reopened and t4["status"] == "open" and t4["closed_at"] is None


def test_first_reaction_is_kept():
    t = tk.on_staff_reply(make(), T0 + timedelta(hours=1))
    t = tk.on_staff_reply(t, T0 + timedelta(hours=5))
    assert t["first_reaction_at"] == (T0 + timedelta(hours=1)).isoformat()


def test_commands():
    at = T0 + timedelta(hours=1)
    t, n = tk.apply_command(make(), "level", "vip", at, due, "anna@s.ru")  # a pending deadline
    assert t["level"] == "vip" and t["reaction_due"] == (at + timedelta(hours=2)).isoformat()
    assert n == [tk.LEVEL_CHANGED]
    t, n = tk.apply_command(t, "level", "vip", at, due, "anna@s.ru")
    assert n == []  # same level: nothing to tell
    t, n = tk.apply_command(t, "take", None, at, due, "anna@s.ru")
    assert t["status"] == "open" and t["assignee"] == "anna@s.ru" and n == [tk.STARTED]
    t, n = tk.apply_command(t, "level", "partner", at, due, "anna@s.ru")
    assert n == [tk.LEVEL_CHANGED] and t["reaction_due"] is None  # taken: none pending
    t, _ = tk.apply_command(t, "development", None, at, due, "anna@s.ru")
    assert t["level"] == "development"
    t, _ = tk.apply_command(t, "critical", None, at, due, "anna@s.ru")
    t, _ = tk.apply_command(t, "assign", "boris@s.ru", at, due, "anna@s.ru")
    assert t["critical"] and t["assignee"] == "boris@s.ru"
    t, _ = tk.apply_command(t, "wait", None, at, due, "anna@s.ru")
    assert t["status"] == "waiting" and t["reaction_due"] is None
    t, n = tk.apply_command(t, "close", None, at, due, "anna@s.ru")
    assert t["status"] == "closed" and n == [tk.RESOLVED]
    t, n = tk.apply_command(t, "close", None, at, due, "anna@s.ru")
    assert n == []  # closing twice does not ask for a rating twice
    t, _ = tk.apply_command(t, "reopen", None, at, due, "anna@s.ru")
    assert t["status"] == "open"


def test_a_command_changes_only_what_it_names():
    at = T0 + timedelta(hours=1)
    # a ticket of older mail without "sent", assigned to boris
    before = {k: v for k, v in make().items() if k != "sent"} | {"assignee": "boris@s.ru"}
    t, n = tk.apply_command(before, "assign", None, at, due, "anna@s.ru")
    assert t == {**before, "sent": {}} and n == []  # no address: boris stays


def test_staff_mail_goes_to_all_staff_and_the_assignee():
    staff = ["anna@s.ru", "boris@s.ru"]
    t = make()
    assert tk.staff_mail_to(staff) == staff  # nobody assigned: every staff member
    t, _ = tk.apply_command(t, "assign", "boris@s.ru", T0, due, "anna@s.ru")
    assert tk.staff_mail_to(staff) == staff  # assigned: still everyone, once each
    # an assignee not on the list (left since, or stored before #assign checked it)
    # gets no staff mail: it carries internal text
    t, _ = tk.apply_command(t, "assign", "outside@s.ru", T0, due, "anna@s.ru")
    assert tk.staff_mail_to(staff) == staff


def test_staff_mail_goes_to_each_staff_member_once_in_any_spelling():
    """A config naming one mailbox twice, in both spellings of its domain, sends its
    owner staff mail once, as first written."""
    staff = ["anna@поддержка.рф", "boris@s.ru", "anna@xn--80ahaefyxhn.xn--p1ai"]
    assert tk.staff_mail_to(staff) == ["anna@поддержка.рф", "boris@s.ru"]


def test_supports_own_people_are_no_customers_in_any_spelling():
    """A staff member or the head on a ticket in a spelling other than the config's (a
    participant before they joined support, a config re-spelt since) gets staff mail
    only, never a customer's copy with its site link."""
    t = make(participants={"anna@xn--80ahaefyxhn.xn--p1ai", "Head@Поддержка.рф", "cc@x.ru"})
    own = ("anna@поддержка.рф", "HEAD@xn--80ahaefyxhn.xn--p1ai")
    assert tk.customers(t, own, "support@s.ru") == ["cc@x.ru", "ivan@x.ru"]


def test_participants_leave_out_support_its_plus_addresses_and_staff():
    got = tk.participants_of(
        [
            "cc@x.ru",
            "support@s.ru",
            "support+1234-5678.abc@s.ru",
            "support+@s.ru",
            "anna@s.ru",
            "support@x.ru",
            "supports@s.ru",
            "",
        ],
        "support@s.ru",
        ["anna@s.ru"],
    )
    assert got == {"cc@x.ru", "support@x.ru", "supports@s.ru"}


def test_customers_are_never_staff_nor_the_support_address():
    t = tk.new_ticket("1234-5678", "support@example.com", "Тема", FREE, T0, due)
    t["participants"] = ["support+news@example.com", "anna@example.com", "cc@x.ru"]
    assert tk.customers(t, ["anna@example.com"], "support@example.com") == ["cc@x.ru"]


def test_a_colleague_staff_removed_may_not_append():
    """#uncc keeps the address in `removed`: a colleague under the same license may
    write into the ticket, but not the one staff took off it, until a #cc adds them."""
    colleague = Identification("standard", "license", "K-1", "")
    t = make(LIC, participants={"cc@x.ru"})
    t = dict(t, participants=["ivan@x.ru"], removed=["cc@x.ru"])
    assert not tk.may_append(t, "cc@x.ru", colleague, {"anna@s.ru"})
    assert tk.may_append(t, "other@x.ru", colleague, {"anna@s.ru"})
    t = dict(t, participants=["cc@x.ru", "ivan@x.ru"])  # #cc brought them back
    assert tk.may_append(t, "cc@x.ru", colleague, {"anna@s.ru"})


@given(step=st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3)))
def test_first_reaction_is_never_before_the_ticket(step):
    """A staff reply or #take dated before the ticket (the system clock stepped back
    between the two mails) reacted at the ticket's creation, not before it."""
    for t in (
        tk.on_staff_reply(make(), T0 + step),
        tk.apply_command(make(), "take", None, T0 + step, due, "anna")[0],
    ):
        assert t["first_reaction_at"] == max(T0, T0 + step).isoformat()


def test_a_transfer_after_the_first_deadline_passed_keeps_that_deadline():
    """VIP due 12:00, nothing by 16:00, then #level standard: the breach stands (the
    first deadline stays 12:00) while the pending deadline follows the new level."""
    vip = make(Identification("vip", "license", "V", ""))  # due T0 + 2 h
    late = T0 + timedelta(hours=6)
    t, _ = tk.apply_command(vip, "level", "standard", late, due, "anna@s.ru")
    assert t["first_reaction_due"] == (T0 + timedelta(hours=2)).isoformat()
    assert t["reaction_due"] == (late + timedelta(hours=6)).isoformat()
    # before the deadline passed (or at it) the first deadline is the new level's
    for when in (T0 + timedelta(hours=1), T0 + timedelta(hours=2)):
        t, _ = tk.apply_command(vip, "consulting", None, when, due, "anna@s.ru")
        assert (
            t["first_reaction_due"] == t["reaction_due"] == (when + timedelta(hours=40)).isoformat()
        )


def test_first_moves_on_transfer():
    t = make()  # free: first due T0 + 24 h
    assert tk.first_moves_on_transfer(t, T0 + timedelta(hours=1))
    assert not tk.first_moves_on_transfer(t, T0 + timedelta(hours=25))
    reacted = tk.on_staff_reply(t, T0 + timedelta(hours=1))
    assert not tk.first_moves_on_transfer(reacted, T0 + timedelta(hours=2))


def test_the_merge_notice_is_no_reaction():
    """#merge alone closes the ticket and tells its customer where the conversation goes
    on: no first reaction (their wait goes on there: mergedwait); #close alone is one."""
    merged = {**make(), "status": "closed", "merged_into": "1111-2222"}
    assert tk.on_mail_to_customer(merged, T0 + timedelta(minutes=10)) == merged
    closed, _ = tk.apply_command(make(), "close", None, T0 + timedelta(minutes=5), due, "a")
    assert tk.on_mail_to_customer(closed, T0 + timedelta(minutes=5))["first_reaction_at"]


def test_critical_off_takes_the_mark_off_and_nothing_else():
    """«#critical нет»: a ticket marked by mistake, or whose site is back up, goes back
    to its place in the queue; its deadline, status and assignee stay as they were."""
    at = T0 + timedelta(hours=1)
    marked, n = tk.apply_command(make(), "critical", None, at, due, "anna@s.ru")
    assert marked["critical"] is True and n == []
    t, n = tk.apply_command(marked, "critical", "нет", at, due, "boris@s.ru")
    assert t == {**marked, "critical": False} and n == []


def test_a_later_mail_to_a_closed_tickets_customer_keeps_the_first_reaction():
    """Staff reacted 5 minutes in and closed; an answer to the closed ticket hours later
    is no first reaction: the SLA report judges the ticket by the first one, which a
    later mail moving it would turn from in time to breached."""
    at = T0 + timedelta(minutes=5)
    closed, _ = tk.apply_command(make(), "close", None, at, due, "a")
    closed = tk.on_mail_to_customer(closed, at)
    later = tk.on_mail_to_customer(closed, T0 + timedelta(days=2))
    assert later["first_reaction_at"] == at.isoformat()


def test_a_staff_reply_leaves_the_ticket_it_was_given_as_it_was():
    """on_staff_reply gives a new ticket: the one it was given (the decision's snapshot,
    which the SLA report's follow-up count compares with the result) keeps its status
    and deadline even when no merged wait made answered() copy it."""
    ticket = {
        "tid": "1",
        "status": "new",
        "level": "free",
        "reaction_due": "2026-12-08T10:00:00+03:00",
        "reaction_from": "2026-12-07T10:00:00+03:00",
        "first_reaction_at": None,
        "created_at": "2026-12-07T10:00:00+03:00",
    }
    before = dict(ticket)
    after = tk.on_staff_reply(ticket, datetime(2026, 12, 7, 12, 0, tzinfo=MSK))
    assert ticket == before
    assert after["status"] == "open" and after["reaction_due"] is None
