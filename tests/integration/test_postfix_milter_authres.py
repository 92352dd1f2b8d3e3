"""Where a real postfix's milters put their Authentication-Results, and what maild reads
of them (audit review 22). A milter inserting as OpenDKIM and OpenDMARC do
(`smfi_insheader(ctx, 1, ...)`) lands just below postfix's own Received line, the one
inserted last on top; both count for maild. Postfix here does not strip incoming
headers of our id (no header_checks line: a deployment that skipped README's step): a
sender's own `dkim=pass` of the staff domain below a relay's Received line is not read,
though the milters stamp no dkim verdict for his mail."""

from __future__ import annotations

import email
import smtplib

import pytest

from tests.helpers import make_mail, stored_text
from tests.integration.test_postfix_authres import AUTHSERV, _send, _ticket, forged_reply
from tests.integration.test_serve import wait_until
from tests.milter import Milter
from tests.postfix import MAILBOX_DOMAIN, postfix_and_desk, require_postfix

ID = "mx.example.com"
ANNA, IVAN = f"anna@{MAILBOX_DOMAIN}", f"ivan@{MAILBOX_DOMAIN}"
AR = "Authentication-Results"


def stamp(sender: str) -> list[tuple[int, str, str]]:
    """OpenDKIM first, then OpenDMARC, each at index 1; for anyone but anna, SPF fails
    and there is no signature (OpenDKIM stamps nothing then)."""
    if sender == ANNA:
        return [
            (1, AR, f"{ID}; dkim=pass header.d={MAILBOX_DOMAIN} header.s=mail"),
            (1, AR, f"{ID}; dmarc=pass header.from={MAILBOX_DOMAIN}"),
        ]
    return [(1, AR, f"{ID}; spf=fail smtp.mailfrom={sender}")]


@pytest.fixture
def mta_and_maild(tmp_path):
    require_postfix()
    milter = Milter(stamp).start()
    milters = f"smtpd_milters = inet:127.0.0.1:{milter.port}\nmilter_protocol = 6\n"
    try:
        main_cf = milters + "milter_default_action = tempfail\n"
        yield from postfix_and_desk(tmp_path, "", main_cf, support=AUTHSERV)
    finally:
        milter.stop()


def test_the_milters_headers_stand_just_below_postfixs_received_line(mta_and_maild):
    mta, _, _ = mta_and_maild
    with smtplib.SMTP("127.0.0.1", mta.port) as s:
        first = b"X-First: the sender's first line\r\n"
        assert s.sendmail(ANNA, [IVAN], first + make_mail(sender=ANNA, to=IVAN)) == {}
    got = wait_until(lambda: mta.maildir("ivan"), timeout=30)
    assert got, mta.log()
    headers = [(k.lower(), v) for k, v in email.message_from_bytes(got[0]).items()]
    first = [k for k, _ in headers].index("x-first")
    (mta_received, by), (dmarc, top), (dkim, below) = headers[first - 3 : first]
    assert mta_received == "received" and "(Postfix)" in by and dmarc == dkim == AR.lower()
    assert top.startswith(f"{ID}; dmarc=pass") and below.startswith(f"{ID}; dkim=pass")


def test_both_milters_headers_make_a_staff_reply_staffs(mta_and_maild):
    mta, desk, daemon = mta_and_maild
    tid = _ticket(mta, desk, daemon)
    reply = make_mail(sender=f"Анна <{ANNA}>", subject=f"Re: [TID#{tid}]", body="Готово.\n#close")
    _send(mta, ANNA, reply)
    closed = wait_until(lambda: desk.ticket(tid)["status"] == "closed", timeout=30)
    assert closed, f"{mta.log()}\n{daemon.logtext()}"


def test_a_senders_header_below_a_relays_received_line_proves_nothing(mta_and_maild):
    mta, desk, daemon = mta_and_maild
    tid = _ticket(mta, desk, daemon)
    head = (
        "Received: from [192.0.2.66] by relay.attacker.example; Sun, 6 Dec 2026 10:00:00 +0000\r\n"
        f"{AR}: {ID}; dkim=pass header.d={MAILBOX_DOMAIN}\r\n"
    ).encode()
    _send(mta, "attacker@attacker.example", head + forged_reply(tid))
    noted = wait_until(lambda: "claims staff address" in daemon.logtext(), timeout=30)
    assert noted, f"{mta.log()}\n{daemon.logtext()}"
    assert wait_until(lambda: "evil@attacker" in stored_text(desk.root), timeout=30)
    assert desk.ticket(tid)["status"] != "closed"  # no #close ran
