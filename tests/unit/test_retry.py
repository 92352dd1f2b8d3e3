"""Unit tests for maild.domain.retry: the outbox's back-off, when a try is due, and
which refusals end a mail's tries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.domain.retry import next_try, permanent_for_recipient, too_big, try_due

LAST = datetime(2026, 12, 3, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))


def test_back_off_doubles_up_to_an_hour():
    waits = [next_try(n, LAST) - LAST for n in (1, 2, 3, 8, 1000)]
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 3600, 3600)]


@given(
    attempts=st.integers(min_value=1, max_value=40),
    since=st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)),
    zone=st.sampled_from([UTC, ZoneInfo("Europe/Moscow"), ZoneInfo("America/New_York")]),
)
def test_a_try_is_due_after_its_back_off_or_when_the_clock_went_back(attempts, since, zone):
    """``since`` is the clock's reading now minus at the last try: due once the back-off
    has passed, whatever offset the times were written with; a negative reading (the
    clock stepped back since the last try) cannot measure it: due at once."""
    planned = next_try(attempts, LAST)
    now = LAST + since
    due = try_due(planned.astimezone(zone).isoformat(), LAST.astimezone(zone).isoformat(), now)
    assert due == (now >= planned or since < timedelta(0))
    assert try_due(None, None, now)


# -- which refusals end a mail's tries (permanent_for_recipient) ---------------------

IVAN = "ivan@exmaple.ru"


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (550, f"5.1.1 <{IVAN}>: Recipient address rejected: User unknown"),  # Postfix
        (550, "5.1.1 The email account that you tried to reach does not exist."),  # Gmail
        (553, "5.1.3 Bad recipient address syntax"),
        (554, "5.1.2 Host or domain name not found"),  # at DATA, too
        (551, "5.1.6 Destination mailbox has moved"),
        (550, f"<{IVAN}>... No such user"),  # no enhanced code: names the recipient
        (551, f"User not local; please try <{IVAN}>"),
        (553, f"<{IVAN.upper()}>: mailbox name not allowed"),
        (500, f"5.1.1 <{IVAN}>: unknown user"),  # the first and the last 5xx
        (599, f"5.1.1 <{IVAN}>: unknown user"),
    ],
)
def test_a_bad_address_is_refused_for_good(code, text):
    assert permanent_for_recipient(code, text, IVAN)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (554, "5.7.1 <ivan@exmaple.ru>: Relay access denied"),  # the relay's configuration
        (530, "5.7.0 Authentication required"),
        (553, "5.6.7 non-ASCII address, and the relay offers no SMTPUTF8 (RFC 6531)"),
        (552, "5.2.2 Mailbox full"),  # the recipient's, but it may be emptied
        (550, "Relaying denied"),  # no enhanced code, and it names no recipient
        (554, f"<{IVAN}> Transaction failed"),  # 554 is not a mailbox code
        (553, "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"),  # qmail
        (550, "4.1.1 odd: a transient code in a permanent reply"),
        (550, "5.1.2.3 listed at zen.spamhaus.org"),  # an address (IPv4) first, no code
        (450, f"4.1.1 <{IVAN}>: Recipient address rejected: unverified address"),
        (421, "4.4.2 Timeout"),
        (600, f"5.1.1 <{IVAN}>: unknown user"),  # no SMTP reply: not the relay's answer
        # support's own address refused (at RCPT: Postfix's delayed restrictions)
        (550, "5.1.8 Access denied, bad outbound sender AS(42004)"),  # Microsoft 365
        (553, "5.1.7 The sender address is not a valid address"),
        (550, "5.1.0 <support@example.com>: Sender address rejected: User unknown"),
        (550, f"<support@example.com>: Sender address rejected: refused for {IVAN}"),
    ],
)
def test_anything_else_is_retried(code, text):
    assert not permanent_for_recipient(code, text, IVAN)


def test_a_bare_501_is_the_addresss_at_rcpt_alone():
    """maild's RCPT carries no parameter: a syntax error there is the address's
    (aiosmtpd); after DATA a 501 says nothing of it; with an enhanced code that code
    decides (5.5.4: a parameter the relay does not take, its configuration)."""
    syntax = "Syntax: RCPT TO: <address> [SP <mail-parameters>]"
    assert permanent_for_recipient(501, syntax, IVAN, at_rcpt=True)
    assert not permanent_for_recipient(501, syntax, IVAN)
    assert permanent_for_recipient(501, "5.1.3 Bad recipient address syntax", IVAN)
    assert not permanent_for_recipient(501, "5.5.4 Invalid parameter", IVAN, at_rcpt=True)


@settings(max_examples=100)
@given(code=st.integers(min_value=0, max_value=499), text=st.text(), rcpt=st.text())
def test_no_reply_below_500_ends_the_tries(code, text, rcpt):
    """A 4xx is transient (RFC 5321 4.2.1), whatever its text says: never set aside."""
    assert not permanent_for_recipient(code, text, rcpt)
    assert not permanent_for_recipient(code, f"5.1.1 <{rcpt}> {text}", rcpt)


@pytest.mark.parametrize(
    ("code", "text", "big"),
    [
        (552, "5.3.4 Message size exceeds fixed limit", True),  # postfix
        (552, "Error: message size exceeds fixed maximum message size", True),  # aiosmtpd
        (554, "5.3.4 Message too big for system", True),
        (552, "5.2.3 Message length exceeds administrative limit", True),
        (552, "5.2.2 Mailbox full", False),  # the recipient's mailbox, not the mail
        (452, "4.3.4 Message too big for system", False),  # transient by definition
        (452, "5.3.4 Message too big for system", False),  # a 4xx whatever its text says
        (550, "5.1.1 User unknown", False),
        (552, "4.3.4 odd", False),
        (500, "5.3.4 Message too big", True),  # the first and the last 5xx
        (599, "5.3.4 Message too big", True),
        (600, "5.3.4 Message too big", False),  # no SMTP reply: not the relay's answer
    ],
)
def test_a_mail_too_big_is_told_apart_from_a_bad_address(code, text, big):
    assert too_big(code, text) is big
