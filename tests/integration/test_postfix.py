"""The README's postfix set-up, for real: a windows-1251 mail goes to postfix's
SMTP port, postfix hands it to `maild serve` over LMTP, and maild's confirmation
comes back through postfix into the customer's Maildir; a staff reply to the
signed plus-address a notice carries takes the same way in and counts."""

from __future__ import annotations

import email
import email.policy
import smtplib

import pytest

from tests.helpers import SUPPORT, make_mail
from tests.integration.test_serve import wait_until
from tests.postfix import MAILBOX_DOMAIN, Postfix, postfix_and_desk

POLICY = email.policy.default
SUBJECT = "Не работает оформление заказа"
BODY = "Здравствуйте! После обновления до 7.0 ошибка 500 при оформлении заказа."


@pytest.fixture
def postfix_and_maild(tmp_path, request):
    """`request.param`: more of maild's [smtp] settings."""
    yield from postfix_and_desk(tmp_path, smtp=getattr(request, "param", {}))


def test_mail_through_postfix_lmtp_and_back(postfix_and_maild):
    mta, desk, daemon = postfix_and_maild
    raw = make_mail(
        sender=f"Иван Петров <ivan@{MAILBOX_DOMAIN}>",
        subject=SUBJECT,
        body=BODY,
        charset="windows-1251",
        msgid="<pf-1@customer.example>",
    )
    assert b"windows-1251" in raw
    with smtplib.SMTP("127.0.0.1", mta.port) as s:
        refused = s.sendmail(f"ivan@{MAILBOX_DOMAIN}", ["support@example.com"], raw)
    assert refused == {}  # support@ is a known local recipient (local_recipient_maps)
    got = wait_until(lambda: mta.maildir("ivan"), timeout=30)
    assert got, f"no confirmation in the Maildir\n{mta.log()}\n{daemon.logtext()}"
    conf = email.message_from_bytes(got[0], policy=email.policy.default)
    [ticket] = desk.tickets()
    assert f"[TID#{ticket['tid']}]" in str(conf["Subject"])
    assert ticket["subject"] == SUBJECT and BODY in ticket["messages"][0]["text"]
    assert "relay=127.0.0.1[127.0.0.1]" in mta.log() and "status=sent" in mta.log()
    assert wait_until(lambda: mta.maildir("anna"), timeout=30)  # staff's copy, too


def _send(mta: Postfix, sender: str, to: str, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", mta.port) as s:
        # a refused recipient raises here, with postfix's answer
        assert s.sendmail(sender, [to], raw) == {}


def test_staff_reply_to_the_signed_plus_address_goes_through_postfix(postfix_and_maild):
    """Staff replies count only at support+<tid>.<sig>@: postfix must know it as
    support@ (README's `recipient_delimiter = +`; without it: 550 5.1.1 User unknown
    in local recipient table) and hand it to maild, where the reply is relayed to
    the customer and its #close runs."""
    mta, desk, daemon = postfix_and_maild
    ivan, anna = f"ivan@{MAILBOX_DOMAIN}", f"anna@{MAILBOX_DOMAIN}"
    _send(mta, ivan, SUPPORT, make_mail(sender=ivan, subject=SUBJECT, body=BODY))
    notices = wait_until(lambda: mta.maildir("anna"), timeout=30)
    assert notices, f"no staff notice\n{mta.log()}\n{daemon.logtext()}"
    notice = email.message_from_bytes(notices[0], policy=email.policy.default)
    reply_to = notice["Reply-To"].addresses[0].addr_spec
    [ticket] = desk.tickets()
    assert reply_to.startswith(f"support+{ticket['tid']}.")  # signed for Anna
    answer = "Исправлено в версии 7.0.1: обновите модуль."
    reply = make_mail(
        sender=f"Анна <{anna}>",
        to=reply_to,
        subject=f"Re: {notice['Subject']}",
        body=f"{answer}\n#close",
    )
    _send(mta, anna, reply_to, reply)

    def answered():
        got = [email.message_from_bytes(m, policy=POLICY) for m in mta.maildir("ivan")]
        return [m for m in got if answer in m.get_body(("plain",)).get_content()]

    assert wait_until(answered, timeout=30), f"{mta.log()}\n{daemon.logtext()}"
    assert desk.ticket(ticket["tid"])["status"] == "closed"  # the command ran


@pytest.mark.parametrize("postfix_and_maild", [{"max_message_size": 100_000}], indirect=True)
def test_a_mail_under_the_limit_by_postfix_s_count_reaches_both_recipients(postfix_and_maild):
    """postfix's SIZE= counts the mail without the dots DATA doubles, and so does maild.
    A mail of lines that start with a dot, under the limit by that count and over it
    on the wire, used to get aiosmtpd's one 552 for two recipients: postfix bounced the
    first and waited lmtp_data_done_timeout (10 min) for the second's reply."""
    mta, desk, daemon = postfix_and_maild
    ivan = f"ivan@{MAILBOX_DOMAIN}"
    raw = (
        f"From: {ivan}\r\nTo: support@example.com\r\nCc: support+x@example.com\r\n"
        "Subject: dots\r\nMessage-ID: <pf-dots@customer.example>\r\n\r\n"
    ).encode() + b".z\r\n" * 22_500  # 90 KB, 112 KB on the wire
    with smtplib.SMTP("127.0.0.1", mta.port) as s:
        assert s.sendmail(ivan, [SUPPORT, "support+x@example.com"], raw) == {}
    tickets = wait_until(desk.tickets, timeout=30)
    assert tickets, f"no ticket\n{mta.log()}\n{daemon.logtext()}"
    [ticket] = tickets
    assert ticket["messages"][0]["message_id"] == "<pf-dots@customer.example>"

    def delivered() -> int:
        return sum("status=sent" in x and "to=<support" in x for x in mta.log().splitlines())

    assert wait_until(lambda: delivered() == 2, timeout=30), mta.log()
    assert "status=bounced" not in mta.log() and "status=deferred" not in mta.log()
