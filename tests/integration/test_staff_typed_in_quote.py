"""A staff member answers from Outlook above the quote and types a short answer
(«Да») inside the customer's quoted mail too (Outlook's unquoted original under
«От:/Отправлено:/Кому:/Тема:»). The answer above goes to the customer; the line
inside the quote does not (in it stand the notice's internal lines), and the staff
member is told so, naming it: nothing they typed disappears silently. End to end
through `maild ingest` and a real relay (the sink)."""

from __future__ import annotations

from tests.helpers import Desk
from tests.integration.test_outlook_e2e import ANNA, CUSTOMER, outlook, ru_head
from tests.integration.test_staff_e2e import customer_mails, open_ticket

QUESTIONS = [
    "Здравствуйте!",
    "Подскажите, пожалуйста:",
    "1. Можно ли оплатить заказ картой? Если да, то какой?",
    "2. Есть ли доставка в Казань или нет?",
]
TOP = ["Иван, добрый день.", "Ответы ниже, в тексте.", "", "Анна"]


def test_a_short_answer_typed_inside_outlooks_quote_is_named_to_the_staff_member(desk: Desk, sink):
    """Anna answers above the quote and types «Да» under the customer's first question
    inside it: the answer above went, «Да» was dropped and nobody said so (a run of
    the question's words, it held nothing back). Now she gets one short mail naming it."""
    tid, notice = open_ticket(desk, sink, sender=f"Иван <{CUSTOMER}>", body="\n".join(QUESTIONS))
    original = []
    for line in notice.text.splitlines():  # «Да» typed under the first question
        original += [line, "Да"] if line.strip() == QUESTIONS[2] else [line]
    assert "Да" in original
    head = ru_head(str(notice.msg["From"]), ANNA, notice.subject)
    raw = outlook(f"Анна <{ANNA}>", str(notice.msg["Reply-To"]), f"RE: {notice.subject}",
                  TOP, head, original)  # fmt: skip
    seen, told = len(customer_mails(sink)), len(sink.to(ANNA))
    assert desk.ingest(raw).code == 0
    assert desk.flush().code == 0
    [answer] = customer_mails(sink)[seen:]
    assert "Ответы ниже, в тексте." in answer.text  # the answer above the quote goes
    [note] = [r for r in sink.to(ANNA)[told:] if f"[TID#{tid}]" in r.subject]
    lines = [s.strip() for s in note.text.splitlines()]
    assert "Да" in lines, note.text  # the line typed inside the quote is named
    assert "Ответы ниже, в тексте." not in lines, note.text  # not what went
    named = lines[lines.index("(или «... пишет:»):") + 1 :]
    assert named[: named.index("")] == ["Да"], note.text  # that line alone
    assert note.subject.startswith("Ответ отправлен без строк из цитаты")


def test_an_answer_above_outlooks_quote_alone_brings_no_such_mail(desk: Desk, sink):
    """The same answer without a line typed inside the quote: nothing to tell."""
    tid, notice = open_ticket(desk, sink, sender=f"Иван <{CUSTOMER}>", body="\n".join(QUESTIONS))
    head = ru_head(str(notice.msg["From"]), ANNA, notice.subject)
    raw = outlook(f"Анна <{ANNA}>", str(notice.msg["Reply-To"]), f"RE: {notice.subject}",
                  ["Иван, добрый день. Да, можно, любой.", "", "Анна"], head,
                  notice.text.splitlines())  # fmt: skip
    seen, told = len(customer_mails(sink)), len(sink.to(ANNA))
    assert desk.ingest(raw).code == 0
    assert desk.flush().code == 0
    assert len(customer_mails(sink)[seen:]) == 1
    assert [r.subject for r in sink.to(ANNA)[told:] if f"[TID#{tid}]" in r.subject] == []
