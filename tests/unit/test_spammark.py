"""The #spam rule (domain/spammark.spam_errors, blocked_entry): it runs on a ticket
that is the spammer's alone, never on one with another customer or answered through
a ticket #merge sent on to another's."""

from __future__ import annotations

from typing import Any

from maild.domain.commands import Command
from maild.domain.conflicts import without_conflicts
from maild.domain.forget import PLACEHOLDER
from maild.domain.spammark import blocked_entry, kept, spam_errors

STAFF = ("anna@example.com", "boris@example.com", "head@example.com")
SUPPORT = "support@example.com"
SPAM = (Command("spam"),)
SPAM_DOMAIN = (Command("spam", "domain"),)


def _ticket(requester: str = "seo@promo.example", participants: tuple[str, ...] = ()) -> Any:
    return {"tid": "1111-2222", "requester": requester, "participants": [*participants]}


def _mail(sender: str, merged_from: str | None = None, **kw: str) -> Any:
    m = {"direction": "in", "kind": "customer", "from": sender, **kw}
    return {**m, "merged_from": merged_from} if merged_from else m


def _errors(ticket: Any, messages: list[Any], commands=SPAM, via: str | None = None) -> list[str]:
    """spam_errors of a reply of ``commands``, given those that run (staffreply.Extras.runs)."""
    return spam_errors(ticket, messages, without_conflicts(commands)[0], STAFF, SUPPORT, via)


def test_the_spammers_own_ticket_is_marked() -> None:
    ticket = _ticket(participants=("seo@promo.example",))  # (the requester is listed)
    mail = [_mail("seo@promo.example"), {"direction": "out", "kind": "staff", "from": STAFF[0]}]
    assert _errors(ticket, mail) == []
    assert _errors(ticket, mail, (Command("close"),)) == []  # no #spam: nothing to say


def test_staff_support_and_the_requesters_other_spelling_are_no_other_customer() -> None:
    ticket = _ticket("boss@окна.рф", participants=("boss@xn--80atjc.xn--p1ai",))
    mail = [_mail("boss@окна.рф"), _mail("Anna@Example.com"), _mail("support+x@example.com")]
    assert _errors(ticket, mail) == []


def test_a_participant_stops_it_and_is_named_with_the_uncc_that_lets_it_run() -> None:
    ticket = _ticket(participants=("olga@client.example",))
    [error] = _errors(ticket, [_mail("seo@promo.example")])
    assert error.startswith("#spam: кроме клиента seo@promo.example")
    assert "olga@client.example (участник обращения, получает его письма)" in error
    assert "«#uncc АДРЕС», затем отправьте #spam" in error and "maild block add" in error


def test_spam_with_spam_domain_runs_neither_and_has_no_error_of_its_own() -> None:
    # the conflict is told (conflicts.without_conflicts), not a #spam that never runs
    ticket = _ticket(participants=("olga@client.example",))
    assert _errors(ticket, [_mail("seo@promo.example")], (*SPAM, *SPAM_DOMAIN)) == []
    assert _errors(ticket, [_mail("seo@promo.example")], (*SPAM, *SPAM), "3333-4444") != []


def test_a_customer_whose_mail_is_in_the_ticket_stops_it_even_off_the_ticket() -> None:
    """Пётр's ticket merged in, then #uncc: his mail would still go to the quarantine,
    so the error offers the block list, not #uncc."""
    ticket = _ticket("ivan@shop.ru")  # Пётр taken off: no participant any more
    mail = [_mail("ivan@shop.ru"), _mail("petr@gmail.com", merged_from="3333-4444")]
    [error] = _errors(ticket, mail)
    assert "petr@gmail.com (клиент объединённого с ним обращения 3333-4444" in error
    assert "#uncc" not in error and "maild block add" in error
    colleague = [_mail("ivan@shop.ru"), _mail("olga@shop.ru")]  # one who wrote into it
    [error] = _errors(_ticket("ivan@shop.ru"), colleague)
    assert "olga@shop.ru (его письма есть в обращении)" in error


def test_spam_domain_spares_no_one_but_those_its_domain_blocks() -> None:
    ticket = _ticket(participants=("ads@promo.example", "olga@client.example"))
    mail = [_mail("seo@promo.example"), _mail("ads@promo.example")]
    [error] = _errors(ticket, mail, SPAM_DOMAIN)
    assert "olga@client.example" in error and "ads@promo.example" not in error
    assert _errors(ticket, mail)  # plain #spam blocks the address alone: ads@ is another
    just_domain = _ticket(participants=("ads@promo.example",))
    assert _errors(just_domain, mail, SPAM_DOMAIN) == []
    free = _ticket("promo@gmail.com", participants=("other@gmail.com",))
    assert _errors(free, [_mail("promo@gmail.com")], SPAM_DOMAIN)  # gmail.com is everyone's


def test_through_a_ticket_merged_into_anothers_it_names_the_merge_and_whose_it_is() -> None:
    """Anna answered the notice of spam ticket B, which Boris merged into Ivan's A."""
    a = _ticket("ivan@shop.ru", participants=("win@casino-spam.biz",))
    mail = [_mail("ivan@shop.ru"), _mail("win@casino-spam.biz", merged_from="3333-4444")]
    [error] = _errors(a, mail, SPAM_DOMAIN, via="3333-4444")
    assert error.startswith(
        "#spam: обращение 3333-4444 объединено с обращением 1111-2222 клиента ivan@shop.ru"
    )
    assert "заблокировал бы весь домен shop.ru, а не отправителя обращения 3333-4444" in error
    assert "win@casino-spam.biz (клиент объединённого с ним обращения 3333-4444" in error
    assert "maild block add" in error and "«#uncc АДРЕС»" in error
    # the same customer's two tickets merged: the error still says where it would land,
    # and how to mark the whole of it (this error mail is the ticket's)
    own = _ticket("ivan@shop.ru")
    [error] = _errors(own, [_mail("ivan@shop.ru", merged_from="3333-4444")], via="3333-4444")
    assert "заблокировал бы ivan@shop.ru" in error
    assert "ответьте на это письмо командой #spam" in error
    assert _errors(own, [_mail("ivan@shop.ru")], via="1111-2222") == []  # its own TID


def test_the_entry_spam_blocks() -> None:
    assert blocked_entry("seo@promo.example", False) == "seo@promo.example"
    assert blocked_entry("seo@promo.example", True) == "promo.example"
    assert blocked_entry("promo@gmail.com", True) == "promo@gmail.com"  # free mail
    assert blocked_entry("promo@mail.gmail.com", True) == "promo@mail.gmail.com"


def test_a_participant_who_wrote_under_the_other_spelling_of_his_domain_is_one() -> None:
    """boss@окна.рф on the ticket wrote as boss@xn--80atjc.xn--p1ai: one person whose mail
    is in it, so no #uncc is offered (it would not spare his mail)."""
    ticket = _ticket(participants=("boss@окна.рф",))
    [error] = _errors(ticket, [_mail("seo@promo.example"), _mail("boss@xn--80atjc.xn--p1ai")])
    assert error.count("boss@") == 1 and "его письма есть в обращении" in error
    assert "#uncc" not in error


def test_a_participant_who_wrote_in_the_unicode_spelling_of_his_domain_is_one_too() -> None:
    """The other way round: boss@xn--80atjc.xn--p1ai on the ticket wrote as boss@окна.рф
    (an SMTPUTF8 client): still one person whose mail is in the ticket, and no #uncc is
    offered, which would take him off and spare none of his mail."""
    ticket = _ticket(participants=("boss@xn--80atjc.xn--p1ai",))
    [error] = _errors(ticket, [_mail("seo@promo.example"), _mail("boss@окна.рф")])
    assert error.count("boss@") == 1 and "его письма есть в обращении" in error
    assert "#uncc" not in error


def test_uncc_is_offered_when_any_one_of_the_others_only_gets_the_tickets_mail() -> None:
    """Of the others, one whose mail is in the ticket and one who only gets its mail:
    the error still tells staff to take the second off with #uncc (the first needs the
    admin's block list), not only when every other customer is a bare participant."""
    ticket = _ticket(participants=("olga@client.example",))
    [error] = _errors(ticket, [_mail("seo@promo.example"), _mail("petr@client.example")])
    assert "olga@client.example (участник" in error and "petr@client.example (его" in error
    assert "«#uncc АДРЕС», затем отправьте #spam" in error


def test_an_address_forgotten_on_the_ticket_is_no_other_customer() -> None:
    """`maild forget` leaves its placeholder where the address stood (participants,
    records): no one's mail, so it does not stop #spam nor is named as a customer."""
    ticket = _ticket(participants=("seo@promo.example", PLACEHOLDER))
    assert _errors(ticket, [_mail("seo@promo.example"), _mail(PLACEHOLDER)]) == []


def test_a_staff_member_on_the_ticket_is_no_other_customer() -> None:
    """A participant of support's own side (one made staff since they were added) is
    no customer #spam would quarantine with the spammer."""
    assert _errors(_ticket(participants=("boris@example.com",)), [_mail("seo@promo.example")]) == []


def test_spam_moves_the_mail_that_came_not_staffs() -> None:
    """What #spam moves to the quarantine (and counts to the staff member): the
    customer's mail and notices that came, not staff's replies and notes."""
    assert kept(_mail("seo@promo.example")) and kept({"direction": "in", "kind": "notice"})
    assert not kept({"direction": "in", "kind": "staff", "from": STAFF[0]})
    assert not kept({"direction": "in", "kind": "note", "from": STAFF[0]})
    assert not kept({"direction": "out", "kind": "confirmation"})


def test_a_robots_report_in_the_ticket_is_no_other_customer() -> None:
    """A bounce or an out-of-office kept in the ticket (kind "notice") came from a robot,
    not a customer: it does not stop #spam on the spammer's own ticket."""
    bounce = _mail("mailer-daemon@mx.relay.example", kind="notice")
    away = _mail("secretary@office.example", kind="notice")
    assert _errors(_ticket(), [_mail("seo@promo.example"), bounce, away]) == []
