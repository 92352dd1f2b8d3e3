"""Pictures in a staff answer and body parts besides plain text and HTML, end to end
through `maild ingest` (or `maild serve`'s SMTP listener and its site) and a real relay.

A picture Outlook shows in place is a screenshot when it stands in the answer's text,
and reaches the customer, however small; a signature's logo (under «С уважением», or
under the writer's name) does not, nor its «[image001.png]» mark, and the site lists
under the answer the files the customer got. A calendar invitation, an enriched
alternative or an RTF body is neither a refused file nor lost text."""

from __future__ import annotations

import base64
import email
import email.encoders
import email.policy
import html
import smtplib
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, make_msgid

import pytest

from tests.data.make_corpus import png
from tests.helpers import DATA, SUPPORT, Daemon, Desk, make_mail, staff_to
from tests.integration.test_serve import wait_until
from tests.integration.test_staff_e2e import customer_mails, open_ticket
from tests.webclient import link_in, request, running_site

SHOT = png(90, 30)  # a cropped screenshot of one button: 8 KB
LOGO = png(120, 40)  # a company logo: 14 KB
CID = {SHOT: "image001.png@01DB4637.1A2B3C40", LOGO: "image002.png@01DB4637.1A2B3C40"}
NAME = {SHOT: "image001.png", LOGO: "image002.png"}


def mso(lines: list[str]) -> str:
    """Outlook's HTML of typed lines: a MsoNormal paragraph each, a picture in its own."""
    out = []
    for s in lines:
        if isinstance(s, bytes):
            out.append(f'<p class=MsoNormal><img width=300 height=60 src="cid:{CID[s]}"></p>')
        else:
            out.append(f"<p class=MsoNormal>{html.escape(s) or '&nbsp;'}<o:p></o:p></p>")
    return "".join(out)


def outlook(tid: str, notice, own: list, sender: str = "Анна Смирнова") -> bytes:
    """Outlook desktop answering the staff notice above its quote, as it sends a mail
    with pictures shown in place: multipart/related of the alternative (plain text with
    «[cid:...]» where each picture stands, HTML with <img src="cid:...">) and the
    pictures. ``own``: the lines typed, a picture (its bytes) where it was pasted."""
    quoted = notice.text.rstrip("\n").split("\n")
    head = [
        "",
        f"От: Служба поддержки <{staff_to(tid)}>",
        "Отправлено: пятница, 4 декабря 2026 г. 12:01",
        f"Кому: {sender} <anna@example.com>",
        f"Тема: {notice.subject}",
        "",
    ]
    plain = [f"[cid:{CID[s]}]" if isinstance(s, bytes) else s for s in own]
    rich = (
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        f"<p class=MsoNormal><b>От:</b> Служба поддержки &lt;{staff_to(tid)}&gt;<br>"
        "<b>Отправлено:</b> пятница, 4 декабря 2026 г. 12:01<br>"
        f"<b>Кому:</b> {sender} &lt;anna@example.com&gt;<br>"
        f"<b>Тема:</b> {html.escape(notice.subject)}</p></div>"
    )
    related = MIMEMultipart("related", type="multipart/alternative")
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("\n".join([*plain, *head, *quoted]) + "\n", "plain", "utf-8"))
    body = f"<html><body lang=RU><div class=WordSection1>{mso(own)}{rich}{mso(quoted)}</div>"
    alternative.attach(MIMEText(body + "</body></html>", "html", "utf-8"))
    related.attach(alternative)
    for picture in [s for s in own if isinstance(s, bytes)]:
        part = MIMEBase("image", "png", name=NAME[picture])
        part.set_payload(picture)
        email.encoders.encode_base64(part)
        part.add_header("Content-Disposition", "inline", filename=NAME[picture])
        part["Content-ID"] = f"<{CID[picture]}>"
        related.attach(part)
    return _sent(related, tid, notice, sender)


def _sent(m, tid: str, notice, sender: str = "Анна Смирнова", subject: str = "") -> bytes:
    m["From"] = formataddr((sender, "anna@example.com"))
    m["To"] = formataddr(("Служба поддержки", staff_to(tid)))
    m["Subject"] = subject or f"RE: {notice.subject}"
    m["Message-ID"] = make_msgid(domain="example.com")
    m["In-Reply-To"] = m["References"] = notice.msg["Message-ID"]
    m["X-MS-Has-Attach"] = "yes"
    return m.as_bytes(policy=email.policy.SMTP)


def files_of(received) -> list[tuple[str, bytes]]:
    return [(p.get_filename(), p.get_content()) for p in received.msg.iter_attachments()]


def staff_record(desk: Desk, tid: str) -> dict:
    [record] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "staff"]
    return record


def test_a_small_screenshot_pasted_into_an_answer_reaches_the_customer(desk: Desk, sink):
    """An 8 KB picture of one button, pasted between the answer's lines, was taken for a
    signature's logo by its size: the customer read «[image001.png]» and got no picture,
    staff were not told, and the ticket listed the file under the answer all the same."""
    tid, notice = open_ticket(desk, sink)
    own = ["Иван, добрый день.", "", "Нажмите в настройках оплаты вот эту кнопку:", SHOT]
    desk.ingest(outlook(tid, notice, [*own, "и сохраните настройки.", "", "Анна"]))
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "вот эту кнопку" in r.text]
    assert files_of(answer) == [("image001.png", SHOT)]
    lines = answer.text.splitlines()
    assert lines[lines.index("Нажмите в настройках оплаты вот эту кнопку:") + 1] == "[image001.png]"
    assert [a["filename"] for a in staff_record(desk, tid)["attachments"]] == ["image001.png"]


@pytest.mark.parametrize(
    "signature",
    [
        ["С уважением,", "Анна Смирнова", "Инженер службы поддержки", LOGO],
        ["Анна Смирнова", "Инженер службы поддержки", "тел. +7 495 000-00-00", LOGO],
    ],
    ids=["under_a_closing", "under_the_name"],
)
def test_a_signatures_logo_goes_neither_as_a_file_nor_as_its_mark(desk: Desk, sink, signature):
    """Outlook's signature with the company logo (14 KB) under the answer: no file of
    the answer, so the customer's text keeps no «[image002.png]» of a picture they never
    got, and the ticket lists no file under the answer."""
    tid, notice = open_ticket(desk, sink)
    own = ["Иван, добрый день.", "", "Укажите ключ и проверьте ещё раз.", "", "#close", ""]
    desk.ingest(outlook(tid, notice, [*own, *signature]))
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "Укажите ключ" in r.text]
    assert files_of(answer) == []
    assert "image002" not in answer.text and "[cid:" not in answer.text
    assert "Инженер службы поддержки" in answer.text
    assert staff_record(desk, tid)["attachments"] == []
    assert desk.ticket(tid)["status"] == "closed"


PHOTO = png(100, 50)  # a photo of the device's label, as small as a signature's logo


def test_an_answer_sends_the_picture_attached_but_not_its_signatures_logo(desk: Desk, sink):
    """Outlook's answer with the company logo in its signature (image002.png, a
    Content-ID the HTML shows in place) and a picture the staff member attached (a
    file of the letter, however small): the customer gets the picture alone, and the
    ticket lists it alone under the answer, as the site does."""
    tid, notice = open_ticket(desk, sink)
    own = ["Иван, добрый день.", "", "Наклейка с номером на фото во вложении.", ""]
    signature = ["С уважением,", "Анна Смирнова", "Инженер службы поддержки", LOGO]
    letter = email.message_from_bytes(
        outlook(tid, notice, [*own, *signature]), policy=email.policy.default
    )
    letter.make_mixed()
    letter.add_attachment(PHOTO, "image", "png", filename="наклейка.png")
    desk.ingest(letter.as_bytes(policy=email.policy.SMTP))
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "Наклейка с номером" in r.text]
    assert files_of(answer) == [("наклейка.png", PHOTO)]
    assert "image002" not in answer.text
    assert [a["filename"] for a in staff_record(desk, tid)["attachments"]] == ["наклейка.png"]


def webmail(tid: str, notice, own: list, *, plain: bool, data: bool) -> bytes:
    """Yandex's or Mail.ru's webmail, or a phone app, answering the staff notice: HTML
    of <div> lines with each picture pasted where it stands, as a data: URI inside the
    HTML (``data``) or as a Content-ID part beside it (multipart/related), the notice
    quoted under its «... пишет:»; with a plain text beside it (``plain``) that has no
    mark of any picture, or none."""

    def line(s) -> str:
        if not isinstance(s, bytes):
            return f"<div>{html.escape(s) or '&nbsp;'}</div>"
        src = f"data:image/png;base64,{base64.b64encode(s).decode()}" if data else f"cid:{CID[s]}"
        return f'<div><img src="{src}" width="300"></div>'

    quoted = notice.text.rstrip("\n").split("\n")
    said = f"04.12.2026, 12:01, «Служба поддержки» <{staff_to(tid)}>:"
    rich = "".join(line(s) for s in [*own, "", said])
    rich += "<blockquote>" + "<br>".join(html.escape(s) for s in quoted) + "</blockquote>"
    m = EmailMessage()
    typed = [s for s in own if not isinstance(s, bytes)]
    if plain:
        m.set_content("\n".join([*typed, "", said, *(f"> {s}" for s in quoted)]) + "\n")
        m.add_alternative(rich, subtype="html")
    else:
        m.set_content(rich, subtype="html")
    rich_part = m.get_payload()[1] if plain else m
    for picture in [s for s in own if isinstance(s, bytes)] if not data else []:
        rich_part.add_related(
            picture,
            "image",
            "png",
            cid=f"<{CID[picture]}>",
            filename=NAME[picture],
            disposition="inline",
        )
    return _sent(m, tid, notice)


@pytest.mark.parametrize("plain", [False, True], ids=["html_only", "with_plain"])
@pytest.mark.parametrize("data", [True, False], ids=["data_uri", "content_id"])
def test_a_screenshot_pasted_in_webmail_reaches_the_customer_with_its_mark(
    desk: Desk, sink, data: bool, plain: bool
):
    """An 8 KB picture of one button pasted between the answer's lines in a webmail: as a
    data: URI it was taken for a signature's logo, and the customer got the text with
    no file and no mark, staff were told nothing; as a Content-ID part it went, but
    without its «[image001.png]» where it stood. Now it goes with its mark, whatever
    way the client sends it, and the signature's logo under «-- » still does not."""
    tid, notice = open_ticket(desk, sink)
    own = ["Иван, нажмите эту кнопку:", SHOT, "и сохраните настройки.", "", "-- ", "Анна", LOGO]
    desk.ingest(webmail(tid, notice, own, plain=plain, data=data))
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "эту кнопку" in r.text]
    name = "image1.png" if data else "image001.png"
    assert files_of(answer) == [(name, SHOT)]
    lines = answer.text.splitlines()
    at = lines.index("Иван, нажмите эту кнопку:")
    assert lines[at + 1 : at + 3] == [f"[{name}]", "и сохраните настройки."]
    assert "image2" not in answer.text and "image002" not in answer.text
    assert "[cid:" not in answer.text and "base64" not in answer.text
    assert [a["filename"] for a in staff_record(desk, tid)["attachments"]] == [name]
    assert [r for r in sink.to("anna@example.com") if "не со всеми файлами" in r.subject] == []


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(tmp_path_factory.mktemp("pictures"))


def _send(daemon: Daemon, raw: bytes, sender: str, to: str) -> None:
    with smtplib.SMTP("127.0.0.1", daemon.port) as s:
        s.sendmail(sender, [to], raw)


def test_the_site_lists_under_an_answer_the_files_the_customer_got(site):
    """Through `maild serve`: an answer with a screenshot in its text and a logo in its
    signature. The customer gets the screenshot, and the site shows it under the answer,
    and nothing of the logo: mail and site agree."""
    desk, daemon, sink, base = site
    customer = "ivan.pictures@shop-example.ru"
    _send(daemon, make_mail(sender=f"Иван <{customer}>", subject="Кнопка"), customer, SUPPORT)
    [conf] = wait_until(lambda: [r for r in sink.to(customer) if "Кнопка" in r.subject])
    tid = conf.subject.split("[TID#", 1)[1].split("]", 1)[0]
    [notice] = wait_until(lambda: [r for r in sink.to("anna@example.com") if tid in r.subject])
    own = ["Иван, нажмите эту кнопку:", SHOT, "", "С уважением,", "Анна Смирнова", LOGO]
    _send(daemon, outlook(tid, notice, own), "anna@example.com", staff_to(tid))
    [answer] = wait_until(lambda: [r for r in sink.to(customer) if "эту кнопку" in r.text])
    assert files_of(answer) == [("image001.png", SHOT)]
    assert "[image001.png]" in answer.text and "image002" not in answer.text
    page = request(link_in(conf.text, base)).text
    assert "image001.png" in page and "image002.png" not in page


# -- body parts besides plain text and HTML -------------------------------------------


def ingested(desk: Desk, sink, name: str) -> tuple[dict, str, str]:
    """A mail of tests/data/bodyparts from its customer: (its message in the ticket,
    the confirmation's text, the staff notice's text)."""
    tid = desk.ingest_tid((DATA / "bodyparts" / name).read_bytes())
    desk.flush()
    [message] = desk.ticket(tid)["messages"][:1]
    [conf] = [r for r in sink.received if tid in r.subject and message["from"] in r.rcpt_tos]
    [notice] = [r for r in sink.to("anna@example.com") if tid in r.subject]
    return message, conf.text, notice


def test_an_outlook_invitation_from_a_customer_is_kept_for_staff_never_refused(desk, sink):
    """Outlook's (or Teams') meeting request: its text/calendar alternative was refused
    as a file named «attachment», and the invite.ics beside it too: the customer was
    told off twice for one invitation. The alternative is no file; the invitation is
    kept for staff, who get it with the notice."""
    message, conf, notice = ingested(desk, sink, "outlook_invite.eml")
    assert "не принят" not in conf and "attachment" not in conf
    assert [(a["filename"], a["content_type"], a["accepted"]) for a in message["attachments"]] == [
        ("invite.ics", "text/calendar", True)
    ]
    assert "Обсудим ошибку с оплатой по телефону." in message["text"]
    assert [p.get_filename() for p in notice.msg.iter_attachments()] == ["invite.ics"]
    assert "attachment" not in notice.text and "отклонено" not in notice.text


def test_an_invitation_sent_as_the_whole_mail_is_kept_not_read_as_the_text(desk, sink):
    """A calendar's invitation sent as the mail itself (Content-Type: text/calendar, no
    other part: a CRM's or a calendar app's «send by mail») was read as the letter's text:
    staff and the site read its BEGIN:VCALENDAR source, and had no invite.ics to open.
    It is the calendar it is, kept as invite.ics, as one inside a multipart is."""
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
        "UID:1@shop.ru\r\nDTSTART:20261208T100000Z\r\nSUMMARY:Созвон по ошибке\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "ivan@shop.ru", SUPPORT, "Приглашение: созвон"
    m["Message-ID"] = make_msgid(domain="shop.ru")
    m.set_content(ics, subtype="calendar", params={"method": "REQUEST"})
    tid = desk.ingest_tid(m.as_bytes(policy=email.policy.SMTP))
    desk.flush()
    [message] = desk.ticket(tid)["messages"][:1]
    assert "VCALENDAR" not in message["text"]
    assert [(a["filename"], a["content_type"], a["accepted"]) for a in message["attachments"]] == [
        ("invite.ics", "text/calendar", True)
    ]
    [notice] = [r for r in sink.to("anna@example.com") if tid in r.subject]
    assert [p.get_filename() for p in notice.msg.iter_attachments()] == ["invite.ics"]
    assert "VCALENDAR" not in notice.text and "invite.ics" in notice.text
    [conf] = [r for r in sink.to("ivan@shop.ru") if tid in r.subject]
    assert "не принят" not in conf.text


@pytest.mark.parametrize("name", ["rtf_body.eml", "rtf_body_application.eml"])
def test_an_rtf_body_is_read_as_the_text(desk, sink, name: str):
    """A body sent as RTF alone was refused as a file «attachment» (документ RTF) and
    staff read «(пустое письмо)»: maild reads RTF (domain/rtf.py)."""
    message, conf, notice = ingested(desk, sink, name)
    assert message["text"].splitlines() == ["Добрый день!", "Не работает корзина."]
    assert message["attachments"] == []
    assert "не принят" not in conf
    assert "Не работает корзина." in notice.text and "пустое письмо" not in notice.text


def test_an_enriched_alternative_is_no_refused_file(desk, sink):
    message, conf, _notice = ingested(desk, sink, "enriched_alternative.eml")
    assert message["text"].strip() == "Не работает корзина."
    assert message["attachments"] == []
    assert "не принят" not in conf and "attachment" not in conf


ICS = (
    "BEGIN:VCALENDAR\r\nMETHOD:{method}\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
    "ORGANIZER:mailto:anna@example.com\r\nATTENDEE;RSVP=TRUE:mailto:{attendee}\r\n"
    "SUMMARY:Созвон\r\nDTSTART:20261207T080000Z\r\nDTEND:20261207T083000Z\r\n"
    "UID:abc@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def meeting_request(tid: str, notice, google: bool) -> bytes:
    """A staff member's meeting request to the notice's address: Outlook's (the calendar
    an alternative of the text) or Google Calendar's (and invite.ics attached)."""
    ics = ICS.format(method="REQUEST", attendee=staff_to(tid))
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("Иван, предлагаю созвониться в понедельник в 11:00.\n\nАнна\n"))
    calendar = MIMEText(ics, "calendar", "utf-8")
    calendar.set_param("method", "REQUEST")
    alternative.attach(calendar)
    m = alternative
    if google:
        m = MIMEMultipart("mixed")
        m.attach(alternative)
        invite = MIMEBase("application", "ics", name="invite.ics")
        invite.set_payload(ics.encode())
        email.encoders.encode_base64(invite)
        invite.add_header("Content-Disposition", "attachment", filename="invite.ics")
        m.attach(invite)
    return _sent(m, tid, notice, subject=f"Созвон: {notice.subject}")


@pytest.mark.parametrize("google", [False, True], ids=["outlook", "google"])
def test_a_staff_meeting_request_reaches_the_customer_as_its_text(desk, sink, google: bool):
    """The calendar went to the customer as a file named «attachment», without .ics;
    it names the staff member and the ticket's signed reply address as organizer and
    attendee. The customer gets the text that says when, and no calendar file."""
    tid, notice = open_ticket(desk, sink)
    desk.ingest(meeting_request(tid, notice, google))
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "созвониться" in r.text]
    assert files_of(answer) == []
    assert staff_to(tid) not in answer.raw.decode("utf-8", "replace")
    assert staff_record(desk, tid)["attachments"] == []


def test_an_event_file_a_staff_member_attaches_goes_by_its_name(desk, sink):
    """An event published as a file (no meeting request) is a file like any other."""
    tid, notice = open_ticket(desk, sink)
    event = ICS.format(method="PUBLISH", attendee="x@example.com").encode()
    raw = make_mail(
        sender="Анна <anna@example.com>",
        to=staff_to(tid),
        subject=f"Re: [TID#{tid}]",
        body="Иван, вебинар во вложении: добавьте его в календарь.\n",
        attachments=[("Вебинар.ics", "text/calendar", event)],
    )
    desk.ingest(raw)
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "вебинар во вложении" in r.text]
    assert [name for name, _ in files_of(answer)] == ["Вебинар.ics"]
