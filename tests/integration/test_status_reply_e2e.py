"""The status reply («статус?») names the last thing staff did for the customer who
asks: what their mail gave them, as their page of the site shows it
(`domain/pageshown.py`). `maild ingest`, `maild outbox flush` to a real aiosmtpd relay."""

from __future__ import annotations

from tests.helpers import Desk, make_mail, staff_reply

GLEB, HANNA = "gleb@fifth.ru", "hanna@sixth.ru"


def status_of(desk: Desk, sink, who: str, tid: str) -> str:
    desk.ingest(make_mail(sender=who, subject=f"Re: [TID#{tid}]", body="Статус?"))
    desk.flush()
    told = sink.to(who)[-1]
    assert told.subject.startswith("Состояние обращения")
    return told.text.replace("\r\n", "\n")


def test_an_answer_written_with_merge_is_no_staff_action_for_the_survivor_s_customer(desk, sink):
    """The answer written with `#merge` went to the merged ticket's customer alone: the
    surviving ticket's own customer, who never got it (nor sees it on the site), is not
    told «ответ сотрудника» of another customer's answer, nor «работа начата» of the
    notice she got before the merge; its customer is."""
    mine = desk.ingest_tid(make_mail(sender=GLEB, subject="Не работает поиск"))
    other = desk.ingest_tid(make_mail(sender=HANNA, subject="Поиск не работает"))
    desk.ingest(staff_reply(other, "#take"))
    desk.ingest(staff_reply(other, f"#merge {mine}\nХанна, поиск починили."))
    desk.flush()
    assert "Ханна, поиск починили." in sink.to(HANNA)[-1].text
    assert not any("починили" in m.text for m in sink.to(GLEB))
    told = status_of(desk, sink, GLEB, mine)
    assert "Сотрудники ещё не отвечали по этому обращению." in told
    assert "ответ сотрудника" not in told and "работа начата" not in told
    assert "Последнее действие поддержки: ответ сотрудника" in status_of(desk, sink, HANNA, mine)


def test_a_notice_another_customer_got_before_a_merge_is_no_staff_action_of_yours(desk, sink):
    """«Работа по обращению начата» went to the merged ticket's customer before the
    merge: the surviving ticket's own customer asking is told of no staff action."""
    mine = desk.ingest_tid(make_mail(sender=GLEB, subject="Не работает поиск"))
    other = desk.ingest_tid(make_mail(sender=HANNA, subject="Поиск не работает"))
    desk.ingest(staff_reply(other, "#take"))
    desk.ingest(staff_reply(other, f"#merge {mine}"))
    desk.flush()
    assert any(m.subject.startswith("Работа по обращению начата") for m in sink.to(HANNA))
    told = status_of(desk, sink, GLEB, mine)
    assert "Сотрудники ещё не отвечали по этому обращению." in told
