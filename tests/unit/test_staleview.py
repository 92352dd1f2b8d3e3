"""Unit tests for maild.domain.staleview: a staff reply written on a stale view of its
ticket, and #take on a ticket another staff member holds."""

from __future__ import annotations

from maild.domain.commands import Command
from maild.domain.decision import copy_key
from maild.domain.replyaddr import sign_message_id
from maild.domain.staleview import replied_to, stale_view, taken_errors

SECRET = b"s" * 32
TID = "1234-5678"
STAFF = ("anna@s.ru", "boris@s.ru", "vera@s.ru")


def when(iso: str) -> str:
    return iso[8:10] + "." + iso[5:7] + "." + iso[:4] + " " + iso[11:16]


def mid(key: str, tid: str = TID) -> str:
    return sign_message_id(key, tid, SECRET, "example.com")


def at(minute: int) -> str:
    return f"2026-12-03T10:{minute:02d}:00+03:00"


CUSTOMER = {
    "message_id": "<c1@shop.ru>",
    "direction": "in",
    "kind": "customer",
    "from": "ivan@shop.ru",
    "received_at": at(0),
    "text": "Ошибка 500 при оформлении заказа",
}
NOTICE = {
    "message_id": mid("n1"),
    "direction": "out",
    "kind": "notice",
    "from": "support@example.com",
    "received_at": at(1),
    "text": "Новое обращение",
    "to": list(STAFF),
}


def answer(by: str, minute: int, text: str, *commands: str) -> dict:
    return {
        "message_id": f"<{by}-{minute}@s.ru>",
        "sent_as": mid(f"relay{minute}"),
        "direction": "out",
        "kind": "staff",
        "from": by,
        "received_at": at(minute),
        "text": text,
        "to": ["ivan@shop.ru"],
        "commands": list(commands),
    }


def note(by: str, minute: int, *commands: str) -> dict:
    return {
        "message_id": f"<{by}-{minute}@s.ru>",
        "direction": "in",
        "kind": "note",
        "from": by,
        "received_at": at(minute),
        "text": "(только команды)",
        "commands": list(commands),
    }


def followup(minute: int, text: str = "Вот лог ошибки: PHP Fatal error") -> dict:
    return {
        **CUSTOMER,
        "message_id": f"<c{minute}@shop.ru>",
        "received_at": at(minute),
        "text": text,
    }


def view(commands, messages, writer="anna@s.ru", replied=1):
    return stale_view([Command(c) for c in commands], messages, replied, writer, when)


# -- which mail a reply answers ------------------------------------------------------


def test_each_staff_members_copy_of_a_notice_names_the_notice() -> None:
    thread = [CUSTOMER, NOTICE]
    for n in range(len(STAFF)):
        assert replied_to(thread, [mid(copy_key("n1", n))], mid) == 1
    # a copy beyond the notice's recipients, or one not signed by us, names nothing
    assert replied_to(thread, [mid(copy_key("n1", 3))], mid) is None
    forged = mid(copy_key("n1", 1)).replace("@", "x@")
    assert replied_to(thread, [forged], mid) is None
    assert replied_to(thread, ["<n1-1.1234-5678.aaaaaaaaaa@example.com>"], mid) is None


def test_a_copy_number_of_thousands_of_digits_names_nothing_and_fails_nothing() -> None:
    """«<n1-99...9.TID.sig@...>» of 5,000 digits was more than int() reads: the staff
    reply naming it failed in the pipeline (kept as raw text, from no one)."""
    thread = [CUSTOMER, NOTICE]
    for n in ("9" * 5000, "9" * 10, "²"):
        assert replied_to(thread, [f"<n1-{n}.1234-5678.aaaaaaaaaa@example.com>"], mid) is None


def test_a_relayed_answer_a_customers_mail_or_nothing_of_the_thread() -> None:
    mine = answer("anna@s.ru", 5, "Очистите кэш")
    thread = [CUSTOMER, NOTICE, mine]
    assert replied_to(thread, [mine["sent_as"]], mid) == 2
    assert replied_to(thread, [mine["message_id"]], mid) == 2
    assert replied_to(thread, ["<c1@shop.ru>"], mid) == 0
    assert replied_to(thread, [], mid) is None
    assert replied_to(thread, ["<elsewhere@other.ru>", mid("n9")], mid) is None


def test_a_copy_of_another_tickets_mail_names_nothing_of_this_thread() -> None:
    """A reply tagged with this ticket that answers Vera's copy of another ticket's
    notice (signed by us, its TID another): no mail of this thread was seen, so it is
    no stale view; it was read as a place in this thread that is not there, and failed."""
    thread = [CUSTOMER, NOTICE]
    assert replied_to(thread, [mid(copy_key("n1", 2), "9999-0000")], mid) is None
    assert replied_to(thread, [mid(copy_key("n7", 1))], mid) is None  # not in the thread


def test_a_reply_naming_two_mails_of_the_thread_answers_the_later() -> None:
    """In-Reply-To may name more than one mail: the writer saw the latest of them, so
    what came between the two makes the reply no stale view."""
    mine = answer("anna@s.ru", 5, "Очистите кэш")
    thread = [CUSTOMER, NOTICE, mine]
    assert replied_to(thread, [mine["sent_as"], "<c1@shop.ru>"], mid) == 2
    assert replied_to(thread, ["<c1@shop.ru>", mid(copy_key("n1", 2))], mid) == 1


# -- what makes a view stale ----------------------------------------------------------


def test_another_staff_members_answer_since_stops_any_reply() -> None:
    thread = [CUSTOMER, NOTICE, answer("boris@s.ru", 3, "Иван, исправлено в 7.0.1.", "#close")]
    v = view([], thread)
    assert v.resend
    [error] = v.errors
    assert error.startswith("Письмо, на которое вы отвечаете (03.12.2026 10:01), устарело")
    assert "03.12.2026 10:03, boris@s.ru — ответ клиенту, #close: «Иван, исправлено в 7.0.1.»" in (
        error
    )


def test_another_staff_members_answer_withdrawn_unsent_is_no_answer_to_miss() -> None:
    """Boris's answer never went (withdrawn by maild forget, #spam, #uncc): the customer
    got nothing Anna's reply misses; the commands that ran with it still count."""
    for why in ("erased", "spam", "uncc"):
        never = {**answer("boris@s.ru", 3, "Иван, исправлено в 7.0.1."), "withdrawn": why}
        assert view([], [CUSTOMER, NOTICE, never]).errors == []
        [error] = view([], [CUSTOMER, NOTICE, {**never, "commands": ["#close"]}]).errors
        assert "boris@s.ru — #close: «Иван, исправлено в 7.0.1.»" in error


def test_another_staff_members_take_assign_close_or_merge_since_stops_a_reply() -> None:
    for command in ("#take", "#assign vera@s.ru", "#close", "#merge 1111-2222"):
        [error] = view([], [CUSTOMER, NOTICE, note("boris@s.ru", 2, command)]).errors
        assert f"boris@s.ru — {command}" in error and "«" not in error  # commands only
    # other commands, and a note with none, change nothing the reply says
    for command in ("#level vip", "#critical", "#note", "#wait"):
        assert view([], [CUSTOMER, NOTICE, note("boris@s.ru", 2, command)]).errors == []


def test_being_assigned_the_ticket_never_makes_the_assignees_reply_stale() -> None:
    """No mail tells the assignee of #assign: they answer from the notice they have."""
    for command in ("#assign anna@s.ru", "#assign Anna@S.ru"):
        assert view([], [CUSTOMER, NOTICE, note("vera@s.ru", 5, command)]).errors == []
    # handed to another, or handed to the writer in a mail that answers the customer
    assert view([], [CUSTOMER, NOTICE, note("vera@s.ru", 5, "#assign boris@s.ru")]).errors
    given = answer("vera@s.ru", 5, "Иван, передаю коллеге.", "#assign anna@s.ru")
    assert view([], [CUSTOMER, NOTICE, given]).errors


def test_the_writers_own_actions_never_make_the_reply_stale() -> None:
    thread = [CUSTOMER, NOTICE, answer("anna@s.ru", 2, "Очистите кэш", "#take")]
    assert view(["close"], [*thread, note("anna@s.ru", 3, "#close")]) == view([], [])
    assert view(["close"], thread).errors == []


def test_a_customers_mail_since_stops_only_wait_and_close() -> None:
    thread = [CUSTOMER, NOTICE, followup(2)]
    assert view([], thread).errors == []
    assert view(["take"], thread).errors == []
    [error] = view(["wait"], thread).errors
    assert "03.12.2026 10:02, ivan@shop.ru — письмо клиента: «Вот лог ошибки" in error
    assert "#wait не выполнена: клиент уже написал" in error
    [error] = view(["close"], thread).errors
    assert "#close не выполнена" in error and "#wait" not in error
    # an automatic reply is nothing to answer
    assert view(["close"], [CUSTOMER, NOTICE, {**followup(2), "automated": "x"}]).errors == []


def test_a_wait_written_before_anothers_answer_does_not_say_the_customer_wrote() -> None:
    """«клиент уже написал» only when a customer's mail came since: here Boris's answer
    alone did, and the writer is told of it, not of a customer's mail that never came."""
    thread = [CUSTOMER, NOTICE, answer("boris@s.ru", 3, "Иван, пришлите лог.")]
    for presumed in ("wait", "close"):
        [error] = view([presumed], thread).errors
        assert "boris@s.ru — ответ клиенту" in error
        assert "клиент уже написал" not in error and "новое письмо клиента" not in error


def test_a_reply_to_the_newest_mail_or_to_nothing_is_not_stale() -> None:
    thread = [CUSTOMER, NOTICE, answer("boris@s.ru", 2, "Ответ"), followup(3)]
    refused = {**NOTICE, "message_id": mid("e1"), "received_at": at(4), "to": ["anna@s.ru"]}
    assert view(["close"], [*thread, refused], replied=4).errors == []
    assert view(["close"], thread, replied=None).errors == []


def test_the_mail_answered_is_no_event_its_reply_missed() -> None:
    """Anna answers Boris's answer itself (its relayed copy), or the customer's mail
    with #wait: she read that mail, and nothing came since, so her reply goes."""
    thread = [CUSTOMER, NOTICE, answer("boris@s.ru", 2, "Иван, пришлите лог.", "#take")]
    assert view(["close"], thread, replied=2).errors == []
    assert view(["wait"], [*thread, followup(3)], replied=3).errors == []


def test_many_events_name_the_latest_and_count_the_rest() -> None:
    answers = [answer("boris@s.ru", 2 + i, f"Ответ {i}") for i in range(7)]
    [error] = view([], [CUSTOMER, NOTICE, *answers]).errors
    assert "(и ещё раньше: 2)" in error and "«Ответ 6»" in error and "«Ответ 1»" not in error


def test_as_many_events_as_are_listed_are_all_named_with_no_count() -> None:
    """Five events (LISTED) are all named: no «(и ещё раньше: 0)» line of none."""
    answers = [answer("boris@s.ru", 2 + i, f"Ответ {i}") for i in range(5)]
    [error] = view([], [CUSTOMER, NOTICE, *answers]).errors
    assert "и ещё раньше" not in error and "«Ответ 0»" in error and "«Ответ 4»" in error


def test_first_words_are_cut_at_a_word() -> None:
    long = "Иван, " + "проверьте настройки модуля оплаты " * 5
    [error] = view([], [CUSTOMER, NOTICE, answer("boris@s.ru", 2, long)]).errors
    words = error.split("«", 1)[1]
    assert words.endswith("…»") and len(words) < 90 and "модуля оплаты проверьте" in words


# -- #take on a ticket another holds -----------------------------------------------------


def test_take_of_a_ticket_another_holds_names_them_since_when_and_assign() -> None:
    ticket = {"assignee": "boris@s.ru"}
    thread = [CUSTOMER, NOTICE, note("boris@s.ru", 2, "#take")]
    [error] = taken_errors([Command("take")], ticket, thread, "anna@s.ru", STAFF, when)
    assert error.startswith(
        "#take не выполнена: обращение уже ведёт boris@s.ru с 03.12.2026 10:02."
    )
    assert "#assign anna@s.ru" in error
    assigned = [*thread, note("vera@s.ru", 5, "#assign boris@s.ru")]
    [error] = taken_errors([Command("take")], ticket, assigned, "anna@s.ru", STAFF, when)
    assert "с 03.12.2026 10:05" in error


def test_take_is_no_error_for_the_holder_nobody_held_or_with_assign() -> None:
    take = [Command("take")]
    assert taken_errors(take, {"assignee": "anna@s.ru"}, [], "anna@s.ru", STAFF, when) == []
    assert taken_errors(take, {"assignee": None}, [], "anna@s.ru", STAFF, when) == []
    # one who left the staff holds nothing
    assert taken_errors(take, {"assignee": "old@s.ru"}, [], "anna@s.ru", STAFF, when) == []
    both = [Command("take"), Command("assign", "anna@s.ru")]
    assert taken_errors(both, {"assignee": "boris@s.ru"}, [], "anna@s.ru", STAFF, when) == []
    other = [Command("close")]
    assert taken_errors(other, {"assignee": "boris@s.ru"}, [], "anna@s.ru", STAFF, when) == []
    [error] = taken_errors(take, {"assignee": "boris@s.ru"}, [], "anna@s.ru", STAFF, when)
    assert "ведёт boris@s.ru.\n" in error  # no record says since when
