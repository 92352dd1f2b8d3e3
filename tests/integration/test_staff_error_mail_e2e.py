"""The mail that tells a staff member their reply was stopped says what happened and
gives their text back. A bare BMP attached to an answer came back as «Команды не
выполнены» (a reply with no command) with the customer's «упакуйте файл архиватором и
пришлите снова», naming no file; and neither that mail nor a command error quoted
what the staff member wrote, so a webmail user had to find it and type it again.
Real CLI (`maild ingest`), real relay."""

from __future__ import annotations

import email.policy
import email.utils
from email.message import EmailMessage

from tests.helpers import PNG, Desk, staff_to
from tests.integration.test_staff_e2e import customer_mails, open_ticket
from tests.unit.test_attachments import bmp_bytes

ANNA = "Анна Смирнова <anna@example.com>"
ANSWER = ["Иван, здравствуйте.", "Снимок настройки шлюза во вложении: проверьте поле KZT."]
BMP = bmp_bytes()
NOTICE_LINES = ("Уровень:", "Реакция не позднее", "#close (#закрыть)")


def reply(to: str, subject: str, lines: list[str], files=(), html: str | None = None) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = ANNA, to, subject
    m["Message-ID"] = email.utils.make_msgid(domain="client.example")
    m.set_content("\n".join(lines) + "\n")
    if html is not None:
        m.add_alternative(html, subtype="html")
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype, subtype, filename=name)
    return m.as_bytes(policy=email.policy.SMTP)


def quoted(text: str) -> list[str]:
    return [f"> {s}".rstrip() for s in text.splitlines()]


def told(sink, before: int) -> list:
    return [r for r in sink.received[before:] if r.rcpt_tos == ["anna@example.com"]]


def own_block(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index("----- ваше письмо -----")
    return [s.rstrip() for s in lines[start + 1 : lines.index("----- конец письма -----", start)]]


def test_a_bare_bmp_stops_the_answer_and_says_which_file_and_what_to_do(desk: Desk, sink):
    tid, notice = open_ticket(desk, sink)
    before = len(sink.received)
    subject = f"Re: {notice.subject}"
    body = [*ANSWER, "", "-- ", "Анна", "", *quoted(notice.text)]
    files = [("Инструкция.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")]
    files.append(("снимок.bmp", "image/bmp", BMP))
    desk.ingest(reply(staff_to(tid), subject, body, files))
    desk.flush()
    [err] = told(sink, before)
    assert err.subject == f"Ответ не отправлен: Не работает оформление заказа [TID#{tid}]"
    text = " ".join(err.text.split())
    assert "Команды не выполнены" not in text and "в письме есть ошибки" not in text
    assert "Файл «снимок.bmp» не отправлен: файлы BMP клиентам отправляются только" in text
    assert "Упакуйте его в архив или сохраните как JPG или PNG" in text
    assert "пришлите снова" not in text and "Инструкция.pdf" not in text  # that one could go
    # the answer comes back as written, never the notice quoted under it
    assert own_block(err.text) == [*ANSWER, "", "--", "Анна"]
    assert len(customer_mails(sink)) == 1  # the confirmation alone
    # answered with the text on top and the picture as PNG, it goes: none of the
    # stopped mail, nor the answer's copy quoted in it, reaches the customer twice
    again = [*ANSWER, "", *quoted(err.text)]
    png = [("снимок.png", "image/png", PNG)]
    desk.ingest(reply(str(err.msg["Reply-To"]), f"Re: {err.subject}", again, png))
    desk.flush()
    assert not told(sink, before + 1)
    [answer] = customer_mails(sink)[1:]
    got = answer.text.splitlines()
    assert got[: len(ANSWER)] == ANSWER and got.count(ANSWER[0]) == 1, answer.text
    assert "не отправлен" not in answer.text and "BMP" not in answer.text, answer.text
    assert [p.get_filename() for p in answer.msg.iter_attachments()] == ["снимок.png"]


def test_a_command_error_gives_the_typed_text_back_without_the_notice(desk: Desk, sink):
    """A webmail reply (HTML, the notice in a blockquote) with a command mistyped."""
    tid, notice = open_ticket(desk, sink)
    before = len(sink.received)
    typed = [*ANSWER, "#clsoe"]
    html = (
        "<div>" + "<br>".join(typed) + "</div><div>03.12.2026, 10:00, support@example.com:</div>"
        "<blockquote>" + "<br>".join(notice.text.splitlines()) + "</blockquote>"
    )
    desk.ingest(reply(staff_to(tid), f"Re: {notice.subject}", [], html=html))
    desk.flush()
    [err] = told(sink, before)
    assert err.subject.startswith("Команды не выполнены") and "#clsoe" in err.text
    shown = own_block(err.text)
    assert shown == typed, err.text
    assert not [s for s in shown if s.startswith(NOTICE_LINES)]


def test_a_long_reply_is_given_back_by_its_start(desk: Desk, sink):
    tid, notice = open_ticket(desk, sink)
    before = len(sink.received)
    lines = [f"Строка журнала {i:05d}: ошибка шлюза" for i in range(2000)]
    desk.ingest(reply(staff_to(tid), f"Re: {notice.subject}", ["#levle vip", *lines]))
    desk.flush()
    [err] = told(sink, before)
    shown = own_block(err.text)
    assert shown[0] == "#levle vip" and shown == ["#levle vip", *lines][: len(shown)]
    assert 3000 < sum(len(s) + 1 for s in shown) <= 4000  # limits.MAX_QUOTED_CHARS
    assert "выше его первые" in " ".join(err.text.split())
    assert len(err.raw) < 30_000, len(err.raw)
