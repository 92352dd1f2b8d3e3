"""Command lines as the clients staff use write them in the plain text maild reads:
Outlook's link of an address typed after #cc / #assign, Gmail's bold of a command
line, a format=flowed soft break over a command. Each ran nothing: the reply stopped,
or the line went to the customer as text. Real CLI, real sink, real ticket files."""

from __future__ import annotations

import email.policy
import email.utils
from email.message import EmailMessage

import pytest

from tests.helpers import Desk, staff_to
from tests.integration.test_staff_e2e import customer_mails, open_ticket

ANNA = "Анна Смирнова <anna@example.com>"


def reply(tid: str, notice, plain: str, html: str | None = None, flowed: bool = False) -> bytes:
    """Anna's reply to the notice: plain text (format=flowed if ``flowed``), with the
    HTML beside it if given, as Outlook and Gmail send it."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = ANNA, staff_to(tid), f"RE: {notice.subject}"
    m["Message-ID"] = email.utils.make_msgid(domain="client.example")
    m["In-Reply-To"] = m["References"] = notice.msg["Message-ID"]
    m.set_content(plain, params={"format": "flowed"} if flowed else {})
    if html is not None:
        m.add_alternative(html, subtype="html")
    return m.as_bytes(policy=email.policy.SMTP)


def answers(sink) -> list:
    return [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]


@pytest.mark.parametrize(
    ("command", "address"), [("#cc", "buh@shop-example.ru"), ("#assign", "boris@example.com")]
)
def test_an_address_outlook_made_a_link_runs(desk: Desk, sink, command: str, address: str):
    """Outlook (HTML, its default) makes the address a link; its plain text reads
    «#cc buh@…<mailto:buh@…>», which stopped the whole reply as «в строке несколько
    адресов» naming the same address twice."""
    tid, notice = open_ticket(desk, sink)
    plain = f"Иван, добавила.\r\n{command} {address}<mailto:{address}>\r\n"
    html = (
        "<html><body><div class=WordSection1><p class=MsoNormal>Иван, добавила.</p>"
        f'<p class=MsoNormal>{command} <a href="mailto:{address}">{address}</a></p>'
        "</div></body></html>"
    )
    desk.ingest(reply(tid, notice, plain, html))
    desk.flush()
    assert not [r for r in sink.to("anna@example.com") if "Команды не выполнены" in r.subject]
    [answer] = answers(sink)
    assert "Иван, добавила." in answer.text and "mailto" not in answer.text
    ticket = desk.ticket(tid)
    if command == "#cc":
        assert address in ticket["participants"]
    else:
        assert ticket["assignee"] == address


@pytest.mark.parametrize("typed", ["*#close*", "/#close/", "_#close_"])
def test_a_command_line_made_bold_runs(desk: Desk, sink, typed: str):
    """Gmail writes <b>#close</b> as «*#close*» in its plain text (Thunderbird «/…/»
    for italic, «_…_» underlined): the line went to the customer, the ticket stayed
    open, and the staff member heard nothing."""
    tid, notice = open_ticket(desk, sink)
    html = '<div dir="ltr">Иван, ответ.<div><b>#close</b></div></div>'
    desk.ingest(reply(tid, notice, f"Иван, ответ.\n{typed}\n", html))
    desk.flush()
    [answer] = answers(sink)
    assert "Иван, ответ." in answer.text and "#close" not in answer.text
    assert desk.ticket(tid)["status"] == "closed"


def test_a_flowed_soft_break_over_a_command_keeps_it_a_line(desk: Desk, sink):
    """A space typed at a line's end is a soft break in format=flowed: «… версии 7.1. »
    and «#close» joined into one line of prose that went to the customer."""
    tid, notice = open_ticket(desk, sink)
    text = "Иван, обновите модуль до версии 7.1. \n#close\n"
    desk.ingest(reply(tid, notice, text, flowed=True))
    desk.flush()
    [answer] = answers(sink)
    assert "Иван, обновите модуль до версии 7.1." in answer.text
    assert "#close" not in answer.text
    assert desk.ticket(tid)["status"] == "closed"


def test_a_bold_note_under_a_flowed_soft_break_stays_internal(desk: Desk, sink):
    """Thunderbird's plain text of an HTML reply: «… пиратская. » (a space at its end,
    format=flowed) over «*#note*» (bold): flowed text joined them before the command
    was read, and the note went to the customer as the answer."""
    tid, notice = open_ticket(desk, sink)
    plain = "Клиент грубит, лицензия пиратская. \n*#note*\n"
    html = "<div>Клиент грубит, лицензия пиратская. </div><div><b>#note</b></div>"
    desk.ingest(reply(tid, notice, plain, html, flowed=True))
    desk.flush()
    assert not [a for a in answers(sink) if "пиратская" in a.text]
    [note] = [m for m in desk.ticket(tid)["messages"] if "пиратская" in (m["text"] or "")]
    assert note["kind"] == "note"


@pytest.mark.parametrize("quoted", ["> #take\r\n", "> #take\r\n> #level VIP\r\n"])
def test_a_command_quoted_from_her_own_earlier_reply_is_no_line_typed(desk: Desk, sink, quoted):
    """Thunderbird's Reply on her own sent answer quotes it, command lines and all
    («> #take»): those are commands the ticket ran, not lines she typed inside the
    quote now. «> #level VIP» held her new answer back («Ответ клиенту не отправлен»),
    and «> #take» alone let it go with «Ответ отправлен без строк из цитаты: #take»,
    as if the customer had missed a line of hers."""
    tid, notice = open_ticket(desk, sink)
    desk.ingest(reply(tid, notice, "#take\r\n#level vip\r\nСмотрю, ответ будет сегодня.\r\n"))
    desk.flush()
    again = (
        "Ещё одно: обновите модуль.\r\n\r\n07.12.2026 10:05, Анна Смирнова пишет:\r\n"
        f"{quoted}> Смотрю, ответ будет сегодня.\r\n"
    )
    desk.ingest(reply(tid, notice, again))
    desk.flush()
    assert "Ещё одно: обновите модуль." in answers(sink)[-1].text
    told = [r.subject for r in sink.to("anna@example.com")]
    assert told == [notice.subject]  # the new ticket's notice, nothing since


@pytest.mark.parametrize(
    "mark",
    [
        "-------- Пересланное сообщение --------",  # Thunderbird
        "---------- Forwarded message ---------",  # Gmail
        "Begin forwarded message:",  # Apple Mail
    ],
)
def test_a_command_inside_a_mail_she_forwards_does_not_run(desk: Desk, sink, mark: str):
    """A forwarded mail is its writer's, not hers: its «#close» closed the ticket and
    sent the customer the closing, as Outlook's forward under «От:/Отправлено:» never
    did (a command in the quote: the reply stops, and she is told the line)."""
    tid, notice = open_ticket(desk, sink)
    text = (
        "Иван, передаю ответ разработчиков.\r\n\r\n"
        f"{mark}\r\nТема: Re: ошибка 500\r\nДата: Mon, 7 Dec 2026 09:00:00 +0300\r\n"
        "От: Борис <boris@example.com>\r\nКому: dev@example.com\r\n\r\n"
        "#close\r\nИсправлено в 7.1.\r\n"
    )
    desk.ingest(reply(tid, notice, text))
    desk.flush()
    assert desk.ticket(tid)["status"] != "closed"
    assert answers(sink) == []
    [error] = [r for r in sink.to("anna@example.com") if "Команды не выполнены" in r.subject]
    assert "#close не выполнена" in error.text
