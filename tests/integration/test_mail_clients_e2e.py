"""Staff and customers answer from the mail clients they really use (The Bat!, Outlook,
Thunderbird, Apple Mail / iOS, Gmail, Yandex, Mail.ru, Roundcube), each quoting the
real mail it answers its own way. Real CLI, real sink, real ticket files.

What must hold whatever the client: of a staff reply the customer gets what the staff
member wrote and never a line of the quoted staff notice (level, deadline, license,
commands); of a customer reply the ticket keeps what the customer wrote, without the
quoted history, and nothing of what they wrote is lost."""

from __future__ import annotations

import email.policy
import email.utils
import html
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from tests.helpers import PNG, SUPPORT, Daemon, Desk, make_mail, staff_to
from tests.integration.test_serve import wait_until
from tests.integration.test_staff_e2e import customer_mails, open_ticket
from tests.webclient import link_in, request, running_site

ANSWER = ["Иван, здравствуйте.", "Очистите кэш браузера и повторите оплату."]
SIGNATURE = ["-- ", "С уважением,", "Анна Смирнова"]
CUSTOMER_BODY = "Не работает оплата.\n> Ваш платёж отклонён\nЧто делать?"


def mime(
    sender: str, to: str, subject: str, *, plain: str | None = None, html_body: str | None = None
) -> bytes:
    """A mail as the client sends it: plain text (format=flowed as Thunderbird,
    Roundcube, Apple Mail do), HTML only, or both as alternatives."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Date"] = "Thu, 03 Dec 2026 10:20:00 +0300"
    m["Message-ID"] = email.utils.make_msgid(domain="client.example")
    if plain is not None:
        m.set_content(plain, params={"format": "flowed"})
    if html_body is not None:
        if plain is None:
            m.set_content(html_body, subtype="html")
        else:
            m.add_alternative(html_body, subtype="html")
    return m.as_bytes(policy=email.policy.SMTP)


def quoted(lines: list[str], prefix: str = "> ") -> list[str]:
    return [(prefix + s).rstrip() if s.strip() else prefix.rstrip() for s in lines]


def blockquote(lines: list[str]) -> str:
    return "<blockquote>" + "<br>".join(html.escape(s) for s in lines) + "</blockquote>"


def paragraphs(lines: list[str]) -> str:
    return "".join(f"<div>{html.escape(s) or '&nbsp;'}</div>" for s in lines)


# -- the clients, answering a mail (its text lines) from `name <address>` -------------
# Each returns (plain, html) of the reply.

Reply = Callable[[list[str], str, str, list[str]], tuple[str | None, str | None]]


def the_bat(prefix: str, nested: str) -> Reply:
    """The Bat!'s default template; the original quoted with the author's initials
    (``prefix`` for "Служба поддержки": "СП> ", " СП> "), a line already quoted
    gets one ">" more (``nested``: "СП>> ", " СП>> "), the answer below the quote."""

    def reply(original, name, address, answer):
        first = name.split()[0] if name else address
        lines = [
            nested + s.lstrip("> ") if s.startswith(">") else (prefix + s).rstrip()
            for s in original
        ]
        body = [f"Здравствуйте, {first}.", "", "Вы писали 3 декабря 2026 г., 10:00:", ""]
        body += [*lines, "", *answer, "", "-- ", "С уважением,"]
        body.append(" Анна                          mailto:anna@example.com")
        return "\n".join(body) + "\n", None

    return reply


def the_bat_top(original, name, address, answer):
    """The Bat! with the cursor set above the quote (a common change of its template)."""
    body = [*answer, "", "-- ", " Иван", "", "Вы писали 3 декабря 2026 г., 10:00:", ""]
    return "\n".join([*body, *quoted(original, "СП> ")]) + "\n", None


def the_bat_inline(original, name, address, answer):
    """The Bat!, answering between the quoted lines (after the first paragraph)."""
    lines = quoted(original, " СП> ")
    cut = next((i for i, s in enumerate(original) if not s.strip()), 1) + 1
    body = ["Здравствуйте, Служба.", "", "Вы писали 3 декабря 2026 г., 10:00:", ""]
    body += [*lines[:cut], "", *answer, "", *lines[cut:], "", "-- ", " Анна"]
    return "\n".join(body) + "\n", None


def outlook_plain(original, name, address, answer):
    head = [
        "-----Original Message-----",
        f"От: {name} <{address}>",
        "Отправлено: четверг, 3 декабря 2026 г. 10:00",
        "Кому: Анна Смирнова <anna@example.com>",
        "Тема: Новое обращение",
        "",
    ]
    return "\n".join([*answer, "", *SIGNATURE, "", *head, *original]) + "\n", None


def outlook_html(original, name, address, answer):
    head = (
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt">'
        f"<p class=MsoNormal><b>От:</b> {html.escape(name)} &lt;{address}&gt;<br>"
        "<b>Отправлено:</b> 3 декабря 2026 г. 10:00<br><b>Кому:</b> anna@example.com<br>"
        "<b>Тема:</b> Новое обращение</p></div>"
    )
    body = "".join(f"<p class=MsoNormal>{html.escape(s) or '&nbsp;'}</p>" for s in original)
    top = "".join(f"<p class=MsoNormal>{html.escape(s)}</p>" for s in [*answer, "", *SIGNATURE])
    return None, f"<html><body><div class=WordSection1>{top}{head}{body}</div></body></html>"


def outlook_com(original, name, address, answer):
    """Outlook.com / Hotmail web (shape of mailgun/talon's hotmail fixture): a rule, then
    "Date:", "Subject:", "From:", "To:" above the original, unquoted."""
    head = ["Date: Thu, 3 Dec 2026 10:00:00 +0300", "Subject: Новое обращение"]
    head += [f"From: {address}", "To: anna@example.com"]
    rich = f'{paragraphs([*answer, "Анна"])}<hr id="stopSpelling">{"<br>".join(head)}<br><br>'
    return None, f"<html><body>{rich}{paragraphs(original)}</body></html>"


def thunderbird(original, name, address, answer):
    """Thunderbird RU, answer below the quote (its default), format=flowed."""
    head = f"03.12.2026 10:00, {name} пишет:"
    return "\n".join([head, *quoted(original), "", *answer, "", *SIGNATURE]) + "\n", None


def apple_ios(original, name, address, answer):
    """iOS Mail RU: the attribution is quoted with the text, under "Отправлено с iPhone"."""
    head = f"3 дек. 2026 г., в 10:00, {name} <{address}> написал(а):"
    text = [*answer, "", "Отправлено с iPhone", "", *quoted([head, "", *original])]
    return "\n".join(text) + "\n", None


def gmail_web(original, name, address, answer):
    head = f"чт, 3 дек. 2026 г. в 10:00, {name} <{address}>:"
    plain = "\n".join([*answer, "", head, "", *quoted(original)]) + "\n"
    rich = (
        f'<div dir="ltr">{paragraphs(answer)}</div><br><div class="gmail_quote">'
        f'<div dir="ltr" class="gmail_attr">{html.escape(head)}<br></div>'
        f'<blockquote class="gmail_quote">{"<br>".join(html.escape(s) for s in original)}'
        "</blockquote></div>"
    )
    return plain, rich


def gmail_android(original, name, address, answer):
    head = f"чт, 3 дек. 2026 г., 10:00 {name} <{address}>:"
    return "\n".join([*answer, "", head, "", *quoted(original)]) + "\n", None


def yandex_web(original, name, address, answer):
    head = f'03.12.2026, 10:00, "{name}" <{address}>:'
    rich = f"{paragraphs(answer)}<div>&nbsp;</div><div>{html.escape(head)}</div>"
    return None, rich + blockquote(original)


def yandex_mobile(original, name, address, answer):
    head = f'03.12.2026, 10:00, "{name}" <{address}>:'
    lines = [*answer, "", "--", "Отправлено из мобильной Яндекс Почты", "", head]
    return None, paragraphs(lines) + blockquote(original)


def mailru(original, name, address, answer):
    head = f"Четверг, 3 декабря 2026, 10:00 +03:00 от {name} <{address}>:"
    lines = [*answer, "", "--", "Отправлено из Почты Mail.ru", "", head]
    return None, f"<html><body>{paragraphs(lines)}{blockquote(original)}</body></html>"


def yahoo(original, name, address, answer):
    """Yahoo Mail RU (shape of real Yahoo replies in public archives): its attribution
    ends with «написал(-а):», the original stands under it in a div, not quoted."""
    head = f"четверг, 3 декабря 2026 г., 10:00:24 GMT+3, {name} <{address}> написал(-а):"
    quote = f'<div class="yahoo_quoted"><div>{html.escape(head)}</div><div><br></div>'
    return None, f"{paragraphs(answer)}<div><br></div>{quote}{paragraphs(original)}</div>"


def samsung(original, name, address, answer):
    """Samsung Email on Android (RU): its tagline under the answer, then the original
    unquoted under «-------- Исходное сообщение --------» and its header lines."""
    head = ["-------- Исходное сообщение --------", f"От: {name} <{address}>"]
    head += ["Дата: 03.12.2026 10:00 (GMT+03:00)", "Кому: anna@example.com", "Тема: Новое", ""]
    lines = [*answer, "", "", "", "Отправлено с устройства Samsung Galaxy", "", "", *head]
    return "\n".join([*lines, *original]) + "\n", None


def roundcube(original, name, address, answer):
    head = f"03.12.2026 10:00, {name} написал(а):"
    return "\n".join([*answer, "", head, "", *quoted(original)]) + "\n", None


CLIENTS: dict[str, Reply] = {
    "the_bat": the_bat("СП> ", "СП>> "),
    "the_bat_space": the_bat(" СП> ", " СП>> "),
    "the_bat_top": the_bat_top,
    "the_bat_inline": the_bat_inline,
    "outlook_plain": outlook_plain,
    "outlook_html": outlook_html,
    "outlook_com": outlook_com,
    "thunderbird": thunderbird,
    "apple_ios": apple_ios,
    "gmail_web": gmail_web,
    "gmail_android": gmail_android,
    "yandex_web": yandex_web,
    "yandex_mobile": yandex_mobile,
    "mailru": mailru,
    "roundcube": roundcube,
    "samsung": samsung,
    "yahoo": yahoo,
}


def _unquoted(line: str) -> str:
    """A line without any client's quote prefix ("> ", "СП> ", " СП>> ")."""
    head, sep, rest = line.partition(">")
    return rest.lstrip("> ").strip() if sep and len(head.strip()) <= 3 else line.strip()


@pytest.mark.parametrize("client", CLIENTS)
def test_staff_reply_from_each_client_sends_the_answer_and_none_of_the_notice(
    desk: Desk, sink, client: str
):
    desk.run(
        "license", "add", "--key", "ADV-2026-0042", "--level", "vip",
        "--email", "ivan@shop-example.ru", "--name", "ООО Магазин",
    )  # fmt: skip
    tid, notice = open_ticket(desk, sink, body=CUSTOMER_BODY)
    lines = notice.text.splitlines()
    start, end = lines.index("----- текст обращения -----"), lines.index("----- конец текста -----")
    own = {s.strip() for s in lines[: start + 1] + lines[end:] if s.strip()}
    assert "ADV-2026-0042" in notice.text and "#assign (#назначить) <адрес>" in notice.text
    sender = email.utils.parseaddr(str(notice.msg["From"]))
    plain, rich = CLIENTS[client](lines, sender[0], sender[1], ANSWER)
    raw = mime(
        "Анна Смирнова <anna@example.com>",
        staff_to(tid),
        f"Re: {notice.subject}",
        plain=plain,
        html_body=rich,
    )
    desk.ingest(raw)
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]
    got = answer.text.splitlines()
    assert all(s in got for s in ANSWER), answer.text
    # The Bat!'s template greets the mail answered: «Здравствуйте, Служба.» is not the
    # customer's
    assert not [s for s in got if s.startswith("Здравствуйте, Служба")], answer.text
    # an attribution naming support over what is left of its quote, the customer's own
    # words, would tell the customer support wrote them
    said = [s for s in got if s.rstrip().endswith(":") and ("Служба" in s or SUPPORT in s)]
    assert said == [], answer.text
    leaked = [s for s in got if _unquoted(s) in own]
    assert leaked == [], answer.text
    # the customer's own words quoted back (The Bat! answered below its quote) are
    # quoted «> »: under support's initials («СП> ») they read as support's
    assert not [s for s in got if s.lstrip().startswith("СП>")], answer.text
    if client in ("the_bat", "the_bat_space"):
        assert "> Не работает оплата." in got and ">> Ваш платёж отклонён" in got, answer.text
    [stored] = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "staff"]
    assert [s for s in stored.splitlines() if _unquoted(s) in own] == []
    assert SUPPORT in str(answer.msg["From"])


def outlook_logo(original, name, address, answer):
    """Outlook desktop: its signature (no "-- " above it) with the company logo pasted
    in, under the answer and above the «От:» block; the logo is a file of the mail."""
    mark = "[cid:image001.png@01DB4567.89ABCDEF]"
    signature = ["С уважением,", "Анна Смирнова", "Служба поддержки ООО «Пример»", mark]
    plain, _ = outlook_plain(original, name, address, [*answer, "", *signature])
    return plain.replace("\n-- \n", "\n").replace("-----Original Message-----\n", ""), None


def outlook_disclaimer(original, name, address, answer):
    """Outlook desktop with a company signature: the post, phones, and the legal
    footer of every mail the company sends."""
    footer = (
        "Это сообщение и любые вложения к нему являются конфиденциальными и предназначены "
        "исключительно для адресата. Если вы получили это сообщение по ошибке, пожалуйста, "
        "сообщите отправителю и удалите его."
    )
    signature = ["С уважением,", "Анна Смирнова", "Ведущий специалист", "Тел.: +7 495 123-45-67"]
    plain, _ = outlook_plain(original, name, address, [*answer, "", *signature, "", footer])
    return plain.replace("\n-- \n", "\n").replace("-----Original Message-----\n", ""), None


OWN_LINES = {"outlook_logo": outlook_logo, "outlook_disclaimer": outlook_disclaimer}


# outlook_com signs with a bare name, as like a one-word answer («Да») as can be
@pytest.mark.parametrize("client", [*(c for c in CLIENTS if c != "outlook_com"), *OWN_LINES])
def test_a_command_over_the_clients_own_lines_sends_no_answer(desk: Desk, sink, client: str):
    """ "#take" typed above what the client adds itself (a greeting from its template,
    a signature, "Отправлено с iPhone", the attribution over the customer's quoted
    text): the customer got a mail of those lines alone, or of their own question
    quoted back, and no word that work had started. Nothing was typed for them: the
    command's own notice goes, as for "#take" alone."""
    tid, notice = open_ticket(desk, sink, body=CUSTOMER_BODY)
    sender = email.utils.parseaddr(str(notice.msg["From"]))
    make = OWN_LINES.get(client) or CLIENTS[client]
    plain, rich = make(notice.text.splitlines(), sender[0], sender[1], ["#take"])
    desk.ingest(
        mime("Анна <anna@example.com>", staff_to(tid), "Re: x", plain=plain, html_body=rich)
    )
    desk.flush()
    mails = [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]
    assert [r.subject for r in mails] == [
        f"Работа по обращению начата: Не работает оформление заказа [TID#{tid}]"
    ], mails[0].text
    assert not sink.to("anna@example.com")[1:]  # nothing to tell Anna: she typed nothing
    assert desk.ticket(tid)["status"] == "open"


@pytest.mark.parametrize("typed", [[*ANSWER, "#close"], ["#take"]])
def test_outlook_attaching_the_original_sends_the_answer(desk: Desk, sink, typed: list[str]):
    """Outlook set to attach the original to a reply («Вложить исходное сообщение»)
    sends the notice as message/rfc822 under the answer. Every such reply was refused
    («не удалось отделить от цитаты»), «#take» alone too; now the notice is the mail
    answered: the answer goes, without the customer's own screenshot it carried."""
    shot = ("скрин.png", "image/png", PNG)
    tid, notice = open_ticket(desk, sink, body=CUSTOMER_BODY, attachments=[shot])
    m = EmailMessage()
    m["From"], m["To"] = "Анна Смирнова <anna@example.com>", staff_to(tid)
    m["Subject"], m["Message-ID"] = f"RE: {notice.subject}", "<r1@corp.example>"
    m.set_content("\n".join(typed) + "\n")
    m.add_attachment(email.message_from_bytes(notice.raw, policy=email.policy.default))
    desk.ingest(m.as_bytes(policy=email.policy.SMTP))
    desk.flush()
    assert not [r for r in sink.to("anna@example.com") if "Команды не выполнены" in r.subject]
    [mail] = [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]
    if typed == ["#take"]:
        assert mail.subject.startswith("Работа по обращению начата")
        assert desk.ticket(tid)["status"] == "open"
        assert not sink.to("anna@example.com")[1:]  # nothing to tell: nothing lost
        return
    assert mail.text.splitlines()[:2] == ANSWER and "Уровень:" not in mail.text
    assert [p.get_filename() for p in mail.msg.iter_attachments()] == []
    assert desk.ticket(tid)["status"] == "closed"


def test_an_outlook_answer_in_html_alone_reads_as_typed(desk: Desk, sink):
    """Outlook writes each line typed as a paragraph of its own (class MsoNormal,
    without margins), an empty one for a blank line. Sent as HTML alone, the answer
    reached the customer with a blank line between every two lines: a list of steps
    and the signature spread out, blank lines typed lost among them."""
    tid, notice = open_ticket(desk, sink, body=CUSTOMER_BODY)
    typed = [
        "Иван, здравствуйте.",
        "",
        "Сделайте так:",
        "1. Очистите кэш браузера.",
        "2. Повторите оплату.",
    ]
    sender = email.utils.parseaddr(str(notice.msg["From"]))
    _, rich = outlook_html(notice.text.splitlines(), sender[0], sender[1], typed)
    desk.ingest(mime("Анна <anna@example.com>", staff_to(tid), "Re: x", html_body=rich))
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]
    expected = [*typed, "", *(s.rstrip() for s in SIGNATURE)]
    assert answer.text.splitlines()[: len(expected)] == expected, answer.text


@pytest.mark.parametrize("client", ["webmail", "outlook"])
def test_numbered_steps_of_an_html_answer_keep_their_numbers(desk: Desk, sink, client: str):
    """Steps typed as a numbered list: webmail (Yandex, Mail.ru) sends <ol>, which
    reached the customer as «- » bullets («на шаге 2» then pointed nowhere); Outlook
    writes each item as a MsoListParagraph, which came a blank line apart."""
    tid, _ = open_ticket(desk, sink)
    steps = ["Очистите кэш браузера.", "Повторите оплату."]
    if client == "webmail":
        rich = f"<div>Сделайте так:</div><ol>{''.join(f'<li>{s}</li>' for s in steps)}</ol>"
    else:
        rich = "<div class=WordSection1><p class=MsoNormal>Сделайте так:</p>" + "".join(
            f"<p class=MsoListParagraphCxSpMiddle style='mso-list:l0 level1 lfo1'>"
            f"<![if !supportLists]><span style='mso-list:Ignore'>{n}.<span style='font:7.0pt"
            f' "Times New Roman"\'>&nbsp;&nbsp;&nbsp; </span></span><![endif]>{s}</p>'
            for n, s in enumerate(steps, 1)
        )
    desk.ingest(mime("Анна <anna@example.com>", staff_to(tid), "Re: x", html_body=rich))
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]
    expected = ["Сделайте так:", "1. Очистите кэш браузера.", "2. Повторите оплату."]
    assert answer.text.splitlines()[:3] == expected, answer.text


@pytest.mark.parametrize("where", ["above", "below"])
def test_a_command_a_phone_ended_with_a_period_runs(desk: Desk, sink, where: str):
    """iOS and Android keyboards type ". " for a double space: «#close.» under the
    answer went to the customer as text and the ticket stayed open; above it, the
    reply stopped with «лишнее: «.»». A command's line ends where the sentence does."""
    tid, notice = open_ticket(desk, sink, body=CUSTOMER_BODY)
    sender = email.utils.parseaddr(str(notice.msg["From"]))
    typed = ["#close.", *ANSWER] if where == "above" else [*ANSWER, "#Close."]
    plain, _ = apple_ios(notice.text.splitlines(), sender[0], sender[1], typed)
    desk.ingest(mime("Анна <anna@example.com>", staff_to(tid), "Re: x", plain=plain))
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]
    assert all(s in answer.text for s in ANSWER) and "close" not in answer.text.lower()
    assert "завершена, обращение закрыто" in answer.text
    assert desk.ticket(tid)["status"] == "closed"
    assert not sink.to("anna@example.com")[1:]


def legacy(sender: str, to: str, subject: str, plain: str, charset: str) -> bytes:
    """A plain mail in a one-byte charset, as Outlook and The Bat! set up for KOI8-R
    send it: a character the charset lacks («», —) goes as "?"."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Message-ID"] = email.utils.make_msgid(domain="client.example")
    m["Content-Type"] = f"text/plain; charset={charset}"
    m["Content-Transfer-Encoding"] = "8bit"
    head = m.as_bytes(policy=email.policy.SMTP)
    return head + plain.encode(charset, "replace").replace(b"\n", b"\r\n")


@pytest.mark.parametrize("client", ["the_bat", "outlook_plain", "thunderbird"])
def test_staff_reply_in_koi8_r_sends_the_answer(desk: Desk, sink, client: str):
    """The notice holds «», — that KOI8-R has not: the client quoting it in KOI8-R sets
    "?" in their place. Those quoted lines were in no mail of the ticket, so they
    counted as typed inside the quote: the answer above did not go, and the staff
    member was told their text stood in the quote, with lines of the cheat sheet."""
    tid, notice = open_ticket(desk, sink, body=CUSTOMER_BODY)
    assert "«" in notice.text and "—" in notice.text
    sender = email.utils.parseaddr(str(notice.msg["From"]))
    plain, _ = CLIENTS[client](notice.text.splitlines(), sender[0], sender[1], ANSWER)
    subject = f"Re: {notice.subject}"
    desk.ingest(legacy("Анна <anna@example.com>", staff_to(tid), subject, plain, "koi8-r"))
    desk.flush()
    assert not [r for r in sink.to("anna@example.com") if "не отправлен" in r.subject]
    [answer] = [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]
    got = answer.text.splitlines()
    assert all(s in got for s in ANSWER), answer.text
    assert "#close" not in answer.text and "Уровень" not in answer.text


@pytest.mark.parametrize("client", ["the_bat", "outlook_plain"])
def test_a_command_typed_with_the_number_sign_in_koi8_r_runs(desk: Desk, sink, client: str):
    """«№сдщыу»: the Russian layout left on, Shift+3 types «№», which KOI8-R has not; the
    client sent «?сдщыу». The customer got that line with the answer and the ticket
    stayed open."""
    tid, notice = open_ticket(desk, sink, body=CUSTOMER_BODY)
    sender = email.utils.parseaddr(str(notice.msg["From"]))
    typed = [*ANSWER, "№сдщыу"]
    plain, _ = CLIENTS[client](notice.text.splitlines(), sender[0], sender[1], typed)
    raw = legacy("Анна <anna@example.com>", staff_to(tid), "Re: x", plain, "koi8-r")
    assert "\n?сдщыу".encode("koi8-r") in raw.replace(b"\r\n", b"\n")
    desk.ingest(raw)
    desk.flush()
    [answer] = [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]
    assert all(s in answer.text.splitlines() for s in ANSWER) and "сдщыу" not in answer.text
    assert desk.ticket(tid)["status"] == "closed"


# -- an answer typed inside the quote -------------------------------------------------
# iOS / Apple Mail, Yandex and Mail.ru webmail keep what is typed inside a quote
# quoted (a blockquote); a greeting above it is then all that is outside.


def ios_inside(above: list[str], quoted_before: list[str], inside: list[str], after: list[str]):
    head = "3 дек. 2026 г., в 10:00, Служба поддержки &lt;support@example.com&gt; написал(а):"
    lines = [*(html.escape(s) for s in quoted_before), "", *inside, "", *after]
    return (
        f'{paragraphs([*above, "", "Отправлено с iPhone"])}<blockquote type="cite">'
        f"{head}<br><br>{'<br>'.join(html.escape(s) for s in lines)}</blockquote>"
    )


def webmail_inside(above, quoted_before, inside, after):
    head = html.escape('03.12.2026, 10:00, "Служба поддержки" <support@example.com>:')
    return f"{paragraphs(above)}<div>{head}</div>" + blockquote(
        [*quoted_before, "", *inside, "", *after]
    )


@pytest.mark.parametrize("client", [ios_inside, webmail_inside])
def test_an_answer_typed_inside_the_quote_is_not_sent_in_part(desk: Desk, sink, client):
    """The greeting above the quote, the answer typed inside it: the customer got
    «Иван, здравствуйте.» alone, the answer was dropped, and nobody was told. Now
    nothing goes, the staff member gets «Ответ клиенту не отправлен» with the lines."""
    tid, notice = open_ticket(desk, sink, body=CUSTOMER_BODY)
    lines = notice.text.splitlines()
    end = lines.index("----- конец текста -----") + 1
    inside = ["Очистите кэш браузера и повторите оплату."]
    rich = client(ANSWER[:1], lines[:end], inside, lines[end:])
    raw = mime("Анна <anna@example.com>", staff_to(tid), f"Re: {notice.subject}", html_body=rich)
    desk.ingest(raw)
    desk.flush()
    sent = [r for r in customer_mails(sink) if "Обращение зарегистрировано" not in r.subject]
    assert sent == [], sent[0].text
    [told] = [r for r in sink.to("anna@example.com") if "не отправлен" in r.subject]
    assert f"    {inside[0]}" in told.text.splitlines()
    assert "Уровень:" not in told.text
    [note] = [m for m in desk.ticket(tid)["messages"] if m["from"] == "anna@example.com"]
    assert note["kind"] == "note" and inside[0] in note["text"]
    # a #note goes to nobody: typed the same way, its text above the quote is kept
    more = ["Перезвонить в среду."]
    rich = client(["#note", "Клиенту звонили."], lines[:end], more, lines[end:])
    desk.ingest(mime("Анна <anna@example.com>", staff_to(tid), "Re: заметка", html_body=rich))
    assert "Клиенту звонили." in desk.ticket(tid)["messages"][-1]["text"]


# -- customers answer the staff answer ------------------------------------------------

NEWS = ["Спасибо, кэш очистил, оплата прошла.", "Но чек на почту не пришёл."]
STAFF_ANSWER = ["Иван, здравствуйте.", "Очистите кэш браузера и повторите оплату."]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from running_site(tmp_path_factory.mktemp("clients"))


def send(daemon: Daemon, raw: bytes, sender: str, to: str) -> None:
    with smtplib.SMTP("127.0.0.1", daemon.port) as s:
        s.sendmail(sender, [to], raw)


def page_text(url: str) -> list[str]:
    """The lines of the messages a ticket's page shows, as the customer reads them."""
    body = request(url).text
    texts = body.split('<pre class="text">')[1:]
    return [s for t in texts for s in html.unescape(t.split("</pre>", 1)[0]).splitlines()]


def answered(site, sender: str, subject: str, staff_lines: list[str]):
    """Through `maild serve`: `sender` ("Name <address>") opens a ticket, Anna answers
    with `staff_lines`; (tid, the confirmation, the answer as the customer got it)."""
    _desk, daemon, sink, _base = site
    customer = email.utils.parseaddr(sender)[1]
    send(daemon, make_mail(sender=sender, subject=subject, body=CUSTOMER_BODY), customer, SUPPORT)
    [conf] = wait_until(lambda: [r for r in sink.to(customer) if subject in r.subject])
    tid = conf.subject.split("[TID#", 1)[1].split("]", 1)[0]
    staff = make_mail(
        sender="Анна <anna@example.com>", to=staff_to(tid), subject=f"Re: [TID#{tid}]",
        body="\n".join(staff_lines),
    )  # fmt: skip
    send(daemon, staff, "anna@example.com", staff_to(tid))
    [answer] = wait_until(
        lambda: [r for r in sink.to(customer) if tid in r.subject and STAFF_ANSWER[1] in r.text]
    )
    return tid, conf, answer


@pytest.mark.parametrize("client", ["gmail_android", "thunderbird", "the_bat"])
def test_customer_reply_to_an_answer_with_its_notices_is_shown_once(site, client: str):
    """ "#close" under the answer folds the closing notice into the one mail the
    customer gets; their «Спасибо» quoting it all showed the quote again on the site,
    the notice's lines being in no mail the ticket kept."""
    desk, daemon, _sink, base = site
    customer = f"petr.{client.replace('_', '-')}@shop-example.ru"
    tid, conf, answer = answered(
        site, f"Пётр <{customer}>", f"Закрытие ({client})", ["#close", *STAFF_ANSWER]
    )
    name, address = email.utils.parseaddr(str(answer.msg["From"]))
    plain, rich = CLIENTS[client](answer.text.splitlines(), name, address, NEWS)
    reply = mime(f"Пётр <{customer}>", SUPPORT, f"Re: {answer.subject}", plain=plain)
    send(daemon, reply, customer, SUPPORT)
    assert wait_until(lambda: [m for m in desk.ticket(tid)["messages"] if NEWS[0] in m["text"]])
    shown = page_text(link_in(conf.text, base))
    assert all(s in shown for s in NEWS), shown
    assert len([s for s in shown if _unquoted(s) == STAFF_ANSWER[1]]) == 1, shown


# Text typed between quoted lines (quote, answer, quote, signature).
INLINE = {"the_bat_inline"}


@pytest.mark.parametrize("client", CLIENTS)
def test_customer_reply_from_each_client_is_shown_without_the_quoted_answer(site, client: str):
    """The customer answers the staff answer from their client, quoting it its way: the
    ticket keeps the mail whole, the site shows what they wrote once (the staff answer
    stands above it already), and none of what they wrote is lost."""
    desk, daemon, _sink, base = site
    customer = f"ivan.{client.replace('_', '-')}@shop-example.ru"  # one each: no mail cap
    tid, conf, answer = answered(
        site,
        f"Иван Петров <{customer}>",
        f"Оплата ({client})",
        [*STAFF_ANSWER, "", "-- ", "Анна Смирнова"],
    )
    link = link_in(conf.text, base)
    name, address = email.utils.parseaddr(str(answer.msg["From"]))
    plain, rich = CLIENTS[client](answer.text.splitlines(), name, address, NEWS)
    raw = mime(
        f"Иван Петров <{customer}>", SUPPORT, f"Re: {answer.subject}", plain=plain, html_body=rich
    )
    send(daemon, raw, customer, SUPPORT)
    assert wait_until(
        lambda: (
            len(desk.ticket(tid)["messages"]) >= 6
            and any(
                NEWS[0] in m["text"]
                for m in desk.ticket(tid)["messages"]
                if m["kind"] == "customer"
            )
        )
    )
    stored = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"][-1]
    assert all(s in stored for s in NEWS)  # the mail as it came
    shown = page_text(link)
    assert all(s in shown for s in NEWS), shown  # nothing the customer wrote is lost
    repeated = [s for s in shown if _unquoted(s) == STAFF_ANSWER[1]]
    if client in INLINE:  # the quoted lines show what each part answers: they stay
        assert len(repeated) == 2 and shown.index(repeated[1]) < shown.index(NEWS[0])
        return
    assert len(repeated) == 1, shown  # the staff answer once, not again under the reply
    assert not [s for s in shown if "писали" in s or "пишет:" in s or "написал" in s], shown


def outlook_inside(above, quoted_before, inside, after):
    """Outlook: the original unquoted under its «От:» block, answers typed into it."""
    _, rich = outlook_html([*quoted_before, *inside, *after], "Служба поддержки", SUPPORT, above)
    return rich


@pytest.mark.parametrize("client", [ios_inside, webmail_inside, outlook_inside])
def test_customer_text_typed_inside_the_quote_is_shown(site, client):
    """A customer of iOS Mail or webmail writes a line above the quote and the rest
    inside it, where such clients keep it quoted (Outlook: into the original under
    its «От:» block): the site showed the line above alone. What no mail of the
    ticket holds is the customer's: the mail shows whole."""
    desk, daemon, _sink, base = site
    customer = f"oleg.{client.__name__.replace('_', '-')}@shop-example.ru"
    tid, conf, answer = answered(
        site, f"Олег <{customer}>", f"Чек ({client.__name__})", STAFF_ANSWER
    )
    rich = client(["Добрый день."], answer.text.splitlines(), NEWS, [])
    send(daemon, mime(f"Олег <{customer}>", SUPPORT, f"Re: {answer.subject}", html_body=rich),
         customer, SUPPORT)  # fmt: skip
    assert wait_until(
        lambda: [m for m in desk.ticket(tid)["messages"] if "Добрый день." in m["text"]]
    )
    shown = page_text(link_in(conf.text, base))
    assert "Добрый день." in shown
    assert all(any(s in line for line in shown) for s in NEWS), shown


def test_short_answers_typed_inside_outlooks_quote_are_shown(site):
    """Anna asks; the customer answers «Да» and «Нет» under her questions inside
    Outlook's unquoted original. Words of any thread (of the questions themselves),
    the lines were taken for quoted and the site showed the line above alone."""
    desk, daemon, _sink, base = site
    customer = "oleg.outlook-short@shop-example.ru"
    questions = ["Вы обновляли модуль? Если да, то когда?", "Ошибка у всех или нет?"]
    tid, conf, answer = answered(
        site, f"Олег <{customer}>", "Модуль оплаты", [*STAFF_ANSWER, *questions]
    )
    original = answer.text.splitlines()
    for question, typed in zip(questions, ["Да", "Нет"], strict=True):
        original.insert(original.index(question) + 1, typed)
    _, rich = outlook_html(original, "Служба поддержки", SUPPORT, ["Ответы ниже."])
    send(daemon, mime(f"Олег <{customer}>", SUPPORT, f"Re: {answer.subject}", html_body=rich),
         customer, SUPPORT)  # fmt: skip
    assert wait_until(
        lambda: [m for m in desk.ticket(tid)["messages"] if "Ответы ниже." in m["text"]]
    )
    shown = last_entry(link_in(conf.text, base))
    assert shown[shown.index(questions[0]) + 1] == "Да", shown
    assert shown[shown.index(questions[1]) + 1] == "Нет", shown


def last_entry(url: str) -> list[str]:
    """The lines of the last message a ticket's page shows."""
    body = request(url).text
    return html.unescape(body.split('<pre class="text">')[-1].split("</pre>", 1)[0]).splitlines()


@pytest.mark.parametrize("client", ["outlook_plain", "outlook_html", "thunderbird", "gmail_web"])
def test_the_staff_notice_of_a_customer_reply_shows_what_the_site_shows(site, client: str):
    """The staff notice of a customer's reply repeated the whole quoted thread under it
    (the answer, the site's link, the signature), which the site leaves out: both now
    show the customer's mail by one rule (domain.owntext), line for line."""
    desk, daemon, sink, base = site
    customer = f"olga.{client.replace('_', '-')}@shop-example.ru"
    tid, conf, answer = answered(
        site, f"Ольга <{customer}>", f"Уведомление ({client})", [*STAFF_ANSWER, "", "Анна"]
    )
    assert f"{base}/t/" in answer.text  # the site's link under the answer, quoted too
    name, address = email.utils.parseaddr(str(answer.msg["From"]))
    plain, rich = CLIENTS[client](answer.text.splitlines(), name, address, NEWS)
    seen = len(sink.to("anna@example.com"))
    raw = mime(f"Ольга <{customer}>", SUPPORT, f"Re: {answer.subject}", plain=plain,
               html_body=rich)  # fmt: skip
    send(daemon, raw, customer, SUPPORT)
    [notice] = wait_until(
        lambda: [r for r in sink.to("anna@example.com")[seen:] if f"[TID#{tid}]" in r.subject]
    )
    lines = notice.text.splitlines()
    start, end = lines.index("----- текст письма -----"), lines.index("----- конец текста -----")
    shown = lines[start + 1 : end]
    # line for line (mail to staff ends no line in a space: the signature's «-- »)
    assert shown == [s.rstrip() for s in last_entry(link_in(conf.text, base))], notice.text
    assert all(s in shown for s in NEWS) and STAFF_ANSWER[1] not in notice.text
    assert "Цитата прежней переписки" in notice.text
