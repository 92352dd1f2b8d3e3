"""Outlook's own shapes, end to end through `maild ingest` and a real relay (the sink):
the customer's follow-up quoting the whole thread under the new text (its staff
notice shows what the site shows), its plain text of links («URL<URL>»), and the lines
of its quote header that show only now and then («Важность: Высокая»).

The mails are built as Outlook desktop writes them (the audit's samples, made from
the mail each one answers): multipart/alternative of plain text and Word's HTML
(MsoNormal paragraphs, the header block under a border), the original unquoted under
«От:/Отправлено:/Кому:/Тема:», pasted pictures as files."""

from __future__ import annotations

import email.utils
import html
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from tests.helpers import PNG, Desk, make_mail, staff_to
from tests.integration.test_mail_clients_e2e import (
    CLIENTS,
    INLINE,
    NEWS,
    STAFF_ANSWER,
    _unquoted,
    mime,
)
from tests.integration.test_staff_e2e import customer_mails, open_ticket

CUSTOMER = "ivan@shop-example.ru"
ANNA = "anna@example.com"
# the customer's text in a notice: «текст обращения» of a new ticket, «текст письма»
STARTS, END = (
    ("----- текст обращения -----", "----- текст письма -----"),
    "----- конец текста -----",
)
CUT = "Цитата прежней переписки под письмом клиента здесь не показана"


def mso(lines: list[str]) -> str:
    return "".join(
        f"<p class=MsoNormal>{html.escape(s) or '<o:p>&nbsp;</o:p>'}<o:p></o:p></p>" for s in lines
    )


def outlook(
    sender: str,
    to: str,
    subject: str,
    top: list[str],
    head: list[tuple[str, str]],
    original: list[str],
    *,
    answers: str | None = None,
    files: list[tuple[str, bytes]] = (),
) -> bytes:
    """Outlook desktop's reply: ``top`` typed, then the header ``head`` ((label, value)
    lines) and the ``original`` unquoted under it; plain and HTML alternatives, and
    ``files`` (PNGs) beside them."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Date"] = "Fri, 04 Dec 2026 14:00:00 +0300"
    m["Message-ID"] = email.utils.make_msgid(domain="shop-example.ru")
    m["Thread-Index"] = "AdplJ2m4dJ9s0Yl5S6u7p8q9r0s1tA=="
    if answers:
        m["In-Reply-To"] = m["References"] = answers
    plain_head = [f"{k}: {v}" for k, v in head]
    m.set_content("\n".join([*top, "", *plain_head, "", *original]) + "\n")
    block = "<br>".join(f"<b>{k}:</b> {html.escape(v)}" for k, v in head)
    m.add_alternative(
        "<html><body lang=RU><div class=WordSection1>"
        f"{mso(top)}<div style='border:none;border-top:solid #E1E1E1 1.0pt;"
        f"padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal>{block}</p></div>"
        f"{mso(['', *original])}</div></body></html>",
        subtype="html",
    )
    for name, data in files:
        m.add_attachment(data, maintype="image", subtype="png", filename=name)
    return m.as_bytes(policy=SMTP)


def ru_head(sender: str, to: str, subject: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    head = [("От", sender), ("Отправлено", "пятница, 4 декабря 2026 г. 12:31"), ("Кому", to)]
    return [*head, ("Тема", subject), *extra]


def between_markers(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, s in enumerate(lines) if s in STARTS)
    return lines[start + 1 : lines.index(END)]


def staff_answer(desk: Desk, sink, tid: str, lines: list[str]):
    """Anna answers (plain text, to the notice's Reply-To); the mail the customer got."""
    raw = make_mail(
        sender=f"Анна <{ANNA}>", to=staff_to(tid), subject=f"Re: [TID#{tid}]",
        body="\n".join(lines) + "\n",
    )  # fmt: skip
    desk.ingest(raw)
    desk.flush()
    return [r for r in customer_mails(sink) if lines[0] in r.text][-1]


def customer_reply(answer, top: list[str], **kw) -> bytes:
    """The customer answers ``answer`` from Outlook: ``top`` over the whole of it."""
    subject = f"RE: {answer.subject}"
    head = ru_head(str(answer.msg["From"]), CUSTOMER, answer.subject)
    return outlook(
        f"Иван Петров <{CUSTOMER}>", str(answer.msg["Reply-To"]), subject, top, head,
        answer.text.splitlines(), answers=answer.msg["Message-ID"], **kw,
    )  # fmt: skip


def last_notice(sink, since: int) -> object:
    [notice] = [r for r in sink.to(ANNA)[since:] if "[TID#" in r.subject]
    return notice


def test_the_notice_of_an_outlook_followup_shows_the_new_text_once(desk: Desk, sink):
    """The customer answers the closing answer from Outlook with a new screenshot: the
    staff notice repeated under the new text support's answer, the rating request, the
    reminder to change passwords and the signature. It shows the new text (as the site
    does) and says the rest is in the ticket; the ticket keeps the mail whole."""
    tid, _ = open_ticket(desk, sink, body="Ошибка оплаты, скриншот во вложении.")
    answer = staff_answer(
        desk, sink, tid, ["Иван, добрый день.", "", "Укажите ключ в настройках оплаты.", "#close"]
    )
    assert "оцените работу" in answer.text  # the closing folded under the answer
    new = ["Не помогло, ключ указан. Вот новый скриншот.", "", "Иван"]
    seen = len(sink.to(ANNA))
    desk.ingest(customer_reply(answer, new, files=[("image001.png", PNG)]))
    desk.flush()
    notice = last_notice(sink, seen)
    assert notice.subject.startswith("Обращение открыто снова")
    assert between_markers(notice.text) == new, notice.text
    for quoted in ("Укажите ключ", "оцените работу", "данные доступа", "Отправлено:"):
        assert quoted not in notice.text, notice.text
    assert CUT in notice.text and f"maild ticket show {tid}" in notice.text
    assert [p.get_filename() for p in notice.msg.iter_attachments()] == ["image001.png"]
    [kept] = [m for m in desk.ticket(tid)["messages"][2:] if m["kind"] == "customer"]
    assert "оцените работу" in kept["text"] and "Укажите ключ" in kept["text"]


@pytest.mark.parametrize("client", CLIENTS)
def test_the_notice_of_a_followup_from_each_client_leaves_its_quote_out(
    desk: Desk, sink, client: str
):
    """Whatever client quotes the answer, the notice shows what the customer wrote, and
    all of it; the answer they quoted stands in the ticket (and under it, kept as the
    site keeps it, when they answered between its lines)."""
    tid, _ = open_ticket(desk, sink, body="Не работает оплата.")
    answer = staff_answer(desk, sink, tid, [*STAFF_ANSWER, "", "-- ", "Анна Смирнова"])
    name, address = email.utils.parseaddr(str(answer.msg["From"]))
    plain, rich = CLIENTS[client](answer.text.splitlines(), name, address, NEWS)
    seen = len(sink.to(ANNA))
    raw = mime(f"Иван Петров <{CUSTOMER}>", str(answer.msg["Reply-To"]),
               f"Re: {answer.subject}", plain=plain, html_body=rich)  # fmt: skip
    desk.ingest(raw)
    desk.flush()
    notice = last_notice(sink, seen)
    shown = between_markers(notice.text)
    assert all(any(s in line for line in shown) for s in NEWS), notice.text
    repeated = [s for s in shown if _unquoted(s) == STAFF_ANSWER[1]]
    assert len(repeated) == (1 if client in INLINE else 0), notice.text
    assert (CUT in notice.text) == (client not in INLINE)


# Anna's questions, and what the customer typed under each inside Outlook's quote.
QUESTIONS = [
    "Подскажите, пожалуйста:",
    "1. Вы обновляли модуль оплаты? Если да, то до какой версии?",
    "2. Ошибка появляется у всех покупателей или нет?",
    "3. Какая версия PHP на сервере?",
]
ANSWERS = {QUESTIONS[1]: "Да", QUESTIONS[2]: "Нет"}


def answered_inline(original: list[str]) -> list[str]:
    """``original`` with the customer's answer typed under each question."""
    return [t for s in original for t in ([s, ANSWERS[s]] if s in ANSWERS else [s])]


def test_answers_typed_inside_outlooks_quote_show_in_the_notice(desk: Desk, sink):
    """Anna asks questions; the customer answers «Да» and «Нет» under two of them,
    inside Outlook's unquoted original. The notice showed «Ответы ниже, в тексте.»
    alone and said the rest was quoted history: «да» and «нет» are words of the
    thread (of the questions themselves), so the lines were taken for quoted. A short
    line no mail of the thread holds as a line is the customer's: the mail shows whole,
    and says nothing was left out."""
    tid, _ = open_ticket(desk, sink, body="Здравствуйте! При оплате картой ошибка 500.")
    answer = staff_answer(desk, sink, tid, ["Иван, добрый день.", "", *QUESTIONS, "", "Анна"])
    head = ru_head(str(answer.msg["From"]), CUSTOMER, answer.subject)
    top = ["Ответы ниже, в тексте."]
    raw = outlook(f"Иван Петров <{CUSTOMER}>", str(answer.msg["Reply-To"]),
                  f"RE: {answer.subject}", top, head, answered_inline(answer.text.splitlines()),
                  answers=answer.msg["Message-ID"])  # fmt: skip
    seen = len(sink.to(ANNA))
    desk.ingest(raw)
    desk.flush()
    notice = last_notice(sink, seen)
    shown = between_markers(notice.text)
    assert shown[0] == top[0] and CUT not in notice.text, notice.text
    for question, typed in ANSWERS.items():
        assert shown[shown.index(question) + 1] == typed, notice.text


def test_a_forward_stays_whole_in_the_notices(desk: Desk, sink):
    """A customer forwarding the error mail they got (Outlook: «FW:», the original under
    «От:/Отправлено:») opens a ticket with it, or adds it to one: content, not a quote,
    whole in the notice either way."""
    error = ["Уважаемый покупатель, оплата заказа 10234 не прошла: код ошибки 0x80070005."]
    head = ru_head("AdVantShop <noreply@shop.ru>", f"Петров Иван <{CUSTOMER}>", "Ошибка оплаты")
    raw = outlook(f"Иван Петров <{CUSTOMER}>", "support@example.com", "FW: Ошибка оплаты",
                  ["Посмотрите, пожалуйста."], head, error)  # fmt: skip
    tid = desk.ingest_tid(raw)
    desk.flush()
    [new] = [r for r in sink.to(ANNA) if tid in r.subject]
    shown = between_markers(new.text)
    assert "Посмотрите, пожалуйста." in shown and error[0] in shown and CUT not in new.text
    assert "От: AdVantShop <noreply@shop.ru>" in shown
    # another error mail, forwarded into the ticket: none of it is in the thread
    seen, other = len(sink.to(ANNA)), ["Возврат по заказу 10234 отклонён банком."]
    again = outlook(f"Иван Петров <{CUSTOMER}>", "support@example.com",
                    f"FW: Возврат [TID#{tid}]", ["И ещё одна."], head, other)  # fmt: skip
    desk.ingest(again)
    desk.flush()
    notice = last_notice(sink, seen)
    shown = between_markers(notice.text)
    assert "И ещё одна." in shown and other[0] in shown and CUT not in notice.text, shown


def test_outlooks_plain_text_of_a_link_reaches_the_customer_once(desk: Desk, sink):
    """Outlook's plain alternative writes a link as «text<target>»: a URL pasted into
    the answer went to the customer twice in a row, an address with «<mailto:...>».
    One of each goes; a link whose text is words keeps both."""
    tid, notice = open_ticket(desk, sink, body="Где инструкция?")
    url = "https://docs.example.com/pay"
    top = [
        "Иван, добрый день.",
        f"Инструкция: {url}<{url}>",
        "Бухгалтерия: buh@shop-example.ru<mailto:buh@shop-example.ru>",
        "Подробнее<https://docs.example.com/faq>",
        "",
        "Анна",
    ]
    head = ru_head(f"Служба поддержки <{staff_to(tid)}>", f"Анна <{ANNA}>", notice.subject)
    raw = outlook(f"Анна Смирнова <{ANNA}>", staff_to(tid), f"RE: {notice.subject}", top,
                  head, notice.text.splitlines(), answers=notice.msg["Message-ID"])  # fmt: skip
    desk.ingest(raw)
    desk.flush()
    [got] = [r for r in customer_mails(sink) if "Иван, добрый день." in r.text]
    lines = got.text.splitlines()
    assert lines[:4] == [
        "Иван, добрый день.",
        f"Инструкция: {url}",
        "Бухгалтерия: buh@shop-example.ru",
        "Подробнее<https://docs.example.com/faq>",
    ], got.text
    [stored] = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "staff"]
    assert f"{url}<" not in stored and "<mailto:" not in stored


@pytest.mark.parametrize(
    "extra",
    [
        ("Важность", "Высокая"),
        ("Вложения", "Снимок экрана.png"),
        ("Категории", "Красная категория"),
        ("Importance", "High"),
        ("Attachments", "screenshot.png"),
        ("Categories", "Red Category"),
    ],
)
def test_an_answer_over_any_line_of_outlooks_quote_header_is_sent(
    desk: Desk, sink, extra: tuple[str, str]
):
    """«Важность: Высокая» under Outlook's «Тема:» (the notice answered was marked
    important) was taken as text typed inside the quote: «#close» ran, the customer got
    a bare «Обращение закрыто» and Anna «Ответ клиенту не отправлен». Any line of the
    header, in either language, is the header's: the answer goes with the closing."""
    tid, notice = open_ticket(desk, sink, body="Ошибка оплаты.")
    answer = ["Иван, добрый день.", "", "Укажите ключ в настройках оплаты.", "", "#close"]
    head = ru_head(f"Служба поддержки <{staff_to(tid)}>", f"Анна <{ANNA}>", notice.subject, extra)
    seen = len(sink.to(ANNA))
    raw = outlook(f"Анна Смирнова <{ANNA}>", staff_to(tid), f"RE: {notice.subject}",
                  [*answer, "", "Анна"], head, notice.text.splitlines(),
                  answers=notice.msg["Message-ID"])  # fmt: skip
    desk.ingest(raw)
    desk.flush()
    assert desk.ticket(tid)["status"] == "closed"
    [got] = [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]
    assert "Укажите ключ в настройках оплаты." in got.text, got.text
    assert "завершена, обращение закрыто" in got.text and "Тема:" not in got.text
    assert [r.subject for r in sink.to(ANNA)[seen:]] == []  # nothing refused, nothing lost
