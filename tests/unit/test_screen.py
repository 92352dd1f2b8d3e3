"""Unit tests for maild.domain.screen: robots, lists, bounces and loops are never answered.

Messages are raw mail run through parse(), so the header plumbing is tested too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maild.domain.message import parse
from maild.domain.screen import Screening, automatic_signs, screen, vendor_sign

SUPPORT = "support@example.com"
CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
CASES = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["cases"]


def screened(*headers: str, sender: str | None = "Иван Петров <ivan@shop.example>") -> Screening:
    lines = [f"From: {sender}"] if sender is not None else []
    lines += [
        f"To: {SUPPORT}",
        "Subject: =?utf-8?B?0J3QtSDRgNCw0LHQvtGC0LDQtdGCINGB0LDQudGC?=",
        "Message-ID: <m1@shop.example>",
        *headers,
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Здравствуйте! Сайт не открывается.",
    ]
    return screen(parse("\r\n".join(lines).encode()), SUPPORT)


def test_a_human_message_passes() -> None:
    result = screened("X-Mailer: Microsoft Outlook 16.0", "Precedence: normal")
    assert result == Screening(False)
    assert result.reason is None and not result.bounce


@pytest.mark.parametrize(
    "value", ["auto-replied", "auto-generated", "auto-notified", "Auto-Replied", "auto-replied; x"]
)
def test_auto_submitted_other_than_no_is_automated(value: str) -> None:
    result = screened(f"Auto-Submitted: {value}")
    assert result.automated and "Auto-Submitted" in result.reason


@pytest.mark.parametrize("value", ["no", "No", " no ", "no (a person wrote this)"])
def test_auto_submitted_no_is_a_human(value: str) -> None:
    assert not screened(f"Auto-Submitted: {value}").automated


@pytest.mark.parametrize("value", ["bulk", "junk", "list", "Bulk", "auto_reply"])
def test_precedence_bulk_junk_list_is_automated(value: str) -> None:
    result = screened(f"Precedence: {value}")
    assert result.automated and "Precedence" in result.reason


@pytest.mark.parametrize("value", ["normal", "urgent", "first-class"])
def test_other_precedence_is_a_human(value: str) -> None:
    assert not screened(f"Precedence: {value}").automated


@pytest.mark.parametrize(
    "header",
    ["X-Autoreply: yes", "X-Autoreply: 1", "X-Autorespond: vacation", "X-Autoreply:"],
)
def test_x_autoreply_and_x_autorespond_are_automated(header: str) -> None:
    assert screened(header).automated


@pytest.mark.parametrize(
    "value", ["All", "OOF, AutoReply", "DR, RN, NRN, OOF, AutoReply", "AutoReply", "OOF"]
)
def test_x_auto_response_suppress_asking_for_no_auto_reply_is_honoured(value: str) -> None:
    """No automatic answer goes; a person wrote it all the same (Exchange stamps it
    on people's mail sent to a distribution list), so it is no robot's."""
    result = screened(f"X-Auto-Response-Suppress: {value}")
    assert not result.may_answer and "X-Auto-Response-Suppress" in result.reason
    assert result.quiet and not result.automated


def test_x_auto_response_suppress_on_a_staff_members_mail_is_their_mail() -> None:
    """Exchange sets it on people's mail: a staff member's reply is still theirs, and
    their out-of-office is still one by its subject."""
    mail = (
        "From: Анна <anna@example.com>\r\nTo: support@example.com\r\nSubject: {}\r\n"
        "X-Auto-Response-Suppress: All\r\n\r\nИван, очистите кэш.\r\n"
    )
    reply = parse(mail.format("RE: [TID#1234-5678]").encode())
    assert not screen(reply, SUPPORT).automated
    ooo = parse(mail.format("Automatic reply: [TID#1234-5678]").encode())
    assert screen(ooo, SUPPORT).automated


def test_x_auto_response_suppress_for_receipts_only_is_a_human() -> None:
    # Only read and delivery receipts are suppressed: an auto-reply is still welcome.
    assert not screened("X-Auto-Response-Suppress: DR, RN, NRN").automated


@pytest.mark.parametrize(
    "header",
    [
        "List-Id: PHP Russian users <php-ru.lists.example.org>",
        "List-Id: <announce.hosting.example>",
        "List-Unsubscribe: <mailto:leave@lists.example.org>",
        "List-Unsubscribe: <https://news.example/unsub?u=1>",
    ],
)
def test_mailing_list_messages_are_automated(header: str) -> None:
    result = screened(header)
    assert result.automated and "рассылк" in result.reason


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.example.net",
        "Mail Delivery System <MAILER-DAEMON@mx.example.net>",
        "mailer-daemon@googlemail.example",
        "postmaster@shop.example",
        "noreply@bank.example",
        "no-reply@accounts.example",
        "NoReply <NOREPLY@Shop.Example>",
        "do-not-reply@portal.example",
        "donotreply@portal.example",
        "noreply.notifications@tracker.example",
        "bounces+ivan=shop.example@lists.example",
    ],
)
def test_robot_sender_addresses_are_automated(sender: str) -> None:
    assert screened(sender=sender).automated


@pytest.mark.parametrize(
    "sender",
    ["norman@shop.example", "replyto@shop.example", "postman@shop.example", "daemonova@ya.example"],
)
def test_similar_human_addresses_pass(sender: str) -> None:
    assert not screened(sender=sender).automated


@pytest.mark.parametrize(
    "sender",
    [
        SUPPORT,
        "Служба поддержки <Support@Example.COM>",
        "support+tid-1234@example.com",
    ],
)
def test_the_support_address_itself_is_a_loop(sender: str) -> None:
    result = screened(sender=sender)
    assert result.automated and "петля" in result.reason


@pytest.mark.parametrize(
    ("headers", "automated"),
    [
        ((), False),
        (("X-Loop: team@lists.example.org",), False),
        (("X-Auto-Response-Suppress: All",), False),
        (("Precedence: auto_reply",), True),
        (("X-Autoreply: yes",), True),
        (("Auto-Submitted: auto-replied",), True),
        ((f"X-Loop: {SUPPORT}",), True),
    ],
)
def test_mail_from_the_support_address_has_its_own_signs_judged_apart(headers, automated) -> None:
    """screen() calls any mail From support a loop; automatic_signs() is the rest of
    the one rule, its From aside (a staff client sending "as" support: staffmail)."""
    lines = [f"From: {SUPPORT}", f"To: {SUPPORT}", "Subject: Re: Заказ", *headers, "", "Текст"]
    msg = parse("\r\n".join(lines).encode())
    assert screen(msg, SUPPORT).automated
    assert automatic_signs(msg, SUPPORT).automated is automated


def test_support_at_another_domain_is_a_human() -> None:
    assert not screened(sender="support@shop.example").automated


@pytest.mark.parametrize("value", [SUPPORT, "SUPPORT@example.com", f"<{SUPPORT}>"])
def test_x_loop_with_the_support_address_is_a_loop(value: str) -> None:
    result = screened(f"X-Loop: {value}")
    assert result.automated and "X-Loop" in result.reason


@pytest.mark.parametrize("value", [f"it-{SUPPORT}", f"{SUPPORT}.ua", f"<my{SUPPORT}>"])
def test_x_loop_naming_an_address_that_holds_support_s_is_no_loop(value: str) -> None:
    """The support address as a whole word only, as the sender's is (pivan@ is not
    ivan@): a colleague's procmail forward stamped "X-Loop: it-support@..." was
    taken for maild's own mail come back and got no confirmation."""
    result = screened(f"X-Loop: {value}")
    assert not result.automated and result.quiet


IDN_U, IDN_A = "support@поддержка.рф", "support@xn--80ahaefyxhn.xn--p1ai"


@pytest.mark.parametrize(
    ("support", "value"),
    [
        (IDN_U, IDN_A),  # maild's own X-Loop, in A-labels, at a desk configured in Unicode
        (IDN_U, IDN_A.upper()),
        (IDN_U, f"Служба <{IDN_A}>"),
        (IDN_A, "=?utf-8?b?c3VwcG9ydEDQv9C+0LTQtNC10YDQttC60LAu0YDRhA==?="),  # older mail
        (IDN_A, "support@ПОДДЕРЖКА.РФ"),
    ],
)
def test_x_loop_names_a_cyrillic_support_domain_in_either_spelling(support, value) -> None:
    def looped(x_loop: str) -> Screening:
        return screen(parse(f"From: robot@x.ru\r\nX-Loop: {x_loop}\r\n\r\nТекст".encode()), support)

    result = looped(value)
    assert result.automated and "X-Loop" in result.reason
    # another address at the desk's domain, support at another Cyrillic domain
    assert not looped("other@xn--80ahaefyxhn.xn--p1ai").automated
    assert not looped("support@xn--80atjc.xn--p1ai").automated


def test_x_loop_of_someone_else_is_not_our_loop() -> None:
    assert not screened("X-Loop: helpdesk@partner.example").automated


def test_x_loop_among_several() -> None:
    assert screened("X-Loop: helpdesk@partner.example", f"X-Loop: {SUPPORT}").automated


def test_our_own_loop_marker_is_a_loop() -> None:
    assert screened("X-Maild-Loop: 1").automated


def test_empty_return_path_is_automated() -> None:
    assert screened("Return-Path: <>").automated


@pytest.mark.parametrize("value", ["<MAILER-DAEMON>", " <mailer-daemon> "])
def test_the_null_sender_as_postfix_pipe_writes_it_by_default_is_automated(value) -> None:
    """pipe(8) without null_sender= (README's older master.cf line) writes the null
    sender so: a delivery report or auto-reply was answered with a confirmation."""
    assert screened(f"Return-Path: {value}").automated


def test_a_return_path_of_mailer_daemon_at_a_domain_is_no_null_sender() -> None:
    assert not screened("Return-Path: <mailer-daemon-fan@x.example>").automated


def test_missing_from_is_never_answered() -> None:
    result = screened(sender=None)
    assert result.automated and result.reason


def test_delivery_report_is_a_bounce() -> None:
    raw = (
        "From: MAILER-DAEMON@mx.example.net\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b--\r\n"
    )
    result = screen(parse(raw.encode()), SUPPORT)
    assert result.automated and result.bounce


def test_a_bounce_from_a_human_looking_address_is_still_a_bounce() -> None:
    raw = (
        "From: admin@small-isp.example\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--b--\r\n"
    )
    assert screen(parse(raw.encode()), SUPPORT).bounce


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"].removesuffix(".eml"))
def test_corpus_robots_are_screened_and_humans_pass(case: dict) -> None:
    result = screen(parse((CORPUS / case["file"]).read_bytes()), SUPPORT)
    assert result.automated == (case["robot"] is not None)
    assert result.bounce == (case["robot"] == "bounce")


def _with_subject(subject: str) -> Screening:
    raw = (
        f"From: ivan@shop.example\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\n"
        "Message-ID: <v1@shop.example>\r\n\r\nЯ в отпуске до 10 декабря.\r\n"
    )
    return screen(parse(raw.encode()), SUPPORT)


@pytest.mark.parametrize(
    "subject",
    [
        "Автоматический ответ: Обращение зарегистрировано [TID#1234-5678]",
        "Автоответ: Re: [TID#1234-5678]",
        "Automatic reply: Ticket received [TID#1234-5678]",
        "Auto: Re: вопрос",  # RFC 3834 3.1.5
        "AutoReply: вопрос",
        "Auto-Reply: вопрос",
        "Out of Office: Re: [TID#1234-5678]",
        "Out of office reply: вопрос",
        "RE: Out of Office AutoReply: вопрос",
        "Abwesenheitsnotiz: вопрос",
        "=?utf-8?b?0JDQstGC0L7QvtGC0LLQtdGCOg==?= вопрос",  # "Автоответ:" encoded
        "Auto: Обращение зарегистрировано: вопрос [TID#1234-5678]",  # "Auto:" before ours
        # Outlook's "Automatic reply:" in other languages
        "Автоматична відповідь: Re: [TID#1234-5678]",
        "Automatische Antwort: Re: [TID#1234-5678]",
        "AW: Automatische Antwort: вопрос",
        "Risposta automatica: вопрос",
        "Respuesta automática: вопрос",
        "Resposta automática: вопрос",
        "Réponse automatique : вопрос",
        "Automatisch antwoord: вопрос",
        "Automatyczna odpowiedź: вопрос",
        "Automatická odpověď: вопрос",
        "Automatiskt svar: вопрос",
        "Automatisk svar: вопрос",
        "Automaattinen vastaus: вопрос",
        "Otomatik yanıt: вопрос",
        "Automatikus válasz: вопрос",
        "Автоматичен отговор: вопрос",
    ],
)
def test_vacation_replies_without_headers_are_automated(subject: str) -> None:
    """Vacation responders that set no Auto-Submitted still mark their subject."""
    assert _with_subject(subject).automated


@pytest.mark.parametrize(
    "subject",
    [
        "Автоответ не работает на сайте",
        "Не приходит автоматический ответ формы",
        "Auto reply in the contact form is broken",
        "Re: out of office hours support?",
        "Automatically",
        "Auto: не заводится двигатель",  # a customer's about cars, not RFC 3834's prefix
        "Auto: ошибка в модуле [SD-5]",
        "Re: Auto: не заводится двигатель [TID#1234-5678]",  # their reply keeps Re: first
        "Auto:",
        "Automatische Antwort funktioniert nicht",
        "Risposta automatica non arriva",
    ],
)
def test_subjects_about_auto_replies_are_human(subject: str) -> None:
    assert not _with_subject(subject).automated


def test_a_read_receipt_is_a_report_with_nothing_for_staff() -> None:
    raw = (
        "From: Иван <ivan@shop-example.ru>\r\n"
        "Content-Type: multipart/report; report-type=disposition-notification;"
        ' boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nВаше письмо прочитано\r\n"
        "--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Final-Recipient: rfc822; ivan@shop-example.ru\r\n"
        "Original-Message-ID: <c1@example.com>\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
        "--b--\r\n"
    )
    assert screen(parse(raw.encode()), SUPPORT) == Screening(
        True, "уведомление о прочтении", bounce=True, receipt=True
    )


def test_a_read_receipt_alone_names_the_mail_it_is_about() -> None:
    """A receipt that returns no copy of the mail names it by Original-Message-ID
    alone (Outlook's, Thunderbird's): that id is the report's, so it finds the ticket
    of the mail read instead of coming as an unknown mail."""
    raw = (
        "From: ivan@shop-example.ru\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n'
        "\r\n--b\r\nContent-Type: text/plain\r\n\r\nПрочитано\r\n"
        "--b\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Original-Message-ID: <c1@example.com>\r\nDisposition: manual-action/MDN-sent-manually;"
        " displayed\r\n--b--\r\n"
    )
    assert parse(raw.encode()).reported_message_id == "<c1@example.com>"


def test_a_report_is_a_bounce_by_its_type_or_by_its_fields_alone() -> None:
    typed_only = (
        "From: postmaster@small-isp.example\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nНе доставлено\r\n--b--\r\n"
    )
    fields_only = (
        "From: postmaster@small-isp.example\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nНе доставлено\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.small-isp.example\r\n\r\n"
        "Final-Recipient: rfc822; ivan@shop-example.ru\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b--\r\n"
    )
    for raw in (typed_only, fields_only):
        msg = parse(raw.encode())
        assert screen(msg, SUPPORT) == Screening(True, "отчёт о доставке (bounce)", bounce=True)
    assert parse(typed_only.encode()).delivery_status is None
    assert parse(fields_only.encode()).content_type == "multipart/mixed"


@pytest.mark.parametrize(
    "header",
    [
        "X-Autogenerated: Reply",  # CommuniGate Pro
        "X-Autogenerated: Letter",
        "X-Precedence: auto_reply",
        "X-AutoReply-From: ivan@shop.example",
        "X-Mail-Autoreply: yes",
        "X-Autoresponder: yes",
        "X-FC-MachineGenerated: true",
        "Delivered-To: Autoresponder",  # qmail
        "X-POST-MessageClass: 9; Autoresponder",
        "X-POST-MessageClass: 9",  # its class alone, without the word
        "X-Vacation: yes",
        "X-OTRS-Loop: yes",  # OTRS, Znuny, KIX on their automatic mail
        "X-Loop: yes",  # OTRS, Zammad
        "X-Loop: ivan@shop.example",  # procmail's vacation: formail -A "X-Loop: me@host"
    ],
)
def test_vendors_auto_reply_and_other_desks_loop_headers_are_automated(header: str) -> None:
    """Out-of-offices that set no Auto-Submitted, but their own vendor's header: each
    had been a person's follow-up, reopening the closed ticket it answered."""
    result = screened(header)
    assert result.automated, header
    assert header.split(":")[0].lower() in result.reason.lower()


@pytest.mark.parametrize(
    "header",
    [
        "X-Loop: users@lists.example.org",  # a list's, or a procmail forward's at the customer's
        "X-Loop: pivan@shop.example",  # another address, holding the sender's
        "X-Loop: support@vendor.example",
        "X-RT-Loop-Prevention: tickets.vendor.example",  # RT stamps its people's answers too
        "RT-Ticket: tickets.vendor.example #300000",
        "X-Autogenerated: Forward",  # a CommuniGate rule carrying someone's mail on
        "X-Autogenerated: Redirect",
    ],
)
def test_other_loop_headers_ask_for_no_answer_but_are_a_persons_mail(header: str) -> None:
    """A person may have written it: no automatic answer (another desk or list may
    answer ours again), but it reopens and notifies as a person's mail does."""
    result = screened(header)
    assert not result.automated and result.quiet and not result.may_answer, header


def test_another_maild_desks_relayed_staff_answer_is_a_persons_mail() -> None:
    """maild stamps every mail X-Loop with its support address, its From: another
    maild desk took a relayed staff answer for procmail's vacation reply (no deadline,
    a closed ticket not reopened). With X-Maild-TID and no Auto-Submitted it is a
    person's, asking for no automatic answer; its automatic mail stays automatic."""
    desk = "Поддержка <support@vendor.example>"
    loop = ("X-Loop: support@vendor.example", "X-Maild-TID: 1234-5678")
    result = screened(*loop, sender=desk)
    assert not result.automated and result.quiet and not result.may_answer, result
    result = screened(*loop, "Auto-Submitted: auto-replied", sender=desk)
    assert result.automated, result
    assert screened("X-Loop: support@vendor.example", sender=desk).automated  # procmail


@pytest.mark.parametrize(
    "header",
    [
        "X-Autogenerated: ",
        "X-OTRS-Loop: no",
        "X-OTRS-Loop: false",
        "X-Vacation: no",
        "X-FC-MachineGenerated: false",
        "X-Precedence: normal",
        "Delivered-To: ivan@shop.example",
        "X-POST-MessageClass: 1; Message",
        "X-Mailer: Autoresponder Pro 2.0 Plugin",  # no sign: a word in a mailer's name
        "X-Vacation-Notes: Иван в отпуске с 10.12",  # another header's name
    ],
)
def test_what_is_no_vendor_sign(header: str) -> None:
    result = screened(header)
    assert result == Screening(False), header


EXCHANGE = "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@far.example"


def test_exchanges_own_sender_is_a_robot_and_only_it() -> None:
    """Exchange sends its notices from MicrosoftExchange and 32 hex digits (a person's
    subject and text, no header saying so): a robot's address. A person's address that
    merely begins with the word (a fan, a team) is a person's."""
    assert screened(sender=f"Microsoft Outlook <{EXCHANGE}>").automated
    assert not screened(sender="microsoftexchange.fan@far.example").automated
    assert not screened(sender="MicrosoftExchangeTeam@far.example").automated
    assert not screened(sender="MicrosoftExchange329e71ec@far.example").automated


def test_another_desks_automatic_mail_with_its_loop_is_still_a_loop() -> None:
    """X-Maild-TID and an X-Loop naming its From make a relayed staff answer only when no
    Auto-Submitted says it is the desk's own automatic mail: then the X-Loop is named as
    the vendor's loop sign (the reason staff see)."""
    raw = (
        "From: help@other.example\r\nTo: support@example.com\r\nSubject: s\r\n"
        "Message-ID: <d1@other.example>\r\nX-Maild-TID: 1234-5678\r\n"
        "Auto-Submitted: auto-replied\r\nX-Loop: help@other.example\r\n\r\nhi\r\n"
    )
    assert vendor_sign(parse(raw.encode())) is not None
    assert vendor_sign(parse(raw.replace("Auto-Submitted: auto-replied\r\n", "").encode())) is None
