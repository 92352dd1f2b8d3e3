"""support@ behind Microsoft 365 / Exchange: the mail system puts a warning paragraph on
top of every mail from outside and "[EXTERNAL]" in front of its subject. With the
banner listed in [support] inbound_banners, maild reads each mail as its sender wrote
it: end to end through `maild ingest` and a real relay (the sink)."""

from __future__ import annotations

import email.utils
import html
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from tests.helpers import Desk, make_mail, staff_to
from tests.integration.test_bounces_e2e import _exim, _qmail
from tests.integration.test_staff_e2e import customer_mails, open_ticket, staff_reply

CUSTOMER = "Иван Петров <ivan@shop-example.ru>"
BANNER = "CAUTION: This email originated from outside of the organization."
WARNING = (
    f"{BANNER} Do not click links or open attachments unless you recognize the sender "
    "and know the content is safe."
)
RU_BANNER = "ВНИМАНИЕ: Это письмо пришло из внешней организации."
RU_WARNING = f"{RU_BANNER} Не открывайте вложения и ссылки, если не знаете отправителя."
# A bank's or a holding's warning: both languages, the rules of the house, the legal
# notice, in one paragraph on top of every outside mail
LEGAL_WARNING = " ".join(
    [WARNING, RU_WARNING]
    + [
        "Никогда не сообщайте пароли, коды из SMS и данные банковских карт в ответ на"
        " письма, даже если отправитель называет себя сотрудником нашей компании."
        " Never share passwords, one-time codes or card details in reply to an email."
    ]
    * 5
    + [
        "Это сообщение и любые вложения к нему конфиденциальны и предназначены только"
        " для указанных адресатов; если вы получили его по ошибке, сообщите отправителю"
        " и удалите его. This message and any attachments are confidential."
    ]
    * 4
)
VERA = "vera@freelance-mail.ru"  # a staff member who answers from her own mailbox
STAFF = ["anna@example.com", "boris@example.com", VERA]


def banner_desk(tmp_path, sink, banners: list[str] | None = None) -> Desk:
    banners = [WARNING, RU_WARNING] if banners is None else banners
    return Desk(tmp_path, sink.port, support={"inbound_banners": banners, "staff": STAFF})


def m365(
    body: str,
    *,
    sender: str = CUSTOMER,
    to: str = "support@example.com",
    subject: str = "Не работает оформление заказа",
    warning: str = WARNING,
    gap: str = "\n\n",
) -> bytes:
    """A mail as Microsoft 365 hands it to the mailbox after its "external sender"
    rule: the warning on top of the plain text, a coloured table on top of the HTML,
    "[EXTERNAL]" in front of the subject."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = f"[EXTERNAL] {subject}"
    m["Date"] = "Wed, 25 Nov 2026 10:15:00 +0300"
    m["Message-ID"] = email.utils.make_msgid(domain="client.example")
    m.set_content(f"{warning}{gap}{body}\n")
    paragraphs = "".join(f"<div>{html.escape(line)}</div>" for line in body.split("\n"))
    m.add_alternative(
        '<html><body><table border="0" width="100%"><tr>'
        '<td style="background:#fff8e5;padding:5pt">'
        f"<b>{html.escape(warning.split(':')[0])}:</b>{html.escape(warning.split(':', 1)[1])}"
        f"</td></tr></table><br>{paragraphs}</body></html>",
        subtype="html",
    )
    return m.as_bytes(policy=SMTP)


def m365_html_only(body: str, warning: str = WARNING) -> bytes:
    raw = m365(body, warning=warning)
    msg = email.message_from_bytes(raw, policy=SMTP)
    html_part = msg.get_body(("html",))
    out = EmailMessage()
    for name in ("From", "To", "Subject", "Date", "Message-ID"):
        out[name] = msg[name]
    out.set_content(html_part.get_content(), subtype="html")
    return out.as_bytes(policy=SMTP)


def test_the_banner_is_not_kept_shown_to_staff_or_in_the_subject(tmp_path, sink):
    desk = banner_desk(tmp_path, sink)
    body = "Здравствуйте! После обновления до 7.0 ошибка 500 при оформлении заказа."
    tid, notice = open_ticket(desk, sink)  # a first ticket: the desk works as ever
    tid = desk.ingest_tid(m365(body))
    t = desk.ticket(tid)
    assert t["subject"] == "Не работает оформление заказа"
    assert t["messages"][0]["text"].strip() == body
    desk.flush()
    notices = [r for r in sink.wait_for(4) if "anna@example.com" in r.rcpt_tos]
    assert "originated from outside" not in notices[-1].text
    assert body in notices[-1].text
    assert "[EXTERNAL]" not in notices[-1].subject


def test_an_html_only_mail_and_a_russian_banner_lose_theirs_too(tmp_path, sink):
    desk = banner_desk(tmp_path, sink)
    tid = desk.ingest_tid(m365_html_only("Ошибка 500\nпри оплате"))
    assert desk.ticket(tid)["messages"][0]["text"].strip() == "Ошибка 500\nпри оплате"
    tid = desk.ingest_tid(m365("Сайт не открывается", warning=RU_WARNING))
    assert desk.ticket(tid)["messages"][0]["text"].strip() == "Сайт не открывается"


def test_a_rating_under_the_banner_is_recorded(tmp_path, sink):
    desk = banner_desk(tmp_path, sink)
    tid, _ = open_ticket(desk, sink)
    desk.ingest(staff_reply(tid, "#close\nВсё исправлено в версии 7.0.1."))
    assert desk.ticket(tid)["status"] == "closed"
    desk.ingest(m365("5\n\nСпасибо!", subject=f"RE: Обращение закрыто [TID#{tid}]"))
    t = desk.ticket(tid)
    assert t["status"] == "closed" and t["rating"] == 5
    rated = [m for m in t["messages"] if m["direction"] == "in" and m["kind"] == "customer"]
    assert rated[-1]["text"].strip() == "5\n\nСпасибо!"


def test_a_staff_answer_from_outside_reaches_the_customer_without_the_banner(tmp_path, sink):
    desk = banner_desk(tmp_path, sink)
    tid, _ = open_ticket(desk, sink)
    answer = "Добрый день! Очистите кэш в настройках магазина, ошибка уйдёт."
    desk.ingest(
        m365(
            answer,
            sender=f"Вера <{VERA}>",
            to=staff_to(tid, VERA),
            subject=f"RE: Новое обращение [TID#{tid}]",
        )
    )
    t = desk.ticket(tid)
    assert t["messages"][-1]["kind"] == "staff" and t["first_reaction_at"]
    desk.flush()
    sink.wait_for(3)
    [relayed] = [r for r in customer_mails(sink) if "Очистите кэш" in r.text]
    assert "originated from outside" not in relayed.text
    assert "EXTERNAL" not in relayed.subject and f"[TID#{tid}]" in relayed.subject


def test_without_banners_listed_the_mail_is_kept_as_it_came(tmp_path, sink):
    desk = banner_desk(tmp_path, sink, banners=[])
    tid = desk.ingest_tid(m365("Ошибка 500"))
    assert desk.ticket(tid)["messages"][0]["text"].strip() == f"{WARNING}\n\nОшибка 500"


def test_a_wrong_banner_list_is_one_line_naming_the_key(tmp_path, sink):
    desk = banner_desk(tmp_path, sink, banners=BANNER)  # a string, not a list
    r = desk.run("check-config")
    assert r.code == 78
    assert "key 'support.inbound_banners' must be a list of texts" in r.err
    assert str(desk.config) in r.err and "Traceback" not in r.err


def test_a_command_and_text_right_under_the_banner_stay(tmp_path, sink):
    """No blank line under the banner (audit): the paragraph it starts went whole, with
    an outside staff member's «#close» and answer (nothing reached the customer, and
    staff were told the text stood in a quote), and a customer's whole request."""
    desk = banner_desk(tmp_path, sink)
    tid, _ = open_ticket(desk, sink)
    answer = "#close\nИван, исправили кеш, проверьте, пожалуйста."
    desk.ingest(
        m365(answer, sender=VERA, to=staff_to(tid, VERA), subject=f"RE: [TID#{tid}]", gap="\n")
    )
    assert desk.ticket(tid)["status"] == "closed"
    desk.flush()
    sink.wait_for(3)
    [relayed] = [r for r in customer_mails(sink) if "исправили кеш" in r.text]
    assert "originated from outside" not in relayed.text
    request = "Здравствуйте! Сайт не работает, ошибка 500.\nКод: 123"
    new = desk.ingest_tid(m365(request, gap="\n"))
    assert desk.ticket(new)["messages"][0]["text"].strip() == request


@pytest.mark.parametrize("bounce", [_qmail, _exim], ids=["qmail", "exim"])
def test_a_plain_text_bounce_under_the_banner_is_read_as_without_it(tmp_path, sink, bounce):
    """The mail system puts its banner on top of a qmail or Exim bounce too: a long
    one pushed the bounce's first line past where it is looked for, and the bounce
    of our own confirmation became a ticket of MAILER-DAEMON's. Read with the banner
    off, it joins the ticket of the mail it returns and marks the address."""
    desk = banner_desk(tmp_path, sink, banners=[WARNING, LEGAL_WARNING])
    assert len(LEGAL_WARNING) > 2000
    tid = desk.ingest_tid(make_mail())
    desk.flush()
    [confirmation] = customer_mails(sink)
    before = len(sink.received)
    head, body = bounce(confirmation.raw).split(b"\r\n\r\n", 1)
    raw = head + b"\r\n\r\n" + LEGAL_WARNING.encode() + b"\r\n\r\n" + body
    assert desk.ingest(raw).out == f"appended [TID#{tid}]\n"
    desk.flush()
    assert [t["tid"] for t in desk.tickets()] == [tid]
    assert "ivan@shop-example.ru" in desk.ticket(tid)["undeliverable"]
    # staff learn the mail failed; the customer's dead address and the daemon get nothing
    sent = sink.received[before:]
    assert sent and all(set(r.rcpt_tos) <= set(STAFF) for r in sent)
    assert all("не доставлено" in r.subject for r in sent)
