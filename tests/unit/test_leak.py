"""A staff member's reply address seen outside support (domain/leak.py): which mail
renews it, and which commands an address of an earlier epoch still runs."""

from __future__ import annotations

from dataclasses import replace

from maild.domain.commands import parse_reply
from maild.domain.decision import Decision, Outgoing
from maild.domain.leak import beyond_errors, capped, epoch, merged, renewal
from maild.domain.message import parse
from maild.domain.replyaddr import sign_for
from tests.helpers import make_mail
from tests.unit.test_decide import POLICY, SECRET, SUPPORT, _ticket

ANNA, BORIS, IVAN = "anna@example.com", "boris@example.com", "ivan@shop-example.ru"
TID = "1111-2222"


def address(person: str = ANNA, n: int = 0) -> str:
    return sign_for(TID, person, SECRET, SUPPORT, n)


def mail(sender: str, to: str, cc: str = "", body: str = "Ответ.") -> object:
    return parse(make_mail(sender=sender, to=to, body=body, headers={"Cc": cc} if cc else None))


def unchanged(ticket: dict, msg: object, policy: object, via: str | None = None) -> bool:
    """Whether `renewal` gives ``ticket`` itself back, with no line logged."""
    after, line = renewal(ticket, msg, policy, via)
    return after is ticket and line is None


def test_a_staff_answer_with_the_customer_in_cc_renews_the_address_it_went_to() -> None:
    ticket = _ticket()[0]
    after, line = renewal(ticket, mail(ANNA, address(), cc=IVAN), POLICY)
    assert epoch(after, ANNA) == 1 and epoch(after, BORIS) == 0
    assert line is not None and ANNA in line.text, line
    # the renewed one seen again renews it again; the old one seen again changes nothing
    assert epoch(renewal(after, mail(ANNA, address(n=1), cc=IVAN), POLICY)[0], ANNA) == 2
    assert unchanged(after, mail(ANNA, address(), cc=IVAN), POLICY)


def test_the_customers_reply_all_naming_the_address_renews_it() -> None:
    ticket = _ticket()[0]
    after = renewal(ticket, mail(IVAN, ANNA, cc=address()), POLICY)[0]
    assert epoch(after, ANNA) == 1


def test_mail_among_support_alone_renews_nothing() -> None:
    ticket = _ticket()[0]
    policy = replace(POLICY, head="head@example.com")
    own = mail(ANNA, address(), cc=f"{BORIS}, head@example.com, support@example.com")
    assert unchanged(ticket, own, policy)
    # a customer's own copy (signed for him) with staff in Cc: no staff address named
    assert unchanged(ticket, mail(IVAN, address(IVAN), cc=ANNA), POLICY)


def test_merge_keeps_each_tickets_epochs_apart() -> None:
    """A member's address seen on one ticket says nothing of their address of the
    ticket it is merged into: mail to either comes to the target, each judged by its own."""
    source = {**_ticket()[0], "reply_epochs": {TID: {ANNA: 2}}}
    target = {**_ticket("3333-4444")[0], "reply_epochs": {"3333-4444": {BORIS: 3}}}
    both = {**target, "reply_epochs": merged(target, source), "merged_from": [TID]}
    assert epoch(both, ANNA) == 0 and epoch(both, ANNA, TID) == 2 and epoch(both, BORIS) == 3
    body = "#cc friend@example.org"
    on_target = mail(ANNA, sign_for("3333-4444", ANNA, SECRET, SUPPORT), body=body)
    assert beyond_errors(on_target, POLICY, both, parse_reply(body).commands) == []
    assert beyond_errors(mail(ANNA, address(), body=body), POLICY, both, parse_reply(body).commands)


def _errors(n: int, now: int, body: str, *, to: str | None = None) -> list[str]:
    ticket = {**_ticket()[0], "reply_epochs": {TID: {ANNA: now}}}
    msg = mail(ANNA, to or address(n=n), body=body)
    return beyond_errors(msg, POLICY, ticket, parse_reply(body).commands)


def test_merge_and_cc_need_the_address_of_the_epoch_now() -> None:
    assert _errors(0, 1, "#merge 3333-4444\n#cc x@example.org")[0].startswith(
        "#cc, #merge: не выполнено"
    )
    assert _errors(1, 1, "#merge 3333-4444\n#cc x@example.org") == []
    assert _errors(0, 1, "#spam домен")[0].startswith("#spam: не выполнено")
    # the rest of the ticket's own commands, and the answer, by the old one too
    assert _errors(0, 1, "Ответ.\n#wait\n#level vip\n#close") == []
    # an old and the current address both named: the current one proves
    both = f"{address()}, {address(n=1)}"
    assert _errors(0, 1, "#merge 3333-4444", to=both) == []


def test_another_tickets_address_neither_renews_nor_proves_here() -> None:
    """An address of the member's of another ticket tells nothing of this one's: it
    renews nothing here, and its epoch (that ticket's) proves no #merge here."""
    ticket = {**_ticket()[0], "reply_epochs": {TID: {ANNA: 1}}}
    elsewhere = sign_for("3333-4444", ANNA, SECRET, SUPPORT, 1)
    assert unchanged(ticket, mail(IVAN, "support@example.com", cc=elsewhere), POLICY)
    body = "#merge 5555-6666"
    msg = mail(ANNA, address(), cc=elsewhere, body=body)
    assert beyond_errors(msg, POLICY, ticket, parse_reply(body).commands) != []
    # the address of a ticket merged into this one is this one's
    merged_in = {**ticket, "merged_from": ["3333-4444"]}
    assert beyond_errors(msg, POLICY, merged_in, parse_reply(body).commands) == []


def test_dkim_for_the_member_runs_merge_cc_spam_by_an_old_address() -> None:
    """An address of an earlier epoch with DKIM/SPF for the member (sender_verified)
    runs #merge, #cc and #spam: DKIM/SPF proves them whoever saw the address."""
    policy = replace(POLICY, authserv_id="mx.example.com")
    ticket = {**_ticket()[0], "reply_epochs": {TID: {ANNA: 1}}}
    body = "#cc x@example.org"
    dkim = {"Authentication-Results": "mx.example.com; dkim=pass header.d=example.com"}
    signed = parse(make_mail(sender=ANNA, to=address(), body=body, headers=dkim))
    assert beyond_errors(signed, policy, ticket, parse_reply(body).commands) == []
    unsigned = mail(ANNA, address(), body=body)
    assert beyond_errors(unsigned, policy, ticket, parse_reply(body).commands) != []


def test_the_ticket_the_mail_threaded_to_before_a_merge_is_this_tickets() -> None:
    """``via`` (the ticket #merge sent the mail on from) is one of this ticket's even
    when its `merged_from` does not name it: its address seen outside is renewed here,
    and its epoch now proves the member here."""
    target = {**_ticket("3333-4444")[0], "reply_epochs": {TID: {ANNA: 1}}}
    old = sign_for(TID, ANNA, SECRET, SUPPORT, 1)
    after = renewal(target, mail(IVAN, "support@example.com", cc=old), POLICY, via=TID)[0]
    assert epoch(after, ANNA, TID) == 2
    body = "#merge 5555-6666"
    msg = mail(ANNA, old, body=body)
    assert beyond_errors(msg, POLICY, target, parse_reply(body).commands, via=TID) == []


def test_only_mail_to_the_writer_alone_is_capped() -> None:
    """A mail that proves its writer only by a seen address: its mail to the writer
    alone is capped as automatic mail is, not one that goes to others too."""
    alone = Outgoing("k1", "notice", "staff_error.txt", [ANNA.upper()], {}, False)
    shared = Outgoing("k2", "staff", None, [ANNA, IVAN], {}, True)
    decision = Decision("appended", TID, _ticket()[0], [], outgoing=[alone, shared])
    out = capped(decision, ANNA).outgoing
    assert [o.unverified for o in out] == [True, False]
