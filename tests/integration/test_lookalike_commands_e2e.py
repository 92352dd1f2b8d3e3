"""Commands typed with a letter of another alphabet that looks like the Latin one
(«#nоte» with a Russian «о», «#level vіp» with a Ukrainian «і»), and the argument
forms staff type by hand: a TID as the subject matcher reads it, several addresses on
one #cc line, the same #cc twice. Real CLI (`maild ingest`, `outbox flush`), a real
sink for the relay."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, Sink, make_mail, relayed_reply

CUSTOMER = "ivan@shop-example.ru"


def open_ticket(desk: Desk, sink: Sink, sender: str = CUSTOMER) -> str:
    """A customer's ticket, its confirmation and staff notices sent (the flush returns
    once the relay has taken each mail)."""
    tid = desk.ingest_tid(make_mail(sender=sender))
    desk.flush()
    assert sink.to(sender)
    return tid


def errors_to_anna(mails) -> str:
    """The text of the «Команды не выполнены» mails among ``mails``, on one line."""
    return " ".join(" ".join(m.text.split()) for m in mails if "не выполнены" in m.subject)


def test_a_note_with_a_russian_o_stays_internal(desk, sink):
    """«#nоte» (a Russian «о») under the text: read as text, the internal line «Клиент
    грубит» went to the customer by mail, and to the site as the ticket's answer."""
    tid = open_ticket(desk, sink)
    got = relayed_reply(desk, sink, tid, "Клиент грубит, не отвечать.\n#n\u043ete\n")
    assert [m for m in got if CUSTOMER in m.rcpt_tos] == []
    assert not any("грубит" in m.text for m in sink.to(CUSTOMER))
    ticket = desk.ticket(tid)
    [note] = [m for m in ticket["messages"] if "грубит" in m["text"]]
    assert note["kind"] == "note" and "#n" not in note["text"]


@pytest.mark.parametrize(
    ("line", "status"),
    [("#t\u0430ke", "open"), ("#w\u0430it", "waiting"), ("#clos\u0435", "closed")],
)
def test_a_command_with_a_russian_letter_under_the_answer_runs(desk, sink, line, status):
    """«#tаke», «#wаit» (a Russian «а») went to the customer under the answer and ran
    nothing; «#closе» stopped the reply as an unknown command."""
    tid = open_ticket(desk, sink)
    got = relayed_reply(desk, sink, tid, f"Подскажите, какая у вас версия?\n{line}\n")
    [answer] = [m for m in got if CUSTOMER in m.rcpt_tos]
    assert "версия" in answer.text and line not in answer.text and line[1:] not in answer.text
    assert errors_to_anna(got) == ""
    assert desk.ticket(tid)["status"] == status


def test_spam_with_a_russian_a_under_the_answer_is_never_sent(desk, sink):
    tid = open_ticket(desk, sink)
    got = relayed_reply(desk, sink, tid, "Спасибо.\n#sp\u0430m\n")
    assert [m for m in got if CUSTOMER in m.rcpt_tos] == []
    assert not any("#sp" in m.text for m in sink.to(CUSTOMER))


def test_a_level_with_a_ukrainian_i_is_the_level(desk, sink):
    tid = open_ticket(desk, sink)
    relayed_reply(desk, sink, tid, "Ответ.\n#level v\u0456p\n")
    assert desk.ticket(tid)["level"] == "vip"


def test_an_error_names_the_letter_that_is_not_latin(desk, sink):
    """«неизвестный уровень «vіpp»» read as what staff typed, "vipp" or so: which
    letter was wrong, it did not say."""
    tid = open_ticket(desk, sink)
    got = relayed_reply(desk, sink, tid, "Ответ.\n#level v\u0456pp\n")
    text = errors_to_anna(got)
    assert "в слове «v\u0456pp» буква «\u0456» — украинская, а не латинская" in text, text
    assert [m for m in got if CUSTOMER in m.rcpt_tos] == []


@pytest.mark.parametrize(
    "form", ["[TID{}]", "TID{}", "№{}", "#{}", "[{}]", "«{}»", "[\u0422ID#{}]"]
)
def test_merge_reads_a_tid_as_typed_by_hand(desk, sink, form):
    """«#merge [TID4821-7730]», «#merge №4821-7730», ... were «нужен номер обращения
    вида 1234-5678», while the subject matcher reads every one of them."""
    into = open_ticket(desk, sink)
    tid = open_ticket(desk, sink, sender="petr@other-example.ru")
    got = relayed_reply(desk, sink, tid, f"#merge {form.format(into)}\n")
    assert errors_to_anna(got) == ""
    assert desk.ticket(tid)["merged_into"] == into


@pytest.mark.parametrize("sep", [", ", " ", "; "])
def test_cc_of_several_addresses_on_a_line_says_one_per_line(desk, sink, sep):
    """«#cc a@x.ru, b@x.ru» was «не похоже на адрес электронной почты»: both are."""
    tid = open_ticket(desk, sink)
    got = relayed_reply(desk, sink, tid, f"Добавил коллег.\n#cc buh@shop.ru{sep}dir@shop.ru\n")
    text = errors_to_anna(got)
    assert "по одному адресу в строке: «#cc buh@shop.ru», «#cc dir@shop.ru»" in text, text
    assert "не похоже" not in text


def test_the_same_cc_twice_in_one_reply_counts_once(desk, sink):
    """«#cc buh@…» and «#cc BUH@…» in one reply stopped it: «уже участник обращения»,
    of one who was not yet."""
    tid = open_ticket(desk, sink)
    got = relayed_reply(desk, sink, tid, "Добавил бухгалтерию.\n#cc buh@shop.ru\n#cc BUH@shop.ru\n")
    assert errors_to_anna(got) == ""
    assert "buh@shop.ru" in desk.ticket(tid)["participants"]
    [answer] = [m for m in got if CUSTOMER in m.rcpt_tos]
    assert "бухгалтерию" in answer.text
