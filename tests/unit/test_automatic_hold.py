"""The hold of staff's notices to a ticket its requester's automatic mail opened
(domain.automatic): the one rule that holds the confirmation (screen.automatic) decides
it, a person's mail of the requester or staff's «#human» ends it; one rule each."""

from __future__ import annotations

from maild.domain.automatic import attended, notices_held, opened_by
from maild.domain.decision import Decision
from maild.domain.humans import noted, vouch
from maild.domain.screen import HUMAN, Screening, automatic
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from tests.unit.test_decide import NOW, STAFF, _decide, _msg, _ticket

LIST = "devel@lists.example.org"
POST = Screening(True, "письмо из рассылки (List-Id)")
TICKET = {"tid": "1111-2222", "requester": LIST, **opened_by(POST)}


def test_the_rule_that_holds_the_confirmation_holds_the_notices() -> None:
    form = Screening(True, "служебный адрес отправителя noreply@shop.example", form=True)
    quiet = Screening(False, "X-Auto-Response-Suppress: oof", quiet=True)
    for scr in (POST, form, Screening(True, "Auto-Submitted: auto-generated")):
        assert not scr.may_answer and automatic(scr) == scr.reason
        assert notices_held({"requester": "x@y.z", **opened_by(scr)}) == scr.reason
    # a person's mail: confirmed, and told of staff's work; one that only asks for no
    # automatic answer gets no confirmation, but its writer hears what staff did
    for scr in (HUMAN, quiet):
        assert automatic(scr) is None and opened_by(scr) == {}
    assert not quiet.may_answer and HUMAN.may_answer


def test_only_the_requesters_mail_as_a_person_ends_the_hold() -> None:
    assert notices_held(attended(TICKET, LIST, POST)) == POST.reason  # the list again
    assert notices_held(attended(TICKET, "olga@shop.example", HUMAN)) == POST.reason
    assert notices_held(attended(TICKET, "Devel@Lists.Example.org", HUMAN)) is None
    plain = {"tid": "1111-2222", "requester": LIST}
    assert attended(plain, LIST, HUMAN) is plain


def test_human_says_the_requester_is_a_person_and_a_note_says_who() -> None:
    for arg in (None, LIST):
        t, error = vouch(TICKET, arg)
        assert error is None and notices_held(t) is None and t["humans"] == [LIST]
    t, error = vouch(TICKET, "olga@shop.example")  # not the requester, not marked
    assert t is TICKET and error is not None
    t, _ = vouch(TICKET, None)
    decision = noted(Decision("appended", "1111-2222", t, [], None, []), TICKET, "anna@x.ru", NOW)
    [note] = decision.messages
    assert "anna@x.ru" in note["text"] and LIST in note["text"] and "человек" in note["text"]


def test_a_command_alone_sends_the_held_nothing_and_a_plain_answer_tells_of_no_hold() -> None:
    """«#take» or «#close» alone on a ticket whose requester is held: no notice is
    queued, to anyone (capped.held: none goes when all are held), the staff member is
    told it was held, and no reaction is counted (nobody heard one). Staff's own answer
    with no command goes to the requester, and no word of a held notice with it: none
    was held (a «не отправлено уведомление» on every answer would be noise)."""
    anna = identify(STAFF[0], [], [], NOW.date())
    for body, mails in (
        ("#take", ["staff_capped.txt"]),
        ("#close", ["staff_capped.txt"]),
        ("Проверили, всё работает.", [None]),
    ):
        ticket, messages = _ticket()
        ticket = {**ticket, "automatic": POST.reason, "first_reaction_at": None}
        snap = Snapshot("1111-2222", (ticket, messages), anna, staff_verified=True)
        d = _decide(snap, _msg(sender=f"Анна <{STAFF[0]}>", body=body))
        assert [o.template for o in d.outgoing] == mails, body
        if body.startswith("#"):
            [told] = d.outgoing
            assert told.to == [STAFF[0]] and told.context["kept_back"] == "automatic"
            assert told.record  # kept in the ticket's thread: staff see there what was held
            assert told.context["why"] == POST.reason  # what sign of the mail held it
            assert d.ticket.get("first_reaction_at") is None and not d.ticket.get("sent")


def test_the_word_of_a_held_notice_and_that_of_a_capped_one_are_two_mails() -> None:
    """«#take» on a ticket its requester's automatic mail opened, with a person in Cc:
    the requester's notice is held (the staff member told so), the other's goes, and
    should the cap stop it, the staff member is told that too. The two words are two
    mails: under one key (one Message-ID) the second would be taken for the first
    and never sent."""
    anna = identify(STAFF[0], [], [], NOW.date())
    ticket, messages = _ticket()
    ticket = {**ticket, "automatic": POST.reason, "participants": ["petr@shop-example.ru"]}
    snap = Snapshot("1111-2222", (ticket, messages), anna, staff_verified=True)
    d = _decide(snap, _msg(sender=f"Анна <{STAFF[0]}>", body="#take"))
    [held] = [o for o in d.outgoing if o.context.get("kept_back") == "automatic"]
    [capped] = [o.if_capped for o in d.outgoing if o.if_capped is not None]
    assert held.to == capped.to == [STAFF[0]] and held.key != capped.key


def test_a_plain_answer_on_a_held_ticket_is_one_mail_to_all_its_customers() -> None:
    """No notice, nothing held: staff's answer without a command goes to the held
    requester and the person in Cc as one mail, kept once in the thread, not as two
    copies of the same answer."""
    anna = identify(STAFF[0], [], [], NOW.date())
    ticket, messages = _ticket()
    ticket = {**ticket, "automatic": POST.reason, "participants": ["petr@shop-example.ru"]}
    snap = Snapshot("1111-2222", (ticket, messages), anna, staff_verified=True)
    d = _decide(snap, _msg(sender=f"Анна <{STAFF[0]}>", body="Проверили, всё работает."))
    [answer] = d.outgoing
    assert sorted(answer.to) == sorted([ticket["requester"], "petr@shop-example.ru"])
