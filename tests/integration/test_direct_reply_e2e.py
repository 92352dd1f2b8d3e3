"""Staff mail the customer got directly (domain/direct.py), end to end: `maild
ingest`, `maild outbox flush`, a relay that counts what each person got.

Anna answers the notice "reply all" with Ivan in Cc: her mail system delivers him
her mail, maild gets its own copy. He got one copy before maild sent him its relay
of the same answer, and Anna was told nothing. Nor when Ivan wrote to support@ with
Anna in Cc and she answered him "reply all" (To: Ivan, Cc: support@): maild told her
«клиенту ничего не отправлено» and to answer the notice, which sent him the answer a
second time."""

from __future__ import annotations

from tests.helpers import Desk, make_mail, staff_reply

IVAN = "ivan@shop-example.ru"
OLGA = "olga@shop-example.ru"
ANNA = "anna@example.com"
SUPPORT = "support@example.com"
QUOTE = "\n\n25.11.2026 10:00, Служба поддержки пишет:\n> Новое обращение\n> Уровень: бесплатная"


def opened(desk: Desk, sink, **kw) -> str:
    """Ivan's ticket, its confirmation and the staff notices sent."""
    tid = desk.ingest_tid(make_mail(**kw))
    desk.flush()
    sink.wait_for(3)  # the confirmation, Anna's and Boris's notices
    return tid


def got(sink, before: dict[str, int], who: str) -> list:
    """What ``who`` got since ``before`` (counts by person)."""
    return sink.to(who)[before[who] :]


def counts(sink) -> dict[str, int]:
    return {who: len(sink.to(who)) for who in (IVAN, ANNA, OLGA)}


def test_an_answer_with_the_customer_in_cc_reaches_him_once_and_is_the_answer(desk, sink):
    tid = opened(desk, sink)
    before = counts(sink)
    answer = "Иван, здравствуйте.\nОчистите кэш браузера." + QUOTE
    desk.ingest(staff_reply(tid, answer, headers={"Cc": f"Иван Петров <{IVAN}>"}))
    desk.flush()
    assert got(sink, before, IVAN) == []  # his mail system gave him hers: no second copy
    [told] = got(sink, before, ANNA)
    assert told.subject.startswith("Клиент получил ваше письмо напрямую")
    assert told.subject.endswith(f"[TID#{tid}]")
    text = " ".join(told.text.split())
    assert IVAN in text and "вместе с цитатой" in text and "не добавляя клиента в копию" in text
    ticket = desk.ticket(tid)
    [answer] = [m for m in ticket["messages"] if m["kind"] == "staff"]
    assert answer["direction"] == "out" and "Очистите кэш браузера." in answer["text"]
    assert ticket["first_reaction_at"]
    # her next answer in the same way: Ivan gets no copy, she is not told again
    before = counts(sink)
    desk.ingest(staff_reply(tid, "Ещё: перезапустите браузер.", headers={"Cc": IVAN}))
    desk.flush()
    assert got(sink, before, IVAN) == [] and got(sink, before, ANNA) == []


def test_its_close_sends_the_customer_the_closing_notice_alone(desk, sink):
    tid = opened(desk, sink)
    before = counts(sink)
    desk.ingest(staff_reply(tid, "Исправлено, проверьте.\n#close" + QUOTE, headers={"Cc": IVAN}))
    desk.flush()
    [closing] = got(sink, before, IVAN)
    assert closing.subject.startswith("Обращение закрыто") and "Исправлено" not in closing.text
    assert desk.ticket(tid)["status"] == "closed"
    [told] = got(sink, before, ANNA)
    assert "Уведомления о выполненных командах maild отправил клиенту отдельно" in " ".join(
        told.text.split()
    )


def test_a_note_with_the_customer_in_cc_stays_a_note_and_anna_is_told_he_read_it(desk, sink):
    tid = opened(desk, sink)
    before = counts(sink)
    desk.ingest(staff_reply(tid, "#note\nКлиент сложный, дайте VIP.", headers={"Cc": IVAN}))
    desk.flush()
    assert got(sink, before, IVAN) == []
    [told] = got(sink, before, ANNA)
    assert "Заметка по обращению" in told.text and "осталась заметкой" in told.text
    ticket = desk.ticket(tid)
    [note] = [m for m in ticket["messages"] if "Клиент сложный" in (m["text"] or "")]
    assert note["kind"] == "note" and not ticket["first_reaction_at"]


def test_a_reply_all_to_the_customers_mail_is_told_as_his_and_close_ends_it(desk, sink):
    """Ivan wrote to support@ with Anna in Cc; her "reply all" (To: Ivan, Cc: support@)
    is not verified: a note, not the answer. She is told he has it already and that a
    reply to that notice with «#close» closes the ticket; done so, Ivan gets the closing
    notice alone, never her answer again."""
    tid = opened(desk, sink, headers={"Cc": f"Анна <{ANNA}>"})
    before = counts(sink)
    desk.ingest(
        make_mail(
            sender=f"Анна Смирнова <{ANNA}>",
            to=f"Иван Петров <{IVAN}>",
            subject=f"Re: Не работает оформление заказа [TID#{tid}]",
            body="Иван, сбросьте пароль по ссылке «Забыли пароль».",
            headers={"Cc": SUPPORT},
        )
    )
    desk.flush()
    assert got(sink, before, IVAN) == []
    [told] = got(sink, before, ANNA)
    text = " ".join(told.text.split())
    assert "клиент уже получил напрямую: вы указали его среди получателей" in text
    assert IVAN in text and "«#close»" in text and "клиенту ничего не отправлено" not in text
    ticket = desk.ticket(tid)
    assert ticket["status"] == "new" and not ticket["first_reaction_at"]
    # she answers that notice with #close: the ticket closes, Ivan gets its notice alone
    reply_to = told.msg["Reply-To"].addresses[0].addr_spec
    before = counts(sink)
    desk.ingest(staff_reply(tid, "#close", to=reply_to))
    desk.flush()
    [closing] = got(sink, before, IVAN)
    assert closing.subject.startswith("Обращение закрыто") and "сбросьте" not in closing.text
    assert desk.ticket(tid)["status"] == "closed" and desk.ticket(tid)["first_reaction_at"]


def test_a_participant_not_in_cc_gets_the_answer_relayed(desk, sink):
    """Olga, in the ticket by #cc, was not in Anna's Cc: maild sends her the answer;
    Ivan, in it, has it already."""
    tid = opened(desk, sink)
    desk.ingest(staff_reply(tid, f"#cc {OLGA}"))
    desk.flush()
    before = counts(sink)
    desk.ingest(staff_reply(tid, "Очистите кэш браузера.", headers={"Cc": IVAN}))
    desk.flush()
    assert got(sink, before, IVAN) == []
    [relayed] = got(sink, before, OLGA)
    assert "Очистите кэш браузера." in relayed.text and relayed.msg["To"]


def test_a_saved_answer_with_the_customer_in_cc_reaches_him_from_maild(desk, sink):
    """His copy from Anna's mail system holds the line «#answer request_info», not the
    saved answer: maild's answer, with it, goes to him as well (it went to no one)."""
    tid = opened(desk, sink)
    before = counts(sink)
    text = "Иван, здравствуйте.\n#answer request_info" + QUOTE
    desk.ingest(staff_reply(tid, text, headers={"Cc": IVAN}))
    desk.flush()
    [answer] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "staff"]
    assert "чтобы мы могли быстрее" in answer["text"] and desk.ticket(tid)["first_reaction_at"]
    [mail] = got(sink, before, IVAN)
    assert "чтобы мы могли быстрее" in mail.text
    [told] = [m for m in got(sink, before, ANNA) if m.subject.startswith("Клиент получил")]
    assert "maild отправил клиенту и своё письмо" in " ".join(told.text.split())


def test_a_stopped_reply_with_the_customer_in_cc_says_he_has_it(desk, sink):
    """A reply with Ivan in Cc that stops (a mistyped command, a bare BMP): he has it
    from Anna's mail system; the error mail said «Клиенту ничего не отправлено» and to
    send the answer again, which he would get twice."""
    from tests.unit.test_attachments import bmp_bytes

    tid = opened(desk, sink)
    for n, (text, files) in enumerate(
        [
            ("Иван, см. ниже.\n#levle vip", []),
            ("Иван, см. снимок.", [("s.bmp", "image/bmp", bmp_bytes())]),
        ]
    ):
        before = counts(sink)
        desk.ingest(staff_reply(tid, text + QUOTE, headers={"Cc": IVAN}, attachments=files))
        desk.flush()
        assert got(sink, before, IVAN) == []
        [told] = got(sink, before, "anna@example.com")
        said = " ".join(told.text.split())
        assert "ваше письмо клиент уже получил напрямую" in said, said
        assert "Клиенту ничего не отправлено" not in said
        assert "не добавляя клиента в копию" in said, n


def test_files_alone_the_customer_got_directly_are_told_as_no_answer(desk, sink):
    """A manual sent with Ivan in Cc and no text: he has it from Anna's mail system,
    the ticket does not count it as the answer; she was told only «maild это письмо
    клиенту не пересылал», nothing of the deadline that runs."""
    tid = opened(desk, sink)
    before = counts(sink)
    pdf = [("manual.pdf", "application/pdf", b"%PDF-1.4 manual\n%%EOF\n")]
    desk.ingest(staff_reply(tid, QUOTE.strip(), headers={"Cc": IVAN}, attachments=pdf))
    desk.flush()
    assert got(sink, before, IVAN) == [] and not desk.ticket(tid)["first_reaction_at"]
    [told] = got(sink, before, ANNA)  # one mail: not a second «Клиент получил ... напрямую»
    assert told.subject.startswith("Ответ клиенту не")
    said = " ".join(told.text.split())
    assert "Клиент получил ваше письмо напрямую" in said and "manual.pdf" in said, said
    assert "не учтено как ответ: срок реакции идёт" in said


def test_an_answer_typed_in_the_quote_the_customer_got_directly_is_told_in_one_mail(desk, sink):
    """Anna typed her answer inside the quote, Ivan in Cc: he has her mail as written,
    maild sent him nothing of it. She got two mails about one reply: «Ответ клиенту не
    отправлен» and «Клиент получил ваше письмо напрямую». One says both."""
    tid = opened(desk, sink)
    before = counts(sink)
    inside = QUOTE.strip() + "\n> Иван, очистите кэш браузера и повторите оплату."
    desk.ingest(staff_reply(tid, inside, headers={"Cc": IVAN}))
    desk.flush()
    assert got(sink, before, IVAN) == [] and not desk.ticket(tid)["first_reaction_at"]
    [told] = got(sink, before, ANNA)
    assert told.subject.startswith("Ответ клиенту не отправлен"), told.subject
    said = " ".join(told.text.split())
    assert "внутри цитаты" in said and "Клиент получил ваше письмо напрямую" in said, said
    assert "вместе с цитатой" in said and "не добавляя клиента в копию" in said, said
    # her next answer with Ivan in Cc, above the quote: now she learns what «directly» means
    before = counts(sink)
    desk.ingest(staff_reply(tid, "Иван, очистите кэш." + QUOTE, headers={"Cc": IVAN}))
    desk.flush()
    [told] = got(sink, before, ANNA)
    assert told.subject.startswith("Клиент получил ваше письмо напрямую"), told.subject
