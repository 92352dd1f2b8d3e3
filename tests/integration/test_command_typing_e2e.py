"""Command lines as staff type them, through the real CLI and relay: a fixed word in
the other layout («#critical ytn», «#spam ljvty»), a fullwidth «＃close», and a
command with two letters swapped and words after it («#clsoe вопрос решён»)."""

from __future__ import annotations

from tests.helpers import make_mail, staff_to

CUSTOMER = "ivan@shop-example.ru"
REFUSED = "Команды не выполнены"
ANSWER = "Иван, сайт снова работает."


def open_ticket(desk, sink, sender: str = f"Иван <{CUSTOMER}>") -> str:
    before = len(sink.received)
    tid = desk.ingest_tid(make_mail(sender=sender, body="Сайт не открывается.\n"))
    desk.flush()
    sink.wait_for(before + 2)  # the customer's confirmation, the staff notice
    return tid


def reply(desk, sink, tid: str, body: str) -> list:
    """Anna's reply with ``body``: what the relay got for it."""
    before = len(sink.received)
    desk.ingest(
        make_mail(
            sender="Анна Смирнова <anna@example.com>",
            to=staff_to(tid),
            subject=f"Re: Новое обращение [TID#{tid}]",
            body=body,
        )
    )
    desk.flush()
    return sink.wait_for(before + 1)[before:]


def test_critical_with_its_word_typed_in_the_latin_layout_takes_the_mark_off(desk, sink):
    """«#critical ytn» is «#critical нет» with the Latin layout left on: refused
    before, it held Anna's answer back and left the ticket jumping the queue."""
    tid = open_ticket(desk, sink)
    desk.ingest(make_mail(sender="anna@example.com", to=staff_to(tid), body="#critical\n"))
    assert desk.ticket(tid)["critical"] is True
    [answer] = reply(desk, sink, tid, f"#critical ytn\n{ANSWER}\n")
    assert answer.rcpt_tos == [CUSTOMER] and ANSWER in answer.text
    assert "ytn" not in answer.text
    t = desk.ticket(tid)
    assert t["critical"] is False and t["messages"][-1]["commands"] == ["#critical нет"]
    assert [r for r in sink.to("anna@example.com") if r.subject.startswith(REFUSED)] == []


def test_spam_with_its_word_typed_in_the_latin_layout_blocks_the_domain(desk, sink):
    tid = open_ticket(desk, sink, sender="seo@spam-farm.example")
    sent = len(sink.received)
    desk.ingest(make_mail(sender="anna@example.com", to=staff_to(tid), body="#spam ljvty\n"))
    desk.flush()
    assert desk.run("ticket", "show", tid).code == 1  # in the quarantine
    assert "spam-farm.example" in desk.run("block", "list", "--json").json()
    assert desk.ingest(make_mail(sender="b@spam-farm.example")).out.startswith("quarantined")
    desk.flush()
    assert len(sink.received) == sent  # no refusal to Anna, nothing to anyone


def test_a_fullwidth_number_sign_closes_the_ticket(desk, sink):
    """«＃close» (what a phone's or an input method's keyboard types for «#») under
    the answer went to the customer as text and closed nothing."""
    tid = open_ticket(desk, sink)
    [answer] = reply(desk, sink, tid, f"{ANSWER}\n＃close\n\nАнна\n")
    assert answer.rcpt_tos == [CUSTOMER] and ANSWER in answer.text
    assert "close" not in answer.text
    assert desk.ticket(tid)["status"] == "closed"


def test_a_command_with_two_letters_swapped_and_words_after_it_holds_the_reply(desk, sink):
    """«#clsoe вопрос решён» under the answer reached the customer, mangled command
    and all, and the ticket stayed open: now Anna is told, and nothing goes."""
    tid = open_ticket(desk, sink)
    to_customer = len(sink.to(CUSTOMER))
    [error] = reply(desk, sink, tid, f"{ANSWER}\n#clsoe вопрос решён\n\nАнна\n")
    assert error.rcpt_tos == ["anna@example.com"] and error.subject.startswith(REFUSED)
    assert "Неизвестная команда: #clsoe (может быть, #close?)" in " ".join(error.text.split())
    assert len(sink.to(CUSTOMER)) == to_customer
    assert desk.ticket(tid)["status"] != "closed"
