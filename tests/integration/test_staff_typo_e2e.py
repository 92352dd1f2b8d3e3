"""A staff member's command mistyped on a line of its own under the answer (`#clsoe`,
`#закрыь`, `# close`): the reply is held, the customer gets nothing and the staff
member is told which command was likely meant. Real CLI (`maild ingest`), real relay."""

from __future__ import annotations

import pytest

from tests.helpers import make_mail, relayed_reply

CUSTOMER = "ivan@shop-example.ru"
ANSWER = "Иван, проверьте модуль оплаты."


def open_ticket(desk, sink) -> str:
    tid = desk.ingest_tid(make_mail(body="Не работает оплата.\nЧто делать?\n"))
    desk.flush()
    sink.wait_for(2)
    return tid


def reply(desk, sink, tid: str, line: str) -> list:
    """Anna's answer with ``line`` under it and her name below: what the relay got."""
    return relayed_reply(desk, sink, tid, f"{ANSWER}\n{line}\n\nАнна\n")


@pytest.mark.parametrize(
    ("line", "told"),
    [
        ("#clsoe", "Неизвестная команда: #clsoe (может быть, #close?)"),
        ("#закрыь", "Неизвестная команда: #закрыь (может быть, #закрыть?)"),
        ("# close", "«# close»: между «#» и командой не должно быть пробела (#close)"),
    ],
)
def test_a_command_mistyped_under_the_answer_holds_the_reply(desk, sink, line, told):
    tid = open_ticket(desk, sink)
    [error] = reply(desk, sink, tid, line)
    assert error.rcpt_tos == ["anna@example.com"]
    assert error.subject.startswith("Команды не выполнены") and f"[TID#{tid}]" in error.subject
    assert told in " ".join(error.text.split())
    assert "Клиенту ничего не отправлено" in error.text
    assert len(sink.to(CUSTOMER)) == 1  # the confirmation alone
    ticket = desk.ticket(tid)
    assert ticket["status"] != "closed"
    [kept] = [m for m in ticket["messages"] if m["from"] == "anna@example.com"]
    assert kept["kind"] == "note"  # kept for staff, sent to no one


def test_a_hashtag_or_an_order_number_under_the_answer_goes_as_text(desk, sink):
    tid = open_ticket(desk, sink)
    [answer] = reply(desk, sink, tid, "#123 и #новинки\n#новинки")
    assert answer.rcpt_tos == [CUSTOMER]
    text = answer.text.replace("\r\n", "\n")
    assert f"{ANSWER}\n#123 и #новинки\n#новинки\n" in text
