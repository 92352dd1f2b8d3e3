"""domain.belongs: which ticket a message belongs to, without a store. The subject's
TID first, then a reply address maild signed, then the threading headers; each
look-up asked only where the rule reaches it (the Message-ID index is read only for
mail its subject and addresses did not place)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maild.domain.belongs import TicketLookups, ticket_of
from maild.domain.message import ParsedMessage, parse

A, B, C = "2611-0001", "2611-0002", "2611-0003"


def mail(subject: str = "s", in_reply_to: str = "", references: str = "") -> ParsedMessage:
    head = f"From: a@b.ru\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
    head += "Message-ID: <1@b.ru>\r\n"
    head += f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else ""
    head += f"References: {references}\r\n" if references else ""
    return parse((head + "\r\nhi").encode())


class Store:
    """The store's answers, and what of it was asked, in order."""

    def __init__(self, known: Iterable[str] = (), signed: Iterable[str] = (), index=None):
        self.tickets, self.addresses = set(known), list(signed)
        self.index: dict[str, str] = index or {}
        self.asked: list[str] = []

    def look(self) -> TicketLookups:
        def known(tid: str) -> bool:
            self.asked.append(f"known {tid}")
            return tid in self.tickets

        def signed() -> list[str]:
            self.asked.append("signed")
            return self.addresses

        def indexed(ref: str) -> str | None:
            self.asked.append(f"indexed {ref}")
            return self.index.get(ref)

        return TicketLookups(known, signed, indexed)


def test_the_subject_s_tid_of_a_known_ticket_decides_and_nothing_else_is_asked():
    store = Store(known=[A, B], signed=[B], index={"<x@y>": C})
    assert ticket_of(mail(f"Re: [TID#{A}] вопрос", "<x@y>"), False, store.look()) == A
    assert store.asked == [f"known {A}"]


def test_an_unknown_subject_tid_gives_way_to_a_signed_address_then_the_headers():
    store = Store(known=[B], signed=[C, B], index={"<x@y>": A})
    assert ticket_of(mail(f"[TID#{A}]", "<x@y>"), False, store.look()) == B
    assert store.asked == [f"known {A}", "signed", f"known {C}", f"known {B}"]


def test_the_threading_headers_in_their_order_in_reply_to_then_references_newest_first():
    index = {"<r1@y>": A, "<r2@y>": B, "<irt@y>": C}
    store = Store(index=index)
    assert ticket_of(mail("s", "<irt@y>", "<r1@y> <r2@y>"), False, store.look()) == C
    store = Store(index=index)
    assert ticket_of(mail("s", "", "<r1@y> <r2@y>"), False, store.look()) == B
    assert store.asked == ["signed", "indexed <r2@y>"]


def test_a_header_the_index_does_not_know_gives_way_to_the_next():
    """A reply to a colleague's copy (its In-Reply-To unknown to the desk) whose older
    References name the desk's mail still joins that ticket."""
    store = Store(index={"<ours@example.com>": A})
    msg = mail("s", "<cc@y>", "<ours@example.com> <cc-older@y>")
    assert ticket_of(msg, False, store.look()) == A
    assert store.asked[-1] == "indexed <ours@example.com>"


def test_a_reports_reported_message_id_comes_before_its_own_threading_headers():
    """A bounce or receipt is of the mail it reports: that mail's ticket, though the
    report's own In-Reply-To or References (a client's receipt answering the thread)
    name another ticket's mail."""
    store = Store(index={"<ours@example.com>": A, "<irt@y>": B, "<r1@y>": C})
    report = replace(mail("s", "<irt@y>", "<r1@y>"), reported_message_id="<ours@example.com>")
    assert ticket_of(report, False, store.look()) == A
    assert store.asked == ["signed", "indexed <ours@example.com>"]


def test_a_staff_members_address_of_a_gone_ticket_is_no_answer_elsewhere():
    """Verified staff mail to a reply address signed for a ticket no longer there:
    not threaded to another ticket by its headers (missing_ticket tells them)."""
    store = Store(signed=[A], index={"<x@y>": B})
    assert ticket_of(mail("s", "<x@y>"), True, store.look()) is None
    assert "indexed <x@y>" not in store.asked
    store = Store(signed=[A], index={"<x@y>": B})  # not verified: the headers decide
    assert ticket_of(mail("s", "<x@y>"), False, store.look()) == B


def test_staff_mail_to_no_signed_address_is_threaded_by_its_headers():
    """Only a signed address of a gone ticket stops a staff member's mail there: their
    mail to the desk's own address, its TID cut from the subject, answers the ticket
    its In-Reply-To names (a staff answer is not made a new ticket of its own)."""
    store = Store(index={"<x@y>": B})
    assert ticket_of(mail("s", "<x@y>"), True, store.look()) == B


@given(
    st.sampled_from(["s", f"[TID#{A}] s", f"Re: [TID#{B}]"]),
    st.sets(st.sampled_from([A, B, C])),
    st.lists(st.sampled_from([A, B, C]), max_size=3),
    st.dictionaries(st.sampled_from(["<1@y>", "<2@y>"]), st.sampled_from([A, B, C])),
    st.booleans(),
)
def test_the_answer_is_a_known_ticket_a_signed_one_or_an_indexed_one(
    subject, known, signed, index, staff
):
    store = Store(known, signed, index)
    got = ticket_of(mail(subject, "<1@y>", "<2@y>"), staff, store.look())
    if got is not None:
        assert got in known or got in index.values()
    if any(t in known for t in signed) and not (
        subject != "s" and (A if A in subject else B) in known
    ):
        assert got in signed
    assert store.asked.count("signed") <= 1


@pytest.mark.parametrize("staff", [False, True])
def test_mail_nothing_places_is_a_new_ticket(staff):
    assert ticket_of(mail("hello", "<a@b>"), staff, Store().look()) is None
