"""Command lines as staff type them, through the real CLI and relay: a fixed word in
the other layout («#critical ytn», «#spam ljvty», «#level мшз»), a fullwidth «＃close»,
a command with two letters swapped and words after it («#clsoe вопрос решён»), a
Russian alias or answer name typed with the Latin layout left on («#pfrhsnm»,
«#answer cgfcb,j»)."""

from __future__ import annotations

from tests.helpers import make_mail, relayed_reply, staff_to
from tests.integration.test_answer_fallback import desk_with

CUSTOMER = "ivan@shop-example.ru"
REFUSED = "Команды не выполнены"
ANSWER = "Иван, сайт снова работает."


def open_ticket(desk, sink, sender: str = f"Иван <{CUSTOMER}>") -> str:
    before = len(sink.received)
    tid = desk.ingest_tid(make_mail(sender=sender, body="Сайт не открывается.\n"))
    desk.flush()
    sink.wait_for(before + 2)  # the customer's confirmation, the staff notice
    return tid


def test_critical_with_its_word_typed_in_the_latin_layout_takes_the_mark_off(desk, sink):
    """«#critical ytn» is «#critical нет» with the Latin layout left on: refused
    before, it held Anna's answer back and left the ticket jumping the queue."""
    tid = open_ticket(desk, sink)
    desk.ingest(make_mail(sender="anna@example.com", to=staff_to(tid), body="#critical\n"))
    assert desk.ticket(tid)["critical"] is True
    [answer] = relayed_reply(desk, sink, tid, f"#critical ytn\n{ANSWER}\n")
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
    # no refusal to Anna, nothing to anyone: only her word of what the #spam blocked
    [done] = sink.received[sent:]
    assert done.rcpt_tos == ["anna@example.com"] and "помечено как спам" in done.subject
    assert "Заблокирован весь домен spam-farm.example" in done.text


def test_a_fullwidth_number_sign_closes_the_ticket(desk, sink):
    """«＃close» (what a phone's or an input method's keyboard types for «#») under
    the answer went to the customer as text and closed nothing."""
    tid = open_ticket(desk, sink)
    [answer] = relayed_reply(desk, sink, tid, f"{ANSWER}\n＃close\n\nАнна\n")
    assert answer.rcpt_tos == [CUSTOMER] and ANSWER in answer.text
    assert "close" not in answer.text
    assert desk.ticket(tid)["status"] == "closed"


def test_a_command_with_two_letters_swapped_and_words_after_it_holds_the_reply(desk, sink):
    """«#clsoe вопрос решён» under the answer reached the customer, mangled command
    and all, and the ticket stayed open: now Anna is told, and nothing goes."""
    tid = open_ticket(desk, sink)
    to_customer = len(sink.to(CUSTOMER))
    [error] = relayed_reply(desk, sink, tid, f"{ANSWER}\n#clsoe вопрос решён\n\nАнна\n")
    assert error.rcpt_tos == ["anna@example.com"] and error.subject.startswith(REFUSED)
    assert "Неизвестная команда: #clsoe (может быть, #close?)" in " ".join(error.text.split())
    assert len(sink.to(CUSTOMER)) == to_customer
    assert desk.ticket(tid)["status"] != "closed"


def test_a_russian_alias_typed_with_the_latin_layout_on_closes_the_ticket(desk, sink):
    """«#pfrhsnm» is «#закрыть» with the Latin layout left on: under the answer it
    reached the customer as text, and the ticket stayed open."""
    tid = open_ticket(desk, sink)
    [answer] = relayed_reply(desk, sink, tid, f"{ANSWER}\n#pfrhsnm\n\nАнна\n")
    assert answer.rcpt_tos == [CUSTOMER] and ANSWER in answer.text
    assert "pfrhsnm" not in answer.text
    t = desk.ticket(tid)
    assert t["status"] == "closed" and t["messages"][-1]["commands"] == ["#close"]


def test_a_level_typed_in_the_russian_layout_after_a_latin_name_is_the_level(desk, sink):
    """«#level мшз» (vip, the Russian layout switched on after the name) held the
    reply back as an unknown level."""
    tid = open_ticket(desk, sink)
    [answer] = relayed_reply(desk, sink, tid, f"#level мшз\n{ANSWER}\n")
    assert answer.rcpt_tos == [CUSTOMER] and ANSWER in answer.text
    assert desk.ticket(tid)["level"] == "vip"


def test_a_russian_named_answer_typed_in_the_latin_layout_is_inserted(tmp_path, sink):
    """«#answer cgfcb,j» is «#answer спасибо» with the Latin layout left on: «нет
    сохранённого ответа» before, and the customer got nothing. An answer named as
    typed wins, and check-config names two names typed with the same keys."""
    answers = {"спасибо": "Спасибо, что написали.\n", "ytn": "Латинский.\n", "нет": "Нет.\n"}
    desk, tpl = desk_with(tmp_path, sink, answers)
    tid = open_ticket(desk, sink)
    [answer] = relayed_reply(desk, sink, tid, f"{ANSWER}\n#answer cgfcb,j\n")
    assert answer.rcpt_tos == [CUSTOMER] and "Спасибо, что написали." in answer.text
    assert "cgfcb" not in answer.text
    [answer] = relayed_reply(desk, sink, tid, "#answer ytn\n")
    assert "Латинский." in answer.text and "Нет." not in answer.text
    r = desk.run("check-config")
    assert r.code == 0, r  # a warning: the desk works
    warning = " ".join(r.err.split())
    assert f"{tpl / 'answers'}: saved answers ytn, нет are typed with the same keys" in warning


def test_an_answer_whose_file_name_has_capitals_is_inserted(tmp_path, sink):
    """An admin's «answers/Спасибо.txt» or Thanks.txt: `#answer Спасибо` was refused
    as «нет сохранённого ответа «спасибо»; есть: ..., Спасибо», whichever case the
    staff member typed. check-config warns of two names that only capitals tell apart."""
    answers = {"Спасибо": "Спасибо, что написали.\n", "Thanks": "Thank you.\n"}
    desk, tpl = desk_with(tmp_path, sink, answers)
    tid = open_ticket(desk, sink)
    [answer] = relayed_reply(desk, sink, tid, f"{ANSWER}\n#answer Спасибо\n")
    assert answer.rcpt_tos == [CUSTOMER] and "Спасибо, что написали." in answer.text
    [answer] = relayed_reply(desk, sink, tid, "#answer thanks\n")
    assert answer.rcpt_tos == [CUSTOMER] and "Thank you." in answer.text
    assert [r for r in sink.to("anna@example.com") if r.subject.startswith(REFUSED)] == []
    assert "capitals" not in desk.run("check-config").err
    (tpl / "answers" / "THANKS.txt").write_text("THANK YOU.\n", encoding="utf-8")
    r = desk.run("check-config")
    assert r.code == 0, r  # a warning: the desk works
    warning = " ".join(r.err.split())
    assert f"{tpl / 'answers'}: saved answers THANKS, Thanks differ only in capitals" in warning
