"""What maild leaves out of a mail is said to staff, through `maild ingest` and a real
relay (domain/leftout.py): a staff answer's screenshot pasted under «С уважением»
and taken as the signature's logo, a file the ticket holds already; a customer's new
screenshot under their signature is news for staff; a file staff chose to send a
customer who never had it (another's, after #merge) goes."""

from __future__ import annotations

import email.policy
import email.utils
from email.message import EmailMessage

import pytest

from tests.data.make_corpus import png
from tests.helpers import Desk, make_mail, staff_to
from tests.integration.test_document_types_e2e import SHEET
from tests.integration.test_staff_e2e import customer_mails, staff_reply

IVAN = "Иван <ivan@shop-example.ru>"
CID = "image001.png@01DB"
SHOT = png(120, 90)  # a screenshot of a signature logo's size: under logos.LOGO_MAX
assert len(SHOT) < 32 * 1024


def outlook(
    sender: str,
    to: str,
    subject: str,
    lines: list[str],
    shot: bytes = SHOT,
    files: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """Outlook's HTML mail: ``lines``, then the picture pasted at the end (under the
    signature), a cid: part of a related body; ``files`` attached."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Message-ID"] = email.utils.make_msgid(domain="c.example")
    m["Date"] = "Fri, 04 Dec 2026 11:20:00 +0300"
    m.set_content("\n".join(lines) + f"\n\n[cid:{CID}]\n")
    paras = "".join(f"<p>{s}</p>" for s in lines)
    html = f'<html><body>{paras}<p><img src="cid:{CID}"></p></body></html>'
    m.add_alternative(html, subtype="html")
    m.get_payload()[1].add_related(
        shot, "image", "png", cid=f"<{CID}>", filename="image001.png", disposition="inline"
    )
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes(policy=email.policy.SMTP)


def files_of(mail) -> list[str]:
    return [p.get_filename() for p in mail.msg.iter_attachments()]


def new_mail(sink, before: int, address: str) -> list:
    return [m for m in sink.received[before:] if address in m.rcpt_tos]


def test_a_screenshot_under_the_signature_of_an_answer_is_named_to_its_author(desk: Desk, sink):
    """«см. снимок экрана ниже», «С уважением, Анна», then the screenshot: taken as the
    signature's logo, the customer got the text without it and nobody was told."""
    tid = desk.ingest_tid(make_mail(sender=IVAN, subject="Где кнопка?"))
    desk.flush()
    before = len(sink.received)
    lines = [
        "Здравствуйте!",
        "Кнопка справа вверху, см. снимок экрана ниже.",
        "С уважением,",
        "Анна",
    ]
    desk.ingest(outlook("Анна <anna@example.com>", staff_to(tid), "Re: Где кнопка?", lines))
    desk.flush()
    [answer] = new_mail(sink, before, "ivan@shop-example.ru")
    assert "снимок экрана ниже" in answer.text and files_of(answer) == []
    [told] = new_mail(sink, before, "anna@example.com")
    assert (
        told.subject.startswith("Ответ отправлен не со всеми файлами")
        and f"[TID#{tid}]" in told.subject
    )
    assert "image001.png" in told.text and "логотип подписи" in told.text


PDF = b"%PDF-1.4\n" + b"0" * 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("said", "files", "named"),
    [
        # a topic's words: the signature's logo is no picture the text points at
        ("Обновите PHP до версии не ниже 8.1.", [], False),
        ("Фото товаров пропали из-за кеша: очистите его.", [], False),
        # the files the text points at went with it
        (
            "Инструкция и прайс во вложении.",
            [("инструкция.pdf", "application/pdf", PDF), ("Прайс.xlsx", XLSX, SHEET)],
            False,
        ),
        # a screenshot pointed at, and no picture went: the one under the signature
        ("Скриншот во вложении.", [("инструкция.pdf", "application/pdf", PDF)], True),
    ],
)
def test_an_answer_with_a_signature_logo_is_told_only_of_what_it_points_at(
    desk: Desk, sink, said, files, named
):
    """Outlook's signature logo under «С уважением, Анна» on an everyday answer: the
    staff member hears «не со всеми файлами» only when the text points at a picture or
    a file that the answer did not carry."""
    tid = desk.ingest_tid(make_mail(sender=IVAN, subject="Пропали фото"))
    desk.flush()
    before = len(sink.received)
    lines = ["Иван, здравствуйте!", said, "С уважением,", "Анна"]
    raw = outlook("Анна <anna@example.com>", staff_to(tid), "Re: Пропали фото", lines, files=files)
    desk.ingest(raw)
    desk.flush()
    [answer] = new_mail(sink, before, "ivan@shop-example.ru")
    assert said in answer.text and files_of(answer) == [name for name, _, _ in files]
    told = [m for m in new_mail(sink, before, "anna@example.com") if "не со всеми" in m.subject]
    assert len(told) == named


def test_the_same_logo_in_a_later_answer_is_not_named_again(desk: Desk, sink):
    """A signature's logo is the same picture with every answer: the first answer that
    says nothing of a picture, and the next with that logo, tell the staff member
    nothing; a different picture under the signature is named."""
    tid = desk.ingest_tid(make_mail(sender=IVAN, subject="Где кнопка?"))
    desk.flush()
    subject = "Re: Где кнопка?"
    for n, shot in enumerate((SHOT, SHOT, png(110, 90))):
        before = len(sink.received)
        lines = [f"Ответ {n}: кнопка справа вверху.", "С уважением,", "Анна"]
        desk.ingest(outlook("Анна <anna@example.com>", staff_to(tid), subject, lines, shot))
        desk.flush()
        told = new_mail(sink, before, "anna@example.com")
        assert len(told) == (1 if n == 2 else 0), n
        assert len(new_mail(sink, before, "ivan@shop-example.ru")) == 1


def test_status_question_with_a_new_screenshot_under_the_signature_is_news(desk: Desk, sink):
    """«Есть новости?» and a new 19 KB screenshot under the customer's signature got only
    the automatic status reply: staff were not told of the screenshot."""
    tid = desk.ingest_tid(make_mail(sender=IVAN, subject="Где кнопка?"))
    desk.flush()
    before = len(sink.received)
    lines = ["Есть новости?", "С уважением,", "Иван"]
    desk.ingest(outlook(IVAN, "support@example.com", f"Re: Где кнопка? [TID#{tid}]", lines))
    desk.flush()
    [notice] = new_mail(sink, before, "anna@example.com")
    assert notice.subject.startswith("Новое письмо клиента") and files_of(notice) == [
        "image001.png"
    ]
    assert not any(m.subject.startswith("Состояние обращения") for m in customer_mails(sink))


def test_a_file_of_another_customer_after_merge_goes_to_the_one_who_never_had_it(desk: Desk, sink):
    """After #merge staff attach Petr's screenshot to an answer to Ivan: it was left
    out for both, as a file «the customer side» sent, and nobody was told."""
    shot = png(200, 100)
    ivan = desk.ingest_tid(make_mail(sender=IVAN, subject="Корзина"))
    petr = desk.ingest_tid(
        make_mail(
            sender="Пётр <petr@client.example>",
            subject="Корзина тоже",
            attachments=[("petr-error.png", "image/png", shot)],
        )
    )
    desk.ingest(staff_reply(petr, f"#merge {ivan}\n"))
    desk.flush()
    before = len(sink.received)
    text = "Иван, у другого клиента вот такая ошибка (скриншот во вложении). У вас так же?"
    desk.ingest(staff_reply(ivan, text, attachments=[("error.png", "image/png", shot)]))
    desk.flush()
    for who in ("ivan@shop-example.ru", "petr@client.example"):
        [answer] = new_mail(sink, before, who)
        assert files_of(answer) == ["error.png"], who
        [part] = list(answer.msg.iter_attachments())
        assert part.get_payload(decode=True) == shot


def test_a_file_the_customer_sends_again_is_named_in_the_staff_notice(desk: Desk, sink):
    """Staff ask for the screenshot again; the customer sends the same file. The notice
    had no file and did not speak of one: staff thought it was forgotten."""
    shot = png(200, 100)
    tid = desk.ingest_tid(
        make_mail(sender=IVAN, subject="Ошибка", attachments=[("error.png", "image/png", shot)])
    )
    desk.ingest(staff_reply(tid, "Иван, пришлите, пожалуйста, скриншот ещё раз."))
    desk.flush()
    before = len(sink.received)
    again = make_mail(
        sender=IVAN,
        subject=f"Re: Ошибка [TID#{tid}]",
        body="Отправляю скриншот повторно.",
        attachments=[("error.png", "image/png", shot)],
    )
    desk.ingest(again)
    desk.flush()
    [notice] = new_mail(sink, before, "anna@example.com")
    assert files_of(notice) == []  # the ticket holds it already: not sent again
    assert "Файл error.png уже есть в обращении, не повторяется" in notice.text


def test_a_staff_answer_carrying_back_a_held_file_attached_says_so(desk: Desk, sink):
    """The customer's own file attached to an answer is left out of it (they have it),
    and the staff member is told in one line."""
    shot = png(200, 100)
    tid = desk.ingest_tid(
        make_mail(sender=IVAN, subject="Ошибка", attachments=[("error.png", "image/png", shot)])
    )
    desk.flush()
    before = len(sink.received)
    text = "Иван, это ваш скриншот, ошибка в поле «Ключ»."
    desk.ingest(staff_reply(tid, text, attachments=[("error.png", "image/png", shot)]))
    desk.flush()
    [answer] = new_mail(sink, before, "ivan@shop-example.ru")
    assert files_of(answer) == []
    [told] = new_mail(sink, before, "anna@example.com")
    assert "Файл error.png уже есть в обращении, не повторяется" in told.text
