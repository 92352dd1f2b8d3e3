"""Unit tests for maild.domain.undeliverable: what is still mailed to an address the
relay refused for good, and when the mark goes."""

from __future__ import annotations

from maild.domain import capped
from maild.domain import undeliverable as ud
from maild.domain.decision import Outgoing

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


def test_an_address_is_one_in_either_spelling_of_its_domain():
    """The relay refused boss@xn--80atjc.xn--p1ai, as maild wrote the ticket's
    boss@окна.рф: marked under the ticket's spelling, held and lifted in either."""
    u, a = "boss@окна.рф", "boss@xn--80atjc.xn--p1ai"
    t = ud.mark({"tid": "1", "requester": u}, a, "2026-12-03T10:00:00+03:00", "550 5.1.1")
    assert list(t["undeliverable"]) == [u]
    assert ud.marked(t, a) and ud.marked(t, u.upper())
    assert list(ud.held(t, [a], "notice")) == [a]
    assert "undeliverable" not in ud.lift(t, [a])


# A delivery report's fields as ParsedMessage.delivery_status holds them: the report's
# own block, then one block per recipient (RFC 3464), as Postfix writes them.
REPORT = (
    "Reporting-MTA: dns; mx.shop-example.ru\n"
    "Arrival-Date: Thu, 3 Dec 2026 10:00:00 +0300\n"
    "\n"
    "Original-Recipient: rfc822; Ivan@Exmaple.ru\n"
    "Final-Recipient: rfc822; ivan.petrov@mail.exmaple.ru\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <ivan.petrov@mail.exmaple.ru>: Recipient\n"
    "    address rejected: User unknown; see https://mx.exmaple.ru/help\n"
    "\n"
    "Final-Recipient: rfc822; <petr@shop-example.ru>\n"
    "Action: delayed\n"
    "Status: 4.4.1\n"
    "\n"
    "Final-Recipient: rfc822; olga@shop-example.ru\n"
    "Action: FAILED\n"
    "Status: 5.1.2 (bad destination system address)\n"
)


def test_a_report_names_who_failed_for_good_with_their_servers_answer():
    # the address we wrote to (Original-Recipient) stands for a forward's Final one;
    # a folded Diagnostic-Code reads as one line, without its "smtp;" type; without
    # one, the Status says why; a delay is no refusal
    assert ud.reported(REPORT) == {
        TYPO: "550 5.1.1 <ivan.petrov@mail.exmaple.ru>: Recipient address rejected: "
        "User unknown; see https://mx.exmaple.ru/help",
        "olga@shop-example.ru": "5.1.2",
    }
    assert ud.named(REPORT) == {
        TYPO,
        "ivan.petrov@mail.exmaple.ru",
        "petr@shop-example.ru",
        "olga@shop-example.ru",
    }


def test_only_a_failure_of_the_recipients_address_marks_it():
    def block(action: str, status: str) -> str:
        return f"Final-Recipient: rfc822; {TYPO}\nAction: {action}\nStatus: {status}\n"

    assert ud.reported(block("failed", "5.1.10")) == {TYPO: "5.1.10"}
    for action, status in [
        ("failed", "5.7.1"),  # refused by policy: the address may well exist
        ("failed", "5.1.8"),  # the sender's address (5.1.7 and 5.1.8 are ours)
        ("failed", "5.1.7"),
        ("failed", "4.1.1"),
        ("delayed", "5.1.1"),  # only "failed" is final
        ("delivered", "2.0.0"),
    ]:
        assert ud.reported(block(action, status)) == {}, (action, status)
    assert ud.reported("Final-Recipient: rfc822; no-address\nAction: failed\nStatus: 5.1.1") == {}
    assert ud.reported(None) == {} and ud.named(None) == set()


def test_a_report_counts_once_per_mail_and_what_it_says_of_it():
    """The key a report of our mail is told to staff once under: the mail it is about,
    and failed, else delayed, else other (whatever else the Action fields say)."""
    assert ud.report_key("<c1@x>", REPORT) == "failed <c1@x>"
    delayed = "Final-Recipient: rfc822; ivan@shop.ru\nAction: Delayed\nStatus: 4.4.1\n"
    assert ud.report_key("<c1@x>", delayed) == "delayed <c1@x>"
    for odd in ("Action: delivered\n", "Action: x-made-up-1\n", "", None):
        assert ud.report_key("<c1@x>", odd and f"Final-Recipient: rfc822; a@b.ru\n{odd}") == (
            "other <c1@x>"
        )
    thread = [
        {"direction": "out", "message_id": "<c1@x>"},
        {"direction": "in", "report_of": "delayed <c1@x>"},
    ]
    assert ud.repeated(thread, "delayed <c1@x>")
    assert not ud.repeated(thread, "failed <c1@x>")
    assert not ud.repeated(thread, "delayed <c2@x>")
    assert not ud.repeated([{"direction": "out", "report_of": "failed <c1@x>"}], "failed <c1@x>")


def test_every_failure_of_a_tickets_people_is_named_with_why():
    """A full mailbox (5.2.2), mail refused as spam (5.7.1) mark nothing, yet our mail
    did not reach them: staff are told whom, the Status, what it means and what the
    server answered. Addresses the ticket's mail never went to are not its failures."""
    ticket = {"tid": "1", "requester": "ivan@shop.ru", "participants": ["olga@shop.ru"]}
    report = (
        "Final-Recipient: rfc822; IVAN@shop.ru\nAction: failed\nStatus: 5.2.2\n"
        "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n\n"
        "Final-Recipient: rfc822; olga@shop.ru\nAction: failed\nStatus: 5.7.1\n\n"
        "Final-Recipient: rfc822; eve@else.ru\nAction: failed\nStatus: 5.1.1\n\n"
        "Final-Recipient: rfc822; petr@shop.ru\nAction: delayed\nStatus: 4.2.2\n"
    )
    assert ud.failed_people(ticket, report) == [
        {
            "address": "ivan@shop.ru",
            "status": "5.2.2",
            "error": "552 5.2.2 Mailbox full",
            "meaning": "ящик получателя переполнен",
        },
        {
            "address": "olga@shop.ru",
            "status": "5.7.1",
            "error": "5.7.1",
            "meaning": "сервер получателя отклонил письмо по своим правилам (например, как спам)",
        },
    ]
    assert ud.failed_people(ticket, None) == []
    marked, bounced, failed = ud.on_report(ticket, report, "2026-12-03T10:00:00+03:00")
    assert "undeliverable" not in marked and bounced == [] and len(failed) == 2


def test_a_report_returning_none_of_our_mail_is_about_the_last_to_customers():
    """What a report by its subject alone counts as about (report_key): the ticket's
    last mail to its customers, not staff's notices, so said again it is told once."""
    thread = [
        {"direction": "in", "message_id": "<c@x>", "kind": "customer"},
        {"direction": "out", "message_id": "<conf@us>", "kind": "confirmation"},
        {"direction": "out", "message_id": "<answer@anna>", "kind": "staff"},
        {"direction": "out", "message_id": "<n@us>", "kind": "notice"},
    ]
    assert ud.last_sent(thread) == "<answer@anna>"
    assert (
        ud.last_sent(
            [
                *thread,
                {
                    "direction": "out",
                    "message_id": "<r@us>",
                    "kind": "notice",
                    "auto_to_customer": True,
                },
            ]
        )
        == "<r@us>"
    )
    assert ud.last_sent(thread[:1]) == ""


def test_our_sender_address_refused_is_not_said_to_be_a_missing_mailbox():
    """5.1.7, 5.1.8 are about our sender address (marked never: _FAILED_STATUS): staff
    are not told the customer's mailbox is not there. A relay giving up (Action failed,
    4.4.7) says it too."""
    ticket = {"tid": "1", "requester": "ivan@shop.ru"}
    for status, meaning in (
        ("5.1.8", "сервер получателя не принял адрес отправителя (наш адрес)"),
        ("5.1.7", "сервер получателя не принял адрес отправителя (наш адрес)"),
        ("5.1.1", "такого ящика или домена нет"),
        ("5.1.10", "такого ящика или домена нет"),
        ("4.4.7", "сервер получателя так и не принял письмо, попытки доставки прекращены"),
    ):
        report = f"Final-Recipient: rfc822; ivan@shop.ru\nAction: failed\nStatus: {status}\n"
        assert ud.failed_people(ticket, report)[0]["meaning"] == meaning, status


def test_the_staff_member_hears_of_the_blocked_and_the_refused_apart() -> None:
    """A #take's notice kept back from a blocked address and from one refused for
    good: the staff member who gave it gets a mail for each (capped.kept_back), each
    under a key of its own (under one, the outbox queues one of them only) and naming
    only those it was kept from: the others got the notice."""
    told = Outgoing(
        "k",
        "notice",
        "staff_capped.txt",
        ["anna@example.com"],
        {"unsent_to": ["spam@x.ru", TYPO, "olga@shop.ru"], "kept_back": ""},
        record=True,
    )
    notes = [
        {"suppressed": "blocked", "to": ["spam@x.ru"]},
        {"suppressed": "refused", "to": [TYPO]},
    ]
    blocked, refused = capped.kept_back(told, notes)
    assert (blocked.context["kept_back"], blocked.context["unsent_to"]) == (
        "blocked",
        ["spam@x.ru"],
    )
    assert (refused.context["kept_back"], refused.context["unsent_to"]) == ("refused", [TYPO])
    assert len({told.key, blocked.key, refused.key}) == 3


def test_a_recipient_not_said_failed_is_neither_marked_nor_told_as_failed():
    """Only «Action: failed» is final: a delay warning (the mail may yet arrive), a
    relay's «relayed», a block with no Action marks no address and is not told to
    staff as mail that did not reach the customer, whatever its Status."""
    ticket = {"tid": "1", "requester": TYPO}
    for action in ("Action: delayed\n", "Action: relayed\n", ""):
        report = f"Final-Recipient: rfc822; {TYPO}\n{action}Status: 5.1.1\n"
        assert ud.reported(report) == {}, action
        assert ud.failed_people(ticket, report) == [], action
        assert ud.on_report(ticket, report, "2026-12-03T10:00:00+03:00")[1:] == ([], [])


def test_a_confirmation_is_mail_to_customers_with_or_without_its_automatic_flag():
    """The confirmation of a new ticket went to its customer: a report of it by its
    subject alone is about it, also on a thread record that holds no
    "auto_to_customer" (one written before maild kept it)."""
    thread = [
        {"direction": "out", "message_id": "<answer@anna>", "kind": "staff"},
        {"direction": "out", "message_id": "<conf@us>", "kind": "confirmation"},
    ]
    assert ud.last_sent(thread) == "<conf@us>"
