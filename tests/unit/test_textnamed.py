"""A new mail whose text alone names a ticket (domain/textnamed.py): it stays a new
ticket, which refers to the one named when its sender may write there (staff's notice
names it, the confirmation says how to write into it); someone else's ticket is
never named, to the sender or in the ticket."""

from __future__ import annotations

from maild.domain import ticket as tk
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from maild.domain.textnamed import MAX_NAMED, SCAN_CHARS, named_tids, own_named, refers, told
from tests.unit.test_decide import CUSTOMER, LICENSE, NOW, POLICY, STAFF, _decide, _msg

STRANGER = "eve@elsewhere.example"


def _own(tid: str = "1111-2222", requester: str = CUSTOMER, **fields) -> dict:
    ident = identify(requester, [LICENSE], [], NOW.date())
    return {**tk.new_ticket(tid, requester, "Заказ", ident, NOW, POLICY.due), **fields}


def test_the_tags_a_text_names_in_order_each_once_hand_typed_too():
    text = "По обращению [TID#1111-2222]: см. также TID№3333-4444 и [TID:1111-2222]"
    assert named_tids("Ошибка 500 снова", text) == ["1111-2222", "3333-4444"]
    assert named_tids("", "ответ [TID5555-6666]") == ["5555-6666"]


def test_a_number_in_prose_names_no_ticket():
    assert named_tids("Ошибка", "Номер обращения 1111-2222, TID 1111-2222.") == []


def test_a_subject_that_names_a_ticket_leaves_the_text_alone():
    """The subject's TID is what the mail is about (threading, a stranger's refers_to)."""
    assert named_tids("Re: [TID#9999-0000] Ошибка", "По обращению [TID#1111-2222]") == []


def test_only_the_first_few_are_looked_up():
    text = " ".join(f"[TID#1111-{n:04d}]" for n in range(50))
    assert named_tids("x", text) == [f"1111-{n:04d}" for n in range(MAX_NAMED)]
    # the README's number: a customer's own ticket named third is still found
    assert named_tids("x", text)[2:] == ["1111-0002"]


def test_only_a_ticket_its_sender_may_write_into_is_named():
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())
    theirs = _own("3333-4444", requester="petr@other.example")
    mine = _own("1111-2222")
    assert own_named([theirs, mine], CUSTOMER, ident, STAFF) == "1111-2222"
    assert own_named([theirs], CUSTOMER, ident, STAFF) is None
    stranger = identify(STRANGER, [], [], NOW.date())
    assert own_named([mine], STRANGER, stranger, STAFF) is None
    # taken off it by staff (#uncc): no more theirs, as their subject's tag is not
    removed = _own("1111-2222", requester="olga@shop-example.ru", removed=[CUSTOMER])
    assert own_named([removed], CUSTOMER, ident, STAFF) is None


def test_a_stranger_subject_tag_comes_first():
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())
    snap = Snapshot("5555-0001", None, ident, False, refers_to="9999-0000")
    assert refers(snap, CUSTOMER, ident, STAFF) == {"refers_to": "9999-0000"}
    snap = Snapshot("5555-0001", None, ident, False, named_in_text=(_own(),))
    assert refers(snap, CUSTOMER, ident, STAFF) == {"names_own": "1111-2222"}


def test_a_new_mail_naming_its_senders_ticket_refers_to_it():
    msg = _msg(subject="Ошибка 500 снова", body="По обращению [TID#1111-2222]: ошибка осталась.")
    ident = identify(CUSTOMER, [LICENSE], [], NOW.date())
    snap = Snapshot("5555-0001", None, ident, False, named_in_text=(_own(),))
    d = _decide(snap, msg)
    assert d.outcome == "new" and d.tid == "5555-0001"
    assert d.ticket["names_own"] == "1111-2222" and d.ticket["refers_to"] is None
    staff, confirmation = d.outgoing
    for mail in (staff, confirmation):
        assert mail.context["refers_own"] == "1111-2222"
        # not the stranger's words: the customer may write into it
        assert mail.context["refers_to"] is None and mail.context["tid_named"] is None


def test_a_new_mail_naming_someone_elses_ticket_says_nothing_of_it():
    msg = _msg(sender=STRANGER, subject="Ошибка", body="Как в [TID#1111-2222] у Ивана.")
    ident = identify(STRANGER, [], [], NOW.date())
    snap = Snapshot("5555-0001", None, ident, False, named_in_text=(_own(),))
    d = _decide(snap, msg)
    assert d.ticket["refers_to"] is None and "names_own" not in d.ticket
    for mail in d.outgoing:
        assert mail.context["refers_own"] is None and mail.context["tid_named"] is None


def test_a_ticket_threaded_by_headers_is_named_though_the_subject_names_none():
    """A stranger's mail joined to a ticket by its In-Reply-To, not by a tag in its
    subject, is told, as one tagged is, that it was not added to that ticket."""
    ident = identify(STRANGER, [], [], NOW.date())
    snap = Snapshot("5555-0001", None, ident, False, refers_to="9999-0000")
    assert told(snap, "Re: Ошибка 500") == {"tid_gone": None, "tid_named": "9999-0000"}


def test_staffs_own_new_mail_names_no_ticket_of_theirs_as_a_customers():
    """A staff member writing to support is no customer of the tickets they name."""
    member = next(iter(STAFF))
    ident = identify(member, [], [], NOW.date())
    snap = Snapshot("5555-0001", None, ident, False, named_in_text=(_own(),))
    assert refers(snap, member, ident, STAFF) == {}


def test_tags_are_looked_for_near_the_top_of_a_text_only():
    assert named_tids("Ошибка", "x" * (SCAN_CHARS - 20) + " [TID#1111-2222]") == ["1111-2222"]
    assert named_tids("Ошибка", "x" * SCAN_CHARS + " [TID#1111-2222]") == []
