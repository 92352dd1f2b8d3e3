"""domain/ndr.py: bounces and read receipts in no standard form, recognised both
ways, and read as reports only of mail proven ours (message.proven_report)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from maild.domain import ndr
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


def test_a_bounce_of_mail_not_ours_stays_a_mail():
    msg = parse(_mixed("postmaster@shop.ru", "Undeliverable: Re: Q", EXCHANGE_SAID))
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


RECEIPT = f"Ваше сообщение\n\n Кому: {CUSTOMER}\n Тема: Re: Q\n\nбыло прочитано в 23.11.2026 11:00."


def _letter(subject: str, body: str, about: str = OURS) -> bytes:
    return make_mail(subject=subject, body=body, headers={"In-Reply-To": about})


def test_a_template_receipt_is_an_mdn_of_our_mail():
    for subject, body in (
        ("Прочитано: Re: Q", RECEIPT),
        ("Read: Re: Q", "Your message\n\n  To: x@y.ru\n  Subject: Q\n\nwas read on 11/23/2026."),
        ("Lu : Re: Q", "Votre message\n\n  À : x@y.ru\n  Objet : Q\n\na été lu le 23/11/2026."),
        ("Прочтено: Re: Q", "Ваше письмо для x@y.ru с темой «Q» было прочитано 23.11.2026."),
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
    ):
        assert parse(_letter(subject, body)).unproven is None, (subject, body)


@given(st.text(max_size=300))
def test_no_read_subject_no_receipt(text):
    assert ndr.receipt(text, {"subject": "Re: Q", "in-reply-to": OURS}) is None
