"""What customers and staff read about a new ticket, by the regulation, end to end: the
real `maild ingest` and `outbox flush`, a real aiosmtpd relay, reading what reached it.
A confirmation a cap stopped is told to staff (clause 11: a request counts as accepted
only once its sender got the mail with its number)."""

from __future__ import annotations

import re

from tests.helpers import PNG, Desk, make_mail, request_text

STAFF = "anna@example.com"
CUSTOMER = "maria@studio.example"


def _words(text: str) -> str:
    return " ".join(text.split())


def test_staff_are_told_at_the_top_when_a_cap_stopped_the_confirmation(tmp_path, sink):
    """A partner's robot-free flood of real requests (12 in an hour) met the cap on
    automatic mail: the customer got no confirmation of the 11th and 12th, and staff
    read nothing of it in their notice, only a note in the ticket. Now the notice says,
    near its top, that the customer was not sent it and why; the cap still holds."""
    # the desk-wide cap on confirmations on too, far from reached: the customer's cap
    # stopped it, and the notice speaks of that one, not of a wave of forged mail
    caps = {"max_auto_replies_per_hour": 2, "max_confirmations_per_hour": 100}
    desk = Desk(tmp_path, sink.port, support=caps)
    tids = [
        desk.ingest_tid(
            make_mail(sender=f"Мария <{CUSTOMER}>", subject=f"Сайт №{n}", body=request_text(n))
        )
        for n in range(3)
    ]
    assert desk.flush().code == 0

    confirmations = [m.subject for m in sink.to(CUSTOMER)]
    assert len(confirmations) == 2 and f"[TID#{tids[2]}]" not in " ".join(confirmations)
    notices = {tid: [m for m in sink.to(STAFF) if f"[TID#{tid}]" in m.subject] for tid in tids}
    [capped] = notices[tids[2]]
    head = capped.text.split("Уровень:", 1)[0]  # above the level: near the top
    assert "клиенту НЕ отправлено письмо о регистрации обращения" in head, capped.text
    said = _words(head)
    assert f"на адрес {CUSTOMER}: достигнут предел автоматических писем" in said
    assert "(не больше 2 автоматических писем адресу в час)" in said
    assert "ответьте клиенту сами" in said and "волна спама" not in said
    for tid in tids[:2]:  # confirmed: nothing of the kind
        [notice] = notices[tid]
        assert "НЕ отправлено" not in notice.text
    notes = [m["text"] for m in desk.ticket(tids[2])["messages"] if m["kind"] == "note"]
    assert any("«обращение зарегистрировано»" in n for n in notes)  # as before


def test_a_reply_from_a_second_address_keeps_one_prefix_and_is_told_why(tmp_path, sink):
    """A customer answered our confirmation from their personal address: a ticket of
    its own (a stranger must not append to someone else's ticket by copying its TID),
    whose subject doubled ours («Обращение зарегистрировано: Обращение
    зарегистрировано: Ошибка 500»), and whose confirmation did not say why the mail
    did not join the ticket it named."""
    desk = Desk(tmp_path, sink.port)
    first = desk.ingest_tid(make_mail(sender="Иван <ivan@shop.example>", subject="Ошибка 500"))
    assert desk.flush().code == 0
    [confirmation] = sink.to("ivan@shop.example")
    reply = make_mail(
        sender="Иван <ivan.petrov@gmail.example>",
        subject=f"Re: {confirmation.subject}",
        body="Пишу с личной почты: ошибка только в Chrome",
    )
    second = desk.ingest_tid(reply)
    assert second != first and desk.ticket(second)["subject"] == "Ошибка 500"
    assert desk.flush().code == 0

    [told] = sink.to("ivan.petrov@gmail.example")
    assert told.subject == f"Обращение зарегистрировано: Ошибка 500 [TID#{second}]"
    said = _words(told.text)
    assert f"новое обращение, а не добавлено к обращению {first}" in said
    assert "только с адресов его участников" in said
    # and no such words to the ticket's own customer, who wrote in the first place
    assert "не добавлено" not in confirmation.text
    [notice] = [m for m in sink.to(STAFF) if f"[TID#{second}]" in m.subject]
    assert notice.subject.endswith(f": Ошибка 500 [TID#{second}]")
    assert "Обращение зарегистрировано" not in notice.subject


def test_a_tid_nobody_has_gets_the_words_a_real_one_gets(tmp_path, sink):
    """The words on a TID that did not take the mail may not tell whether that ticket
    exists: a stranger could try TIDs by mail. A TID of a real ticket and one of none
    get the same sentence, each naming the TID the subject gave."""
    desk = Desk(tmp_path, sink.port)
    real = desk.ingest_tid(make_mail(sender="ivan@shop.example", subject="Ошибка 500"))
    none = "1234-5678" if real != "1234-5678" else "8765-4321"
    said = {}
    for tid in (real, none):
        desk.ingest_tid(make_mail(sender="olga@other.example", subject=f"Вопрос [TID#{tid}]"))
        assert desk.flush().code == 0
        said[tid] = _words(sink.to("olga@other.example")[-1].text)
    assert all(f"новое обращение, а не добавлено к обращению {t}" in said[t] for t in said)
    found = {t: re.search(r"Ваше письмо зарегистрировано как новое[^.]*\.", said[t]) for t in said}
    assert found[real] and found[none]
    assert found[real][0].replace(real, "X") == found[none][0].replace(none, "X")


def test_an_empty_mail_is_registered_and_asked_for_a_description(tmp_path, sink):
    """A mail with no subject, no text and no file became a ticket whose confirmation
    said nothing of it; clause 2 of the regulation asks for a description of the
    problem. Now the confirmation says, politely, that the mail came empty and asks
    for the description in a reply. A mail with anything in it is not told so."""
    desk = Desk(tmp_path, sink.port)
    mails = {
        "empty@shop.example": make_mail(sender="empty@shop.example", subject="", body=""),
        "subject@shop.example": make_mail(
            sender="subject@shop.example", subject="Помогите", body=""
        ),
        "file@shop.example": make_mail(
            sender="file@shop.example",
            subject="",
            body="",
            attachments=[("shot.png", "image/png", PNG)],
        ),
    }
    tids = {who: desk.ingest_tid(raw) for who, raw in mails.items()}
    assert desk.flush().code == 0

    [told] = sink.to("empty@shop.example")
    assert (
        told.subject == f"Обращение зарегистрировано: (без темы) [TID#{tids['empty@shop.example']}]"
    )
    said = _words(told.text)
    assert "Ваше письмо пришло пустым: в нём нет ни темы, ни текста, ни вложений." in said
    assert "опишите проблему в ответе на это письмо" in said
    assert said.index("пришло пустым") < said.index("сохраняйте в теме письма метку")
    for who in ("subject@shop.example", "file@shop.example"):
        [other] = sink.to(who)
        assert "пустым" not in other.text, who


def test_a_refusal_never_wraps_a_number_from_its_unit_nor_a_file_from_its_name(tmp_path, sink):
    """The confirmation wraps each refusal at 76 characters, at spaces: «допустимо не
    более 1» ended one line and «МБ на одно вложение» began the next, and «файл» was
    torn from «p2.png». A no-break space joins them (the wrapping breaks at ASCII
    spaces only), in the confirmation and in the ticket's record alike."""
    limits = {"max_attachment_bytes": 1024 * 1024, "max_message_bytes": 2621440}
    desk = Desk(tmp_path, sink.port, attachments=limits)
    parts = [("shot.png", "image/png", PNG + b"\0" * (1536 * 1024))] + [
        (f"p{n}.png", "image/png", PNG + b"\0" * (900 * 1024))
        for n in range(3)  # one over the total: alone, its line names it
    ]
    tid = desk.ingest_tid(make_mail(subject="Скриншоты", attachments=parts))
    assert desk.flush().code == 0

    [told] = sink.to("ivan@shop-example.ru")
    text = told.text.replace("\r\n", "\n")
    refusals = text.split("Некоторые вложения не приняты:", 1)[1].split("\n\n", 1)[0]
    lines = [line.rstrip() for line in refusals.splitlines()]
    for line in lines:
        assert not line[-1:].isdigit(), refusals  # a number ends no line
        assert not line.lower().endswith(("файл", "архив")), refusals
    assert any(line.endswith("не более") for line in lines), refusals  # it does wrap
    assert "Файл\u00a0«shot.png» слишком велик (1,5\u00a0МБ)" in refusals
    assert "не более\n    1\u00a0МБ на одно вложение" in refusals
    assert "(2,5\u00a0МБ): файл\u00a0«p2.png» не принят" in re.sub(
        "[ \n]+", " ", refusals
    )  # (split() splits at U+00A0 too)
    [shot] = [
        a for a in desk.ticket(tid)["messages"][0]["attachments"] if a["filename"] == "shot.png"
    ]
    assert "допустимо не более 1\u00a0МБ" in shot["reason"]


def test_control_characters_in_a_text_are_dropped_not_stored_six_times_over(tmp_path, sink):
    """A text full of NUL and other C0 controls (a binary log pasted as text): each was
    kept as a six-byte escape in the ticket's JSON, so a 30 MB mail made a ticket of
    180 MB, and every later message of it cost a gigabyte of memory. They show as
    nothing anywhere; the text keeps its words, tabs and lines."""
    desk = Desk(tmp_path, sink.port)
    body = "Ошибка при оплате:\n\tкод\x1b[31m 500\x07\n" + "\x00" * 300_000 + "конец"
    raw = make_mail(body=body).replace(
        b"Content-Transfer-Encoding: 8bit", b"Content-Transfer-Encoding: binary"
    )
    tid = desk.ingest_tid(raw)
    [first] = [m for m in desk.ticket(tid)["messages"] if m["direction"] == "in"]
    assert first["text"].strip() == "Ошибка при оплате:\n\tкод[31m 500\nконец"
    [path] = (tmp_path / "data" / "tickets").rglob(f"{tid}.json")
    assert path.stat().st_size < 100_000
