"""Files a mail carries back into the ticket that holds them (knownfiles.py), through
`maild ingest` and a real relay: a customer's screenshot quoted in a staff reply
(Thunderbird shows it in the quote, Apple Mail «include attachments»), and Outlook's
pasted picture that every reply of the customer keeps in its quote.

None of them is a new file: the answer does not carry it back to the customer, the
ticket (and so the site) does not list it again, and «Есть новости?» with it is still
only a status question."""

from __future__ import annotations

import email.policy
import email.utils
import html
import smtplib
from email.message import EmailMessage

import pytest

from tests.data.make_corpus import png
from tests.helpers import SUPPORT, Desk, staff_to
from tests.integration.test_serve import wait_until
from tests.integration.test_staff_e2e import customer_mails
from tests.webclient import link_in, request, running_site

CUSTOMER = "ivan@shop-example.ru"
SHOT = png(200, 100)  # a real screenshot, well over a signature logo's 32 KB
SHOT_NAME = "Скриншот оплаты.png"
ANSWER = ["Иван, добрый день.", "Укажите ключ в настройках оплаты."]
CID = "image001.png@01DB4637.1A2B3C40"
# What Outlook (English UI) writes above the mail it quotes.
OUTLOOK_HEADER = [
    "",
    f"From: Иван Петров <{CUSTOMER}>",
    "Sent: Friday, December 4, 2026 11:20 AM",
    f"To: {SUPPORT}",
    "Subject: Ошибка оплаты",
    "",
]


def outlook_mail(top: list[str], quote: list[str], subject: str, *, shot: bytes = SHOT) -> bytes:
    """Outlook's HTML mail with a picture pasted into it (a cid: part of a related
    body), as the customer writes it; in a reply Outlook keeps the picture of the quote."""
    m = EmailMessage()
    m["From"], m["To"] = f"Иван Петров <{CUSTOMER}>", SUPPORT
    m["Subject"], m["Date"] = subject, "Fri, 04 Dec 2026 11:20:00 +0300"
    m["Message-ID"] = email.utils.make_msgid(domain="shop-example.ru")
    lines = [*top, *quote]
    m.set_content("\n".join(f"[cid:{CID}]" if s == "[IMG]" else s for s in lines) + "\n")
    paras = "".join(
        f"<p class=MsoNormal>{f'<img src=cid:{CID}>' if s == '[IMG]' else html.escape(s)}</p>"
        for s in lines
    )
    m.add_alternative(f"<html><body>{paras}</body></html>", subtype="html")
    m.get_payload()[1].add_related(
        shot, "image", "png", cid=f"<{CID}>", filename="image001.png", disposition="inline"
    )
    return m.as_bytes(policy=email.policy.SMTP)


def open_ticket(desk: Desk, sink, shot: tuple[str, bytes] = (SHOT_NAME, SHOT)) -> str:
    m = EmailMessage()
    m["From"], m["To"] = f"Иван Петров <{CUSTOMER}>", SUPPORT
    m["Subject"], m["Message-ID"] = "Ошибка оплаты", "<c1@shop-example.ru>"
    m.set_content("Не проходит оплата, скриншот во вложении.\n")
    m.add_attachment(shot[1], maintype="image", subtype="png", filename=shot[0])
    tid = desk.ingest_tid(m.as_bytes(policy=email.policy.SMTP))
    desk.flush()
    sink.wait_for(3)
    return tid


def thunderbird_reply(tid: str, typed: list[str], extra: tuple[str, bytes] | None = None) -> bytes:
    """Thunderbird's HTML reply to the notice: the customer's screenshot, shown inline
    in the quote, is sent again as a cid: part; ``extra`` a file the staff member attached."""
    m = EmailMessage()
    m["From"], m["To"] = "Анна Смирнова <anna@example.com>", staff_to(tid)
    m["Subject"], m["Message-ID"] = f"Re: Новое обращение [TID#{tid}]", "<tb1@example.com>"
    m["User-Agent"] = "Mozilla Thunderbird"
    quote = ["Не проходит оплата, скриншот во вложении."]
    m.set_content("\n".join([*typed, "", "04.12.2026 12:01, Служба поддержки пишет:"])
                  + "".join(f"\n> {s}" for s in quote) + "\n")  # fmt: skip
    m.add_alternative(
        "<html><body><p>"
        + "<br>".join(html.escape(s) for s in typed)
        + '</p><div class="moz-cite-prefix">04.12.2026 12:01, Служба поддержки пишет:</div>'
        + f'<blockquote type="cite"><pre>{html.escape(quote[0])}</pre>'
        + '<img class="moz-attached-image" src="cid:part1.Xy1z@example.com"></blockquote>'
        + "</body></html>",
        subtype="html",
    )
    m.get_payload()[1].add_related(
        SHOT, "image", "png", cid="<part1.Xy1z@example.com>", filename=SHOT_NAME,
        disposition="inline",
    )  # fmt: skip
    if extra is not None:
        m.add_attachment(extra[1], maintype="image", subtype="png", filename=extra[0])
    return m.as_bytes(policy=email.policy.SMTP)


def apple_reply(tid: str, typed: list[str]) -> bytes:
    """Apple Mail / iOS with «include attachments»: text, the picture, the rest of the
    quote, as multipart/mixed."""
    m = EmailMessage()
    m["From"], m["To"] = "Анна Смирнова <anna@example.com>", staff_to(tid)
    m["Subject"], m["Message-ID"] = f"Re: Новое обращение [TID#{tid}]", "<ap1@example.com>"
    m["X-Mailer"] = "Apple Mail (2.3774.200.91.1.1)"
    head = "4 дек. 2026 г., в 12:01, Служба поддержки написал(а):"
    m.set_content("\n".join([*typed, "", f"> {head}", "> Не проходит оплата,"]) + "\n")
    m.add_attachment(SHOT, maintype="image", subtype="png", filename=SHOT_NAME,
                     disposition="inline")  # fmt: skip
    rest = EmailMessage()
    rest.set_content("> скриншот во вложении.\n")
    m.attach(rest)
    return m.as_bytes(policy=email.policy.SMTP)


def files_of(mail) -> list[str]:
    return [p.get_filename() for p in mail.msg.iter_attachments()]


@pytest.mark.parametrize("client", [thunderbird_reply, apple_reply])
def test_a_staff_reply_quoting_the_customers_screenshot_does_not_send_it_back(
    desk: Desk, sink, client
):
    """Thunderbird (the picture in the HTML quote) and Apple Mail («include attachments»)
    send the customer's own screenshot again with the answer. It went to the customer as
    a file of the answer, and the ticket (the site) listed it as support's file."""
    tid = open_ticket(desk, sink)
    desk.ingest(client(tid, [*ANSWER, "#close"]))
    desk.flush()
    [answer] = [r for r in customer_mails(sink, CUSTOMER) if ANSWER[1] in r.text]
    assert files_of(answer) == []
    staff = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "staff"]
    assert [m["attachments"] for m in staff] == [[]]
    assert desk.ticket(tid)["status"] == "closed"
    [first] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert [a["filename"] for a in first["attachments"]] == [SHOT_NAME]  # kept where it came


def test_a_new_file_of_a_staff_reply_beside_the_quoted_one_is_sent(desk: Desk, sink):
    """What the staff member attaches still goes, the quoted screenshot beside it not."""
    tid = open_ticket(desk, sink)
    button = png(60, 20)
    desk.ingest(thunderbird_reply(tid, ANSWER, extra=("кнопка.png", button)))
    desk.flush()
    [answer] = [r for r in customer_mails(sink, CUSTOMER) if ANSWER[1] in r.text]
    assert files_of(answer) == ["кнопка.png"]
    [part] = list(answer.msg.iter_attachments())
    assert part.get_payload(decode=True) == button
    [staff] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "staff"]
    assert [a["filename"] for a in staff["attachments"]] == ["кнопка.png"]


def test_a_file_support_sent_before_is_sent_again_when_attached(desk: Desk, sink):
    """A staff member attaching a file support sent before (the customer did not get
    it) sends it: only what the customer side sent in is theirs already."""
    tid = open_ticket(desk, sink, shot=("схема.png", png(30, 30)))
    manual = ("инструкция.png", png(120, 60))
    for n in (1, 2):
        m = EmailMessage()
        m["From"], m["To"] = "Анна Смирнова <anna@example.com>", staff_to(tid)
        m["Subject"], m["Message-ID"] = f"Re: [TID#{tid}]", f"<again{n}@example.com>"
        m.set_content(f"Иван, инструкция во вложении ({n}).\n")
        m.add_attachment(manual[1], maintype="image", subtype="png", filename=manual[0])
        desk.ingest(m.as_bytes(policy=email.policy.SMTP))
    desk.flush()
    answers = [r for r in customer_mails(sink, CUSTOMER) if "инструкция во вложении" in r.text]
    assert [files_of(r) for r in answers] == [[manual[0]], [manual[0]]]


def test_status_question_re_carrying_the_pasted_screenshot_gets_the_status_reply(desk: Desk, sink):
    """Outlook keeps the picture pasted into the quoted mail in every reply: «Есть
    новости?» quoting the first mail came with the screenshot again. It was taken for
    news (no status reply, both staff members notified) and listed the screenshot as a
    new file of the follow-up; without the picture it got «Состояние обращения»."""
    first = ["Добрый день!", "Ошибка при оплате:", "[IMG]", "Иван"]
    tid = desk.ingest_tid(outlook_mail(first, [], "Ошибка оплаты"))
    desk.flush()
    before = len(sink.received)
    quote = [*OUTLOOK_HEADER, *first]
    ask = outlook_mail(["Есть новости?", "", "Иван"], quote, f"RE: Ошибка оплаты [TID#{tid}]")
    desk.ingest(ask)
    desk.flush()
    sink.wait_for(before + 1)
    new = sink.received[before:]
    assert [r.rcpt_tos for r in new] == [[CUSTOMER]]
    assert new[0].subject.startswith("Состояние обращения")
    asked = desk.ticket(tid)["messages"][-2]
    assert "Есть новости?" in asked["text"] and asked["attachments"] == []
    assert desk.ticket(tid)["status"] == "new"


def test_a_follow_up_with_a_new_screenshot_beside_the_quoted_one_is_news(desk: Desk, sink):
    """A new picture is news for staff, and only it is listed as the follow-up's file."""
    first = ["Добрый день!", "Ошибка при оплате:", "[IMG]", "Иван"]
    tid = desk.ingest_tid(outlook_mail(first, [], "Ошибка оплаты"))
    desk.flush()
    before = len(sink.received)
    quote = [*OUTLOOK_HEADER, *first]
    m = email.message_from_bytes(
        outlook_mail(["Есть новости?", "Вот ещё:"], quote, f"RE: [TID#{tid}]"),
        policy=email.policy.default,
    )
    m.add_attachment(png(210, 100), maintype="image", subtype="png", filename="ещё.png")
    desk.ingest(m.as_bytes(policy=email.policy.SMTP))
    desk.flush()
    sink.wait_for(before + 3)
    notices = [r for r in sink.received[before:] if "anna@example.com" in r.rcpt_tos]
    assert len(notices) == 1 and files_of(notices[0]) == ["ещё.png"]
    assert "image001.png" not in notices[0].text.split("----- текст")[0]  # the files listed
    follow = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"][-1]
    assert [a["filename"] for a in follow["attachments"]] == ["ещё.png"]


@pytest.fixture
def site(tmp_path):
    yield from running_site(tmp_path)


def test_the_site_lists_the_quoted_screenshot_once_as_the_customers(site):
    """Through `maild serve` and its site: the customer's screenshot that Apple Mail
    carried back in the answer was listed a second time, under «Служба поддержки»."""
    desk, daemon, sink, base = site
    m = EmailMessage()
    m["From"], m["To"] = f"Иван Петров <{CUSTOMER}>", SUPPORT
    m["Subject"], m["Message-ID"] = "Ошибка оплаты", "<site1@shop-example.ru>"
    m.set_content("Не проходит оплата, скриншот во вложении.\n")
    m.add_attachment(SHOT, maintype="image", subtype="png", filename=SHOT_NAME)
    with smtplib.SMTP("127.0.0.1", daemon.port) as s:
        s.sendmail(CUSTOMER, [SUPPORT], m.as_bytes(policy=email.policy.SMTP))
    [conf] = wait_until(lambda: [r for r in sink.to(CUSTOMER) if "TID#" in r.subject])
    tid = conf.subject.split("[TID#", 1)[1].split("]", 1)[0]
    with smtplib.SMTP("127.0.0.1", daemon.port) as s:
        s.sendmail("anna@example.com", [staff_to(tid)], apple_reply(tid, ANSWER))
    [answer] = wait_until(lambda: [r for r in sink.to(CUSTOMER) if ANSWER[1] in r.text])
    assert files_of(answer) == []
    page = request(link_in(conf.text, base)).text
    assert ANSWER[1] in page
    assert page.count(f"{html.escape(SHOT_NAME)}</a>") == 1
