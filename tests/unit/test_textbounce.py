"""Unit tests for maild.domain.textbounce: qmail's and Exim's plain-text bounces read
as the delivery reports they are (who failed, how, and which mail came back)."""

from __future__ import annotations

from maild.domain.textbounce import read, status_of

QMAIL = """Hi. This is the qmail-send program at mail.shop.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<ivan@shop.example>:
Sorry, no mailbox here by that name. (#5.1.1)

<olga@shop.example>:
Connected to 192.0.2.1 but the mailbox is full.

--- Below this line is a copy of the message.

Return-Path: <support@example.com>
Message-ID:
 <A1.1111-2222.sig@example.com>
Subject: [TID#1111-2222]

Message-ID: <not-this-one@example.com>
"""

EXIM = """This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a temporary error. The following address(es) deferred:

  petr@shop.example
    SMTP error from remote mail server after RCPT TO:<petr@shop.example>:
    452 4.2.2 Mailbox full

------ This is a copy of the message, including all the headers. ------

Subject: [TID#1111-2222]
"""


def test_a_qmail_bounce_names_each_recipient_and_the_mail_it_returns() -> None:
    fields, msgid = read(QMAIL)
    assert msgid == "<A1.1111-2222.sig@example.com>"  # the copy's header, not its body's
    ivan, olga = fields.split("\n\n")
    assert ivan == (
        "Final-Recipient: rfc822; ivan@shop.example\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; Sorry, no mailbox here by that name. (#5.1.1)"
    )
    # no code in the answer: qmail lists only permanent failures
    assert olga.startswith("Final-Recipient: rfc822; olga@shop.example\nAction: failed\n")
    assert "Status: 5.0.0\n" in olga and olga.endswith("but the mailbox is full.")


def test_an_exim_bounce_with_a_temporary_code_is_a_delay() -> None:
    fields, msgid = read(EXIM)
    assert msgid is None  # the copy has no Message-ID
    assert fields.startswith("Final-Recipient: rfc822; petr@shop.example\nAction: delayed\n")
    assert "Status: 4.2.2\n" in fields


def test_text_that_only_quotes_a_bounce_is_no_bounce() -> None:
    assert read("Добрый день, пришло вот что:\n\n" + QMAIL.split("\n", 3)[3]) is None
    copy_first = QMAIL.split("--- Below")[1]
    assert read("--- Below" + copy_first + "\n" + QMAIL) is None  # the copy line before
    late = "строка\n" * 400 + QMAIL  # the opening is where a bounce starts, not deep below
    assert read(late) is None


def test_the_code_is_the_servers_not_a_version_or_an_address_that_looks_like_one() -> None:
    """A server's answer names the status code after its reply code or in qmail's
    «(#5.1.1)»; a version («spamd 4.2.1») or an IP address («10.4.2.7») before it is no
    code: read as one, a permanent failure was a delay and the dead address kept."""
    assert status_of("relay 4.2.1 said: 550 5.1.1 no such user") == "5.1.1"
    assert status_of("Sorry, spamd 4.2.1 refused it (#5.7.1)") == "5.7.1"
    assert status_of("Connected to 10.4.2.7 but the mailbox is unavailable.") is None
    fields, _ = read(QMAIL.replace("192.0.2.1", "10.4.2.7"))
    assert fields.split("\n\n")[1].startswith(
        "Final-Recipient: rfc822; olga@shop.example\nAction: failed\nStatus: 5.0.0\n"
    )


def test_a_message_id_in_the_returned_mails_text_is_not_its_own() -> None:
    """The mail a bounce returns is found by its copy's header only: a Message-ID its
    text quotes (a customer's mail pasted in it) threads the bounce onto no other mail."""
    fields, msgid = read(EXIM + "\nвот что пришло:\nMessage-ID: <other@shop.example>\n")
    assert msgid is None and "petr@shop.example" in fields
