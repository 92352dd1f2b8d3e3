"""Unit tests for staff mail a customer of the ticket got directly, named in its To or
Cc (domain/direct.py): a verified answer is the ticket's answer but is not relayed to
them again, the notices maild adds go alone, the staff member is told once; mail of a
staff address that is not verified says the customer has it. End to end:
tests/integration/test_direct_reply_e2e.py."""

from __future__ import annotations

from dataclasses import replace

from maild.domain import ticket as tk
from maild.domain.decide import decide
from maild.domain.decision import Decision
from maild.domain.screen import screen
from maild.domain.sender import identify
from maild.domain.snapshot import Snapshot
from tests.helpers import staff_to
from tests.unit.test_decide import CUSTOMER, NOW, POLICY, STAFF, SUPPORT, _msg, _ticket

TID = "1111-2222"
ANNA = STAFF[0]
OLGA = "olga@shop-example.ru"


def _staff(body: str, cc: str | None = None, ticket: dict | None = None, **kw) -> Decision:
    """Anna's verified reply ``body`` to ticket 1111-2222, ``cc`` in its Cc."""
    fresh, messages = _ticket()
    snap = Snapshot(TID, (ticket or fresh, messages), identify(ANNA, [], [], NOW.date()), True)
    headers = {"Cc": cc} if cc else {}
    msg = _msg(
        sender=f"Анна <{ANNA}>",
        to=kw.pop("to", staff_to(TID)),
        subject=f"Re: Заказ [TID#{TID}]",
        body=body,
        headers=headers,
    )
    return decide(snap, msg, screen(msg, SUPPORT), NOW, POLICY)


def _to(d: Decision, who: str) -> list:
    return [o for o in d.outgoing if who in o.to]


def test_an_answer_the_customer_got_in_cc_is_not_relayed_again_but_is_the_answer() -> None:
    d = _staff("Иван, очистите кэш браузера.", cc=f"Иван Петров <{CUSTOMER}>")
    assert _to(d, CUSTOMER) == []  # he has it from her mail system
    assert (d.incoming["direction"], d.incoming["to"]) == ("out", [CUSTOMER])
    assert d.ticket["first_reaction_at"] == NOW.isoformat()
    [told] = _to(d, ANNA)
    assert (told.template, told.kind, told.record) == ("staff_direct.txt", "notice", True)
    assert told.context["direct"] == [CUSTOMER]
    assert (told.context["answered"], told.context["note"]) == (True, False)
    assert d.ticket["sent"][f"direct:{ANNA}"] == NOW.isoformat()


def test_the_staff_member_is_told_once_per_ticket() -> None:
    first = _staff("Очистите кэш.", cc=CUSTOMER)
    again = _staff("Ещё: перезапустите браузер.", cc=CUSTOMER, ticket=first.ticket)
    assert _to(again, ANNA) == [] and _to(again, CUSTOMER) == []


def test_the_notices_of_its_commands_go_alone_and_carry_no_reaction_back() -> None:
    """#close under an answer the customer has: the closing notice (rating request)
    goes by itself; the answer he got is the reaction, a cap on the notice takes
    nothing back (heard.if_queued's unheard)."""
    d = _staff("Исправлено, проверьте.\n#close", cc=CUSTOMER)
    [mail] = _to(d, CUSTOMER)
    assert (mail.kind, mail.template) == ("notice", "resolved.txt")
    assert "Исправлено" not in (mail.body or "") and mail.unheard is None
    assert d.ticket["status"] == "closed" and d.ticket["first_reaction_at"] == NOW.isoformat()
    [told] = _to(d, ANNA)
    assert told.context["notices"] is True


def test_a_customer_in_to_is_named_as_one_in_cc_in_any_spelling() -> None:
    d = _staff("Очистите кэш.", to=f"IVAN@Shop-Example.RU, {staff_to(TID)}")
    assert _to(d, CUSTOMER) == [] and [o.template for o in _to(d, ANNA)] == ["staff_direct.txt"]
    from maild.domain.direct import named  # (the rule itself)

    msg = replace(_msg(headers={"Cc": OLGA}), to=("ivan@окна.рф",))  # an SMTPUTF8 client's
    assert named(msg, ["ivan@xn--80atjc.xn--p1ai", "petr@shop-example.ru"]) == [
        "ivan@xn--80atjc.xn--p1ai"
    ]


def test_customers_not_named_get_the_answer_relayed() -> None:
    fresh, _ = _ticket()
    ticket = {**fresh, "participants": [OLGA]}
    d = _staff("Очистите кэш.", cc=CUSTOMER, ticket=ticket)
    [relayed] = [o for o in d.outgoing if o.kind == "staff"]
    assert relayed.to == [OLGA] and "Очистите кэш." in (relayed.body or "")
    assert sorted(d.incoming["to"]) == sorted([CUSTOMER, OLGA])
    assert _to(d, ANNA)[0].context["direct"] == [CUSTOMER]


def test_a_note_the_customer_got_in_cc_stays_a_note_and_its_writer_is_told() -> None:
    d = _staff("#note\nКлиент сложный, VIP.", cc=CUSTOMER)
    assert d.incoming["kind"] == "note" and _to(d, CUSTOMER) == []
    assert d.ticket.get("first_reaction_at") is None
    [told] = _to(d, ANNA)
    assert (told.template, told.context["note"], told.context["answered"]) == (
        "staff_direct.txt",
        True,
        False,
    )
    assert f"direct_note:{ANNA}" in d.ticket["sent"]


def test_without_a_customer_in_to_or_cc_nothing_changes() -> None:
    d = _staff("Очистите кэш.", cc="boris@example.com")
    [relayed] = _to(d, CUSTOMER)
    assert relayed.kind == "staff" and _to(d, ANNA) == []


def test_unverified_mail_naming_the_customer_says_the_customer_has_it() -> None:
    """Anna's "reply all" to Ivan's mail (To: Ivan, Cc: support@): not verified, a note;
    her notice names him as having got it (the template says so instead of «клиенту
    ничего не отправлено»)."""
    loaded = _ticket()
    msg = _msg(
        sender=f"Анна <{ANNA}>",
        to=f"Иван <{CUSTOMER}>",
        subject="Re: Заказ [TID#1111-2222]",
        body="Сбросьте пароль.",
        headers={"Cc": SUPPORT},
    )
    ident = identify(ANNA, [], [], NOW.date())
    d = decide(Snapshot(TID, loaded, ident, False), msg, screen(msg, SUPPORT), NOW, POLICY)
    assert d.incoming["kind"] == "note" and d.ticket["status"] == "new"
    [out] = d.outgoing
    assert (out.template, out.context["direct"]) == ("staff_unverified.txt", [CUSTOMER])
    plain = _msg(sender=f"Анна <{ANNA}>", subject="Re: Заказ [TID#1111-2222]", body="x")
    d = decide(Snapshot(TID, loaded, ident, False), plain, screen(plain, SUPPORT), NOW, POLICY)
    assert d.outgoing[0].context["direct"] == []
    assert tk.customers(d.ticket, POLICY.internal, SUPPORT) == [CUSTOMER]


QUESTION = "Можно ли оплатить картой? Если да, то какой?"


def _answered_in_the_quote(cc: str | None, below: str = "") -> Decision:
    """Anna's answer to the customer's QUESTION, with «Да» typed under it inside
    Outlook's quote of the notice, ``cc`` in its Cc, ``below`` under it all."""
    ticket, messages = _ticket()
    messages[0]["text"] = QUESTION
    snap = Snapshot(TID, (ticket, messages), identify(ANNA, [], [], NOW.date()), True)
    body = (
        "Иван, ответ ниже.\n\nОт: Служба поддержки <support@example.com>\n"
        "Отправлено: пятница, 4 декабря 2026 г. 12:31\nКому: anna@example.com\n"
        f"Тема: [TID#{TID}]\n\n{QUESTION}\nДа\n{below}"
    )
    headers = {"Cc": cc} if cc else {}
    msg = _msg(sender=f"Анна <{ANNA}>", to=staff_to(TID), subject=f"Re: [TID#{TID}]", body=body,
               headers=headers)  # fmt: skip
    return decide(snap, msg, screen(msg, SUPPORT), NOW, POLICY)


def test_lines_typed_in_the_quote_are_told_only_of_an_answer_relayed() -> None:
    """Relayed, the answer goes without the quote, so Anna is told of the «Да» she typed
    inside it (inquote.told); the customer in Cc got her mail as written, quote and
    all, and a notice saying «Да» did not go would be false: only staff_direct goes."""
    relayed = _answered_in_the_quote(None)
    [told] = [o for o in _to(relayed, ANNA) if o.template == "staff_quote_left.txt"]
    assert told.context["typed"] == ["Да"] and _to(relayed, CUSTOMER)
    direct = _answered_in_the_quote(CUSTOMER)
    assert [o.template for o in _to(direct, ANNA)] == ["staff_direct.txt"]


def test_the_notice_attached_to_an_answer_holds_no_line_she_typed() -> None:
    """Outlook set to attach the original sends the notice answered as a forward under
    the reply (staffquote.without_our_forward): that is support's own mail, not hers.
    She is told of the «Да» she typed inside the quote, and of no line of the notice
    (its mark, its heading and level were named as lines she typed and lost)."""
    attached = (
        "\n-------- Пересланное сообщение --------\n"
        f"Тема: Новое обращение [TID#{TID}]\nДата: Fri, 4 Dec 2026 12:31:00 +0300\n"
        "От: Служба поддержки <support@example.com>\nКому: anna@example.com\n\n"
        f"Новое обращение {TID}\nУровень: VIP\n\n{QUESTION}\n"
    )
    d = _answered_in_the_quote(None, attached)
    [told] = [o for o in _to(d, ANNA) if o.template == "staff_quote_left.txt"]
    assert told.context["typed"] == ["Да"]
    assert [o.body for o in _to(d, CUSTOMER)] == ["Иван, ответ ниже.\n\n--\nСлужба поддержки\n"]


def test_a_command_of_her_own_sent_answer_quoted_back_is_no_line_she_typed() -> None:
    """Her reply on her own sent answer quotes its «#level vip», which the record of
    that answer keeps among the commands it ran (one a line), not in its text
    (unsent.thread_texts): it is no line typed inside the quote; the answer goes and no
    notice says it, or a line of it, did not go."""
    ticket, messages = _ticket()
    messages.append(
        {
            "message_id": "<answer-1@example.com>",
            "direction": "out",
            "from": ANNA,
            "kind": "staff",
            "received_at": NOW.isoformat(),
            "text": "Иван, проверьте настройки оплаты.",
            "commands": ["#take", "#level vip"],
            "attachments": [],
        }
    )
    snap = Snapshot(TID, (ticket, messages), identify(ANNA, [], [], NOW.date()), True)
    body = (
        "Иван, и ещё: очистите кэш.\n\nОт: Анна <anna@example.com>\n"
        "Отправлено: пятница, 4 декабря 2026 г. 12:31\nКому: ivan@example.com\n"
        f"Тема: [TID#{TID}]\n\n#level vip\nИван, проверьте настройки оплаты.\n"
    )
    msg = _msg(sender=f"Анна <{ANNA}>", to=staff_to(TID), subject=f"Re: [TID#{TID}]", body=body)
    d = decide(snap, msg, screen(msg, SUPPORT), NOW, POLICY)
    assert [o.body.split("\n")[0] for o in _to(d, CUSTOMER)] == ["Иван, и ещё: очистите кэш."]
    assert [o.template for o in _to(d, ANNA)] == []


def test_a_customer_in_cc_whose_notices_are_held_gets_none_of_them() -> None:
    """Ivan's mail looked automatic: the closing notice is held from him, though he got
    the answer in Cc from her mail system; Olga, in Cc too, gets it."""
    ticket, _ = _ticket()
    both = {**ticket, "participants": [CUSTOMER, OLGA], "automatic": {CUSTOMER: "auto"}}
    for cc in (f"{CUSTOMER}, {OLGA}", CUSTOMER):
        d = _staff("Исправлено, проверьте.\n#close", cc=cc, ticket=both)
        assert _to(d, CUSTOMER) == [], cc
        assert [o.template for o in _to(d, ANNA)] == ["staff_capped.txt", "staff_direct.txt"]


def test_a_saved_answer_goes_from_maild_to_the_customer_in_cc_too() -> None:
    """In Cc he got «#answer thanks», the command line: maild's mail, the saved answer
    filled in, goes to him all the same."""
    d = _staff("#answer thanks", cc=CUSTOMER)
    [mail] = _to(d, CUSTOMER)
    assert mail.kind == "staff" and "answer thanks for" in (mail.body or "")
