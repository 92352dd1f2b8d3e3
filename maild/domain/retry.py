"""When the outbox tries a mail again: exponential back-off after each failed try;
and which refusals end a mail's tries for good (permanent_for_recipient).

Pure: the instants are passed in. A try is planned on the wall clock, and a clock
stepped back (NTP) must not hold it back by the size of the step.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

__all__ = [
    "RETRY_BASE", "RETRY_MAX", "next_try", "permanent_for_recipient", "too_big", "try_due",
]  # fmt: skip

RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)

# An enhanced status code (RFC 3463) opening a reply's text: class.subject.detail
_ENHANCED = re.compile(r"\s*([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
# Basic codes that refuse a mailbox (RFC 5321 4.2.3): 550 mailbox unavailable, 551
# user not local, 553 mailbox name not allowed; a relay also says "550 relaying
# denied" with them, so without an enhanced code the text must name the recipient
_MAILBOX_CODES = (550, 551, 553)
# Of the address codes, X.1.7 and X.1.8 are the sender's (RFC 3463 3.2: bad sender's
# mailbox syntax, bad sender's system address: Microsoft 365's "5.1.8 Access denied,
# bad outbound sender" of a blocked account), and Postfix answers a sender restriction
# at RCPT with "Sender address rejected" (5.1.0 of an unlisted sender): support's own
# address is refused there, every recipient alike, and none is set aside for it
_SENDER_DETAILS = ("7", "8")
_SENDER_REFUSED = re.compile(r"sender address rejected", re.IGNORECASE)


def next_try(attempts: int, now: datetime) -> datetime:
    """The next try after ``attempts`` failed ones (1, 2, ...): 30 s, 1 min, 2 min,
    ... up to an hour after ``now``."""
    return now + min(RETRY_BASE * 2 ** min(attempts - 1, 32), RETRY_MAX)


def try_due(planned: str | None, last: str | None, now: datetime) -> bool:
    """Whether a mail whose next try is ``planned`` after a failed try at ``last`` (ISO
    8601; None: never tried) is due at ``now``. Compared as instants, not as text: a
    try planned under another `support.timezone` has another offset. A ``now`` before
    the last try means the clock was stepped back since (NTP): the back-off can no
    longer be measured, and waiting for the clock to read ``planned`` again would add
    the step to it, so the mail is due now."""
    if not planned:
        return True
    if datetime.fromisoformat(planned) <= now:
        return True
    return last is not None and now < datetime.fromisoformat(last)


def permanent_for_recipient(code: int, text: str, recipient: str, *, at_rcpt: bool = False) -> bool:
    """Whether the relay's reply ``code`` ``text`` to a mail for ``recipient`` (one
    envelope recipient per mail) refuses it for good because of that address: a 5xx
    with an enhanced code 5.1.x (bad mailbox, address or domain, RFC 3463 3.2), a
    550/551/553 without an enhanced code whose text names the recipient, or a bare
    501 to RCPT (``at_rcpt``): maild's RCPT carries no parameter, so its syntax
    error is the address's (aiosmtpd's «501 Syntax: RCPT TO: <address>»; postfix
    says «501 5.1.3 Bad recipient address syntax»). Anything else is retried: a 4xx
    is transient by definition, and another 5xx (5.7.1 relay access denied, 5.7.0
    authentication required, 5.6.7 no SMTPUTF8, 5.1.8 of the sender) is the relay's
    configuration, which the admin fixes, not the recipient's."""
    if not 500 <= code <= 599:
        return False
    if _SENDER_REFUSED.search(text):
        return False
    enhanced = _ENHANCED.match(text)
    if enhanced is not None:
        subject, detail = enhanced.group(2), enhanced.group(3)
        return enhanced.group(1) == "5" and subject == "1" and detail not in _SENDER_DETAILS
    if code == 501:
        return at_rcpt
    return code in _MAILBOX_CODES and bool(recipient) and recipient.lower() in text.lower()


# Enhanced codes of a mail too big (RFC 3463 3.4 and 3.3): X.3.4 message too big for
# the system, X.2.3 message length exceeds an administrative limit
_TOO_BIG = {("3", "4"), ("2", "3")}


def too_big(code: int, text: str) -> bool:
    """Whether the relay's reply refuses the mail for its size: a 5xx with 5.3.4 or
    5.2.3, or a bare 552 (RFC 5321: exceeded storage allocation; postfix's
    message_size_limit, 10 MB by default, says "552 5.3.4 Message size exceeds fixed
    limit"). No later try of the same mail passes; the address is not at fault."""
    if not 500 <= code <= 599:
        return False
    enhanced = _ENHANCED.match(text)
    if enhanced is not None:
        return enhanced.group(1) == "5" and (enhanced.group(2), enhanced.group(3)) in _TOO_BIG
    return code == 552
