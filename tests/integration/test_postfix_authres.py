"""README's postfix `header_checks` line, for real: with support.authserv_id set, a
staff member's From with the sender's own `Authentication-Results: <our id>;
dkim=pass` (the audit's finding: his #close ran and his text reached the customer)
reaches maild without it, and the mail is a note, not staff's. A header postfix adds
after the check (as its milters do: here a PREPEND of another table, which
header_checks do not inspect either) stays and counts. And `postmap -q` of README's
table answers IGNORE for a forged line only."""

from __future__ import annotations

import email
import email.policy
import smtplib
import subprocess

import pytest

from tests.helpers import SUPPORT, Daemon, Desk, make_mail, stored_text
from tests.integration.test_serve import wait_until
from tests.postfix import MAILBOX_DOMAIN, Postfix, postfix_and_desk, require_postfix
from tests.unit.test_authres_strip import readme_lines

ID = "mx.example.com"  # README's line is written for it: the desk's authserv_id
AUTHSERV = {"authserv_id": ID}
ANNA, IVAN = f"anna@{MAILBOX_DOMAIN}", f"ivan@{MAILBOX_DOMAIN}"
FORGED = f"{ID}; dkim=pass header.d={MAILBOX_DOMAIN}; spf=pass smtp.mailfrom={ANNA}"
# a header postfix itself adds past header_checks, as a milter's (only to "genuine" mail)
GENUINE = (
    f"/^Subject:.*genuine/ PREPEND Authentication-Results: {ID};"
    f" dkim=pass header.d={MAILBOX_DOMAIN}\n"
)


def readme_table() -> str:
    [line] = set(readme_lines())
    return line + "\n"


@pytest.fixture
def mta_and_maild(tmp_path):
    yield from postfix_and_desk(tmp_path, readme_table() + GENUINE, support=AUTHSERV)


def _send(mta: Postfix, sender: str, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", mta.port) as s:
        assert s.sendmail(sender, [SUPPORT], raw) == {}


def _ticket(mta: Postfix, desk: Desk, daemon: Daemon) -> str:
    _send(mta, IVAN, make_mail(sender=IVAN, subject="Заказ не проходит", body="Ошибка 500."))
    tickets = wait_until(desk.tickets, timeout=30)
    assert tickets, f"no ticket\n{mta.log()}\n{daemon.logtext()}"
    return tickets[0]["tid"]


def forged_reply(tid: str) -> bytes:
    """A mail in anna's name about ``tid``: its text names the attacker, it says #close."""
    return make_mail(
        sender=f"Анна <{ANNA}>",
        subject=f"Re: Заказ не проходит [TID#{tid}]",
        body="Пишите на evil@attacker.example\n#close",
    )


def test_a_senders_own_authentication_results_is_stripped_and_proves_nothing(mta_and_maild):
    mta, desk, daemon = mta_and_maild
    tid = _ticket(mta, desk, daemon)
    forged = forged_reply(tid)
    headers = (
        f"Authentication-Results: {FORGED}\r\n"
        f"Authentication-Results :\r\n\t{ID.upper()};\r\n\tdkim=pass header.d={MAILBOX_DOMAIN}\r\n"
    ).encode()
    _send(mta, "attacker@attacker.example", headers + forged)

    def noted():
        return "claims staff address" in daemon.logtext()

    assert wait_until(noted, timeout=30), f"{mta.log()}\n{daemon.logtext()}"
    assert wait_until(lambda: "evil@attacker" in stored_text(desk.root), timeout=30)
    assert desk.ticket(tid)["status"] != "closed"  # no #close ran
    assert "dkim=pass" not in stored_text(desk.root)  # postfix removed both
    got = [email.message_from_bytes(m, policy=email.policy.default) for m in mta.maildir("ivan")]
    assert not [m for m in got if "evil@attacker" in m.get_body(("plain",)).get_content()]


def test_a_header_postfix_adds_after_the_check_stays_and_proves_staff(mta_and_maild):
    mta, desk, daemon = mta_and_maild
    tid = _ticket(mta, desk, daemon)
    answer = "Исправлено в версии 7.0.1."
    reply = make_mail(
        sender=f"Анна <{ANNA}>",
        subject=f"Re: genuine [TID#{tid}]",
        body=f"{answer}\n#close",
    )
    _send(mta, ANNA, reply)
    closed = wait_until(lambda: desk.ticket(tid)["status"] == "closed", timeout=30)
    assert closed, f"{mta.log()}\n{daemon.logtext()}"


def test_postmap_of_readmes_table_ignores_only_a_header_of_ours(tmp_path):
    require_postfix()
    table = tmp_path / "maild_ar"
    table.write_text(readme_table())
    lines = {
        f"Authentication-Results: {FORGED}": "IGNORE",
        f"authentication-results:{ID}(c); dkim=pass": "IGNORE",
        f"Authentication-Results: {ID} 1; spf=pass": "IGNORE",
        f"Authentication-Results: {ID}.evil.example; dkim=pass": None,
        "Authentication-Results: mx.google.com; dkim=pass": None,
        f"X-Authentication-Results: {ID}; dkim=pass": None,
        f"Subject: {ID}; dkim=pass": None,
    }
    r = subprocess.run(
        ["postmap", "-q", "-", f"regexp:{table}"],
        input="".join(f"{k}\n" for k in lines),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode in (0, 1), r.stderr
    got = dict(line.split("\t", 1) for line in r.stdout.splitlines())
    assert got == {k: v for k, v in lines.items() if v}, r.stdout
