"""domain/ndr.py: bounces and read receipts in no standard form, recognised both
ways, and read as reports only of mail proven ours (message.proven_report)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maild.domain import ndr
from maild.domain import undeliverable as ud
from maild.domain.message import parse, proven_report
from tests.helpers import make_mail

OURS = "<abc.1111-2222.x@example.com>"
CUSTOMER = "ivan@shop-example.ru"
ANSWER = (
    f"From: support@example.com\r\nTo: {CUSTOMER}\r\nSubject: Re: Q [TID#1111-2222]\r\n"
    f"Message-ID: {OURS}\r\n\r\nЗдравствуйте!\r\n"
).encode()


def _ours(msgid: str) -> str | None:
    return "1111-2222" if msgid == OURS else None


def _mixed(sender: str, subject: str, said: str) -> bytes:
    return (
        (
            f"From: {sender}\r\nTo: support@example.com\r\nSubject: {subject}\r\n"
            'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
            f"--B\r\nContent-Type: text/plain\r\n\r\n{said}\r\n"
            "--B\r\nContent-Type: message/rfc822\r\n\r\n"
        ).encode()
        + ANSWER
        + b"\r\n--B--\r\n"
    )


EXCHANGE_SAID = (
    "Delivery has failed to these recipients or groups:\r\n\r\n"
    f"{CUSTOMER}\r\nThe e-mail address you entered couldn't be found.\r\n"
    "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'"
)


def test_an_exchange_ndr_is_a_report_of_the_mail_it_returns():
    msg = proven_report(
        parse(_mixed("postmaster@shop.ru", "Undeliverable: Re: Q", EXCHANGE_SAID)), _ours
    )
    assert msg.reported_message_id == OURS and not msg.receipt
    assert f"Final-Recipient: rfc822; {CUSTOMER}" in msg.delivery_status
    assert "Action: failed\nStatus: 5.1.10" in msg.delivery_status


def test_no_bounce_sign_no_report():
    """A customer forwarding our answer: not a bounce, whatever its text says."""
    msg = parse(_mixed(CUSTOMER, "Fwd: Re: Q [TID#1111-2222]", EXCHANGE_SAID))
    assert msg.unproven is None
    assert proven_report(msg, _ours).delivery_status is None


def test_a_bounce_of_mail_not_ours_is_backscatter_from_a_server_a_mail_from_a_person():
    """A mail server's report of mail maild never sent is a report of that mail (the
    gate quarantines it); a person forwarding one asks for help: it stays a mail."""
    msg = parse(_mixed("postmaster@shop.ru", "Undeliverable: Re: Q", EXCHANGE_SAID))
    assert msg.unproven is not None
    read = proven_report(msg, lambda _id: None)
    assert read.delivery_status == msg.unproven.status
    assert read.reported_message_id == msg.unproven.ids[0]
    msg = parse(_mixed(CUSTOMER, "Undeliverable: Re: Q", EXCHANGE_SAID))
    assert msg.unproven is not None
    assert proven_report(msg, lambda _id: None) is msg


def test_a_failed_address_not_given_is_the_returned_mails_to():
    msg = parse(_mixed("MAILER-DAEMON@shop.ru", "Returned mail", "Sorry. 550 no such user"))
    assert f"rfc822; {CUSTOMER}" in proven_report(msg, _ours).delivery_status


def test_domino_names_our_mail_by_in_reply_to_and_says_no_mailbox_in_words():
    body = (
        f"was not delivered to:\n\n  {CUSTOMER}\n\nbecause:\n\n  not listed in Domino Directory\n"
    )
    raw = make_mail(
        sender="postmaster@shop.ru",
        subject="DELIVERY FAILURE: x",
        body=body,
        headers={"In-Reply-To": OURS},
    )
    msg = proven_report(parse(raw), _ours)
    assert msg.reported_message_id == OURS and "Status: 5.1.1" in msg.delivery_status


def test_in_reply_to_alone_needs_a_bounces_subject():
    """A postmaster@ mailbox's own answer to our mail is no bounce."""
    body = f"was not delivered to:\n\n  {CUSTOMER}\n"
    raw = make_mail(
        sender="postmaster@shop.ru", subject="Re: Q", body=body, headers={"In-Reply-To": OURS}
    )
    assert parse(raw).unproven is None


def test_yandex_quotes_the_header_block_of_our_mail():
    body = f"Ваше сообщение не было доставлено по адресу {CUSTOMER}.\n"
    body += "Причина: 550 5.7.1 No such user!\n\n"
    raw = make_mail(
        sender="mailer-daemon@yandex.ru",
        subject="Недоставленное сообщение",
        body=body + ANSWER.decode(),
    )
    msg = proven_report(parse(raw), _ours)
    assert msg.reported_message_id == OURS
    assert f"rfc822; {CUSTOMER}\nAction: failed\nStatus: 5.7.1" in msg.delivery_status


def _failures(msg) -> dict[str, tuple[str, str]]:
    """Each recipient of a report read: (its Action, its Status)."""
    fields = ud.named(msg.delivery_status)
    blocks = msg.delivery_status.split("\n\n")
    out = {}
    for block in blocks:
        lines = dict(line.split(": ", 1) for line in block.splitlines()[:3])
        out[lines["Final-Recipient"].split("; ")[1]] = (lines["Action"], lines["Status"])
    assert set(out) == fields
    return out


def test_the_code_is_the_one_the_server_gave_each_recipient():
    """Not the first x.y.z anywhere: a version number before it, a code in the returned
    copy, another recipient's code."""
    said = (
        f"Delivery has failed to these recipients or groups:\r\n\r\n{CUSTOMER}\r\n"
        "olga@shop-example.ru\r\n\r\nDiagnostic information for administrators:\r\n"
        "Generating server: EX01 (Server version 2.0.1 of relay)\r\n"
        f"{CUSTOMER}\r\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\r\n"
        "olga@shop-example.ru\r\nRemote Server returned '552 5.2.2 Mailbox full'"
    )
    msg = proven_report(parse(_mixed("postmaster@shop.ru", "Undeliverable: Re: Q", said)), _ours)
    assert _failures(msg) == {
        CUSTOMER: ("failed", "5.1.1"),
        "olga@shop-example.ru": ("failed", "5.2.2"),
    }
    quoted = ANSWER.decode().replace("Re: Q", "Re: Q (version 4.2.1)")
    body = (
        f"Ваше сообщение не было доставлено по адресу {CUSTOMER}.\nТакого ящика не существует.\n\n"
    )
    raw = make_mail(
        sender="mailer-daemon@yandex.ru", subject="Недоставленное сообщение", body=body + quoted
    )
    msg = proven_report(parse(raw), _ours)
    assert _failures(msg) == {CUSTOMER: ("failed", "5.1.1")}
    assert "4.2.1" not in msg.delivery_status


def test_a_final_bounce_with_a_transient_code_is_a_failure():
    """Exchange's «Undeliverable» when it gave up (550 4.4.7 QUEUE.Expired): staff are
    told the mail did not reach the customer."""
    said = (
        f"Delivery has failed to these recipients or groups:\r\n\r\n{CUSTOMER}\r\n"
        "The message couldn't be delivered because the destination server didn't respond."
        f"\r\n\r\nDiagnostic information for administrators:\r\n{CUSTOMER}\r\n"
        "Remote Server returned '550 4.4.7 QUEUE.Expired; message expired'"
    )
    msg = proven_report(parse(_mixed("postmaster@shop.ru", "Undeliverable: Re: Q", said)), _ours)
    assert _failures(msg) == {CUSTOMER: ("failed", "4.4.7")}
    ticket = {"tid": "1111-2222", "requester": CUSTOMER}
    assert [f["address"] for f in ud.failed_people(ticket, msg.delivery_status)] == [CUSTOMER]


def test_a_delay_warning_is_no_failure():
    """«THIS IS A WARNING MESSAGE ONLY»: the mail may still arrive, staff are not told
    it did not; nor is the returned copy's To taken as failed."""
    said = (
        "This is an automatically generated Delivery Status Notification.\r\n\r\n"
        "THIS IS A WARNING MESSAGE ONLY.\r\n\r\nYOU DO NOT NEED TO RESEND YOUR MESSAGE."
        "\r\n\r\nDelivery to the following recipients has been delayed.\r\n\r\n"
        f"       {CUSTOMER}\r\n"
    )
    subject = "Delivery Status Notification (Delay)"
    msg = proven_report(parse(_mixed("postmaster@shop.ru", subject, said)), _ours)
    assert _failures(msg) == {CUSTOMER: ("delayed", "4.0.0")}
    ticket = {"tid": "1111-2222", "requester": CUSTOMER}
    assert ud.failed_people(ticket, msg.delivery_status) == []
    unnamed = said.replace(f"       {CUSTOMER}\r\n", "")
    assert parse(_mixed("postmaster@shop.ru", subject, unnamed)).unproven is None


RECEIPT = f"Ваше сообщение\n\n Кому: {CUSTOMER}\n Тема: Re: Q\n\nбыло прочитано в 23.11.2026 11:00."


def _letter(subject: str, body: str, about: str = OURS) -> bytes:
    return make_mail(subject=subject, body=body, headers={"In-Reply-To": about})


def test_a_template_receipt_is_an_mdn_of_our_mail():
    for subject, body in (
        ("Прочитано: Re: Q", RECEIPT),
        ("Read: Re: Q", "Your message\n\n  To: x@y.ru\n  Subject: Q\n\nwas read on 11/23/2026."),
        ("Lu : Re: Q", "Votre message\n\n  À : x@y.ru\n  Objet : Q\n\na été lu le 23/11/2026."),
        ("Прочтено: Re: Q", "Ваше письмо для x@y.ru с темой «Q» было прочитано 23.11.2026."),
        (
            "Прочтено: Re: Q",
            "Ваше письмо для x@y.ru с темой «Re: не проходит оплата на сайте» было прочитано.",
        ),
        (
            "Прочитано: Re: Q",
            "Ваше сообщение\n\n Кому: x@y.ru\n Тема: Q\n Отправлено: 7 декабря 2026 г. 10:00\n\n"
            " было прочитано понедельник, 7 декабря 2026 г. 10:05:00 (UTC+03:00) Москва,"
            " Санкт-Петербург.",
        ),
        (
            "Read: Re: Q",
            "Your message\n\n  To: x@y.ru\n  Subject: Q\n\n was read on Monday, December 7,"
            " 2026 10:05:00 AM (UTC+03:00) Moscow, St. Petersburg, Volgograd.",
        ),
        (
            "Gelesen: Re: Q",
            "Ihre Nachricht\n\n  An: x@y.ru\n\nwurde am Montag, 7. Dezember gelesen.",
        ),
    ):
        msg = proven_report(parse(_letter(subject, body)), _ours)
        assert msg.receipt and msg.reported_message_id == OURS, subject


def test_a_receipt_about_mail_not_ours_stays_a_mail():
    msg = parse(_letter("Прочитано: Re: Q", RECEIPT, about="<other@elsewhere.example>"))
    assert proven_report(msg, _ours) is msg


def test_words_besides_the_template_are_a_followup():
    for subject, body in (
        ("Re: Q", "Прочитал, но не помогло."),
        ("Re: Q", RECEIPT),
        ("Прочитано: Re: Q", RECEIPT + "\nНо ошибка осталась, помогите!"),
        ("Прочитано: Re: Q", "Прочитано, но не помогло."),
        # the template's own lines, and the person's words on the line saying it was read
        ("Прочитано: Re: Q", RECEIPT.replace("в 23.11.2026 11:00.", ", но ничего не помогло.")),
        ("Прочитано: Re: Q", "Ваше сообщение было прочитано, но ошибка 500 осталась."),
        ("Прочитано: Re: Q", "Мы уже трижды писали: ваше сообщение было прочитано."),
        ("Read: Re: Q", "Your message was read on Monday, but nobody answered since."),
        ("Прочитано: Re: Q", "Ваше письмо было прочитано в 11:00 (а ответа нет до сих пор)."),
        # no word that it was read; more words before it than a template's lead; too long
        ("Прочитано: Re: Q", "Тема: оплата не проходит\nОт: Иван Петров"),
        ("Прочитано: Re: Q", "Ваше письмо я переслал директору, и оно было прочитано."),
        ("Прочитано: Re: Q", RECEIPT.replace("Тема: Re: Q", "Тема: " + "оплата не прошла " * 130)),
    ):
        assert parse(_letter(subject, body)).unproven is None, (subject, body)


@given(st.text(max_size=300))
def test_no_read_subject_no_receipt(text):
    assert ndr.receipt(text, {"subject": "Re: Q", "in-reply-to": OURS}) is None


def test_a_quoted_to_line_of_letters_costs_its_length() -> None:
    """The returned copy's To quoted in a plain bounce, a run of letters with no "@":
    the address search tried it from each position, 58 KB took 20 s; its first line's
    length is read. 200 KB parse in well under the old 10 KB's 0.9 s."""
    raw = (
        "From: MAILER-DAEMON@mx.other.ru\r\nReturn-Path: <>\r\nTo: support@example.com\r\n"
        "Subject: Undeliverable: hello\r\nMessage-ID: <b@mx.other.ru>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nYour message could not be delivered."
        "\r\n\r\nMessage-ID: <abc@elsewhere.example>\r\nTo: " + "a" * 200_000 + "\r\n"
    ).encode()
    began = time.process_time()
    parse(raw)
    assert time.process_time() - began < 0.5


EXCHANGE = "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@far.example"


@pytest.mark.parametrize(
    ("sender", "return_path", "server"),
    [
        (EXCHANGE, None, True),  # Exchange's own sender
        ("bounce-robot@far.example", "<>", True),  # any name, the null sender
        ("bounce-robot@far.example", " <> ", True),
        (CUSTOMER, f"<{CUSTOMER}>", False),
        ("microsoftexchange.fan@far.example", None, False),
    ],
)
def test_a_mail_server_is_told_by_its_sender_or_its_empty_return_path(
    sender: str, return_path: str | None, server: bool
) -> None:
    """A bounce of mail maild never sent is backscatter (quarantined) when a mail server
    sent it: MAILER-DAEMON and its kin, Exchange's MicrosoftExchange<32 hex>, or any
    sender with the null Return-Path servers give their reports (RFC 5321 4.5.5). A
    person forwarding one asks for help: it stays a mail."""
    assert ndr.from_mail_server(sender, return_path) is server
    raw = _mixed(sender, "Undeliverable: Re: Q", EXCHANGE_SAID)
    if return_path is not None:
        raw = f"Return-Path: {return_path}\r\n".encode() + raw
    msg = parse(raw)
    assert msg.unproven is not None
    read = proven_report(msg, lambda _id: None)
    assert (read.reported_message_id == msg.unproven.ids[0]) is server
    assert (read is msg) is not server


def test_a_receipt_with_an_empty_return_path_about_other_mail_stays_a_mail() -> None:
    """RFC 8098 has MDNs sent with the null Return-Path: a customer's client's template
    receipt of mail not ours is the customer's mail, not a mail server's backscatter."""
    body = (
        "Ваше сообщение\n\n Кому: ivan@shop-example.ru\n Тема: Re: Q\n\n"
        "было прочитано в 23.11.2026 11:00."
    )
    raw = make_mail(
        subject="Прочитано: Re: Q",
        body=body,
        headers={"In-Reply-To": "<other@elsewhere.example>", "Return-Path": "<>"},
    )
    msg = parse(raw)
    assert msg.unproven is not None and msg.unproven.receipt
    assert proven_report(msg, lambda _id: None) is msg


@pytest.mark.parametrize(
    ("sender", "subject", "return_path"),
    [
        ("robot@far.example", "Недоставленное сообщение", None),
        ("robot@far.example", "Mail delivery failed: returning message to sender", None),
        ("robot@far.example", "Message not delivered: Re: Q", "<>"),
    ],
)
def test_a_bounce_is_told_by_its_subject_or_its_empty_return_path_alone(
    sender: str, subject: str, return_path: str | None
) -> None:
    """Not every mail server signs as MAILER-DAEMON: a bounce's subject (Yandex's
    «Недоставленное сообщение», Exim's) or the null Return-Path (RFC 5321 4.5.5) is
    sign enough, so the report of our mail is read as one, not opened as a ticket."""
    raw = _mixed(sender, subject, EXCHANGE_SAID)
    if return_path is not None:
        raw = f"Return-Path: {return_path}\r\n".encode() + raw
    msg = proven_report(parse(raw), _ours)
    assert msg.reported_message_id == OURS
    assert _failures(msg) == {CUSTOMER: ("failed", "5.1.10")}


@pytest.mark.parametrize(
    ("subject", "said", "status"),
    [
        # Exchange's final «Undeliverable» whose words say no more than its code
        ("Undeliverable: Re: Q", f"{CUSTOMER}\r\nRemote Server returned '550 4.4.7'", "4.4.7"),
        (
            "Delivery Status Notification (Failure)",
            f"Delivery to the following recipient failed permanently:\r\n\r\n     {CUSTOMER}\r\n"
            "\r\nThe recipient server did not accept our requests. [mx: 421 4.4.5 Try later]",
            "4.4.5",
        ),
        (
            "Delivery Status Notification (Failure)",
            "The recipient server did not accept our requests to connect. We gave up"
            " after 72 hours. [mx: 421 4.4.5 Try again later]",
            "4.4.5",
        ),
    ],
)
def test_a_bounce_that_says_it_failed_for_good_is_a_failure_whatever_its_code(
    subject: str, said: str, status: str
) -> None:
    """The subject («Undeliverable») or the words («failed permanently», «gave up»)
    say the mail will not arrive, though the last code was a transient one: staff are
    told the customer did not get it, not that it is only delayed."""
    msg = proven_report(parse(_mixed("postmaster@shop.ru", subject, said)), _ours)
    assert _failures(msg) == {CUSTOMER: ("failed", status)}


@pytest.mark.parametrize(
    ("subject", "said"),
    [
        ("Delivery delayed: Re: Q", "The recipient's server does not answer; the mail is queued."),
        ("Delivery Status Notification (Delay)", "Доставка письма задерживается: сервер молчит."),
    ],
)
def test_a_delay_said_only_in_its_subject_or_in_russian_is_no_failure(
    subject: str, said: str
) -> None:
    """A warning with no code: the mail may still arrive. Its subject alone, or the
    Russian «задерживается», says so; the returned copy's To is not taken as failed."""
    msg = proven_report(parse(_mixed("postmaster@shop.ru", subject, said)), _ours)
    ticket = {"tid": "1111-2222", "requester": CUSTOMER}
    assert ud.failed_people(ticket, msg.delivery_status) == []


def test_the_returned_copys_own_header_is_read_not_lines_quoted_in_its_body() -> None:
    """Yandex's copy of our answer may quote older mail («To:», «Message-ID:» lines in
    its text): the first header block names the mail and the recipient, not the quote."""
    quoted = ANSWER.decode() + (
        "\r\n-----Original Message-----\r\nTo: olga@shop-example.ru\r\n"
        "Message-ID: <older@shop-example.ru>\r\n\r\nВопрос\r\n"
    )
    body = "Сообщение не доставлено.\nПричина: 550 5.7.1 No such user!\n\n" + quoted
    raw = make_mail(sender="mailer-daemon@yandex.ru", subject="Недоставленное сообщение", body=body)
    msg = proven_report(parse(raw), _ours)
    assert msg.reported_message_id == OURS
    assert _failures(msg) == {CUSTOMER: ("failed", "5.7.1")}


def test_a_recipient_written_in_capitals_has_its_own_code() -> None:
    """An address is matched whatever its case: each failed recipient keeps the code
    the server gave it, lower-cased as the ticket keeps it."""
    said = (
        "Delivery has failed to these recipients or groups:\r\n\r\nIvan@Shop-Example.ru\r\n"
        "Olga@Shop-Example.ru\r\n\r\nDiagnostic information for administrators:\r\n"
        "Ivan@Shop-Example.ru\r\n#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\r\n"
        "Olga@Shop-Example.ru\r\nRemote Server returned '452 4.2.2 Mailbox full'"
    )
    msg = proven_report(parse(_mixed("postmaster@shop.ru", "Undeliverable: Re: Q", said)), _ours)
    assert _failures(msg) == {
        "ivan@shop-example.ru": ("failed", "5.1.1"),
        "olga@shop-example.ru": ("failed", "4.2.2"),
    }


def test_each_recipient_a_russian_bounce_names_is_the_one_failed() -> None:
    """«Не удалось доставить по адресу:» and a list of them, past a line or two: those
    are failed, not the returned copy's To (the requester, who did get the mail)."""
    others = [f"colleague{n}@shop-example.ru" for n in range(5)]
    said = "Не удалось доставить по адресу:\r\n" + "\r\n".join(others) + "\r\n"
    msg = proven_report(parse(_mixed("robot@mx.shop.ru", "Недоставленное сообщение", said)), _ours)
    assert _failures(msg) == {a: ("failed", "5.0.0") for a in others}


YANDEX_COPY = (
    f"From: support@example.com\nSubject: Re: Q (version 4.2.1)\nTo: {CUSTOMER}\n"
    f"Message-ID: {OURS}\n\nЗдравствуйте!\n"
)


def _yandex(said: str) -> bytes:
    body = f"Ваше сообщение не было доставлено по адресу {CUSTOMER}.\n{said}\n\n"
    subject = "Недоставленное сообщение"
    return make_mail(sender="mailer-daemon@yandex.ru", subject=subject, body=body + YANDEX_COPY)


def test_what_a_bounce_said_ends_at_the_returned_copys_header_block_not_its_first_to_line():
    """Yandex's copy may begin with From and Subject before To: the whole block is the
    copy's, so its Subject («version 4.2.1») and From are not what the bounce said,
    neither the Diagnostic-Code staff see nor the source of the recipient's code."""
    msg = proven_report(parse(_yandex("Такого ящика не существует.")), _ours)
    assert msg.delivery_status.splitlines()[2:] == [
        "Status: 5.1.1",
        f"Diagnostic-Code: smtp; Ваше сообщение не было доставлено по адресу {CUSTOMER}. "
        "Такого ящика не существует.",
    ]


def test_the_diagnostic_of_a_long_bounce_is_its_first_500_characters():
    """A bounce's words go into the report's Diagnostic-Code cut at 500 characters, its
    spaces folded: a bounce of pages (a server's whole transcript) is not copied into
    the ticket's record for each recipient it names."""
    said = "550 5.1.1 No such user\n" + "Подробности. " * 300
    msg = proven_report(parse(_yandex(said)), _ours)
    (diagnostic,) = [line for line in msg.delivery_status.splitlines() if "Diagnostic" in line]
    words = " ".join(f"Ваше сообщение не было доставлено по адресу {CUSTOMER}.\n{said}".split())
    assert diagnostic == f"Diagnostic-Code: smtp; {words[:500]}"


def test_the_failed_list_ends_at_its_first_line_without_an_address():
    """Exchange's text goes on past the failed recipients to the original's headers,
    which name the others the mail went to: only the list is failed, not a colleague
    on Cc who got the mail (marked, maild would withhold her notices for good)."""
    said = (
        f"Delivery has failed to these recipients or groups:\r\n\r\n{CUSTOMER}\r\n"
        "The e-mail address you entered couldn't be found.\r\n\r\n"
        "Original message headers:\r\n\r\nFrom: support@example.com\r\n"
        f"To: {CUSTOMER}\r\nCc: olga@shop-example.ru\r\n"
    )
    msg = proven_report(parse(_mixed("postmaster@shop.ru", "Undeliverable: Re: Q", said)), _ours)
    assert _failures(msg) == {CUSTOMER: ("failed", "5.1.1")}
