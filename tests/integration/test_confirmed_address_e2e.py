"""A licensed customer whose mail SPF/DKIM did not confirm, end to end (`maild license
add`, `maild ingest` with the clock fixed, `maild ticket show --json`, `maild jobs run
--now`, `maild report sla --json`, a real aiosmtpd relay reading the mail): their ticket
is free support until the address is proven, and then VIP, without its deadline put
off past the free one it had (domain/levelnow.py); and they are not told their free
support has expired, under the words that their level will be corrected once the
address is confirmed (domain/sender.free_support_expired)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.helpers import Desk, make_mail
from tests.integration.test_deadlines_e2e import MSK, at, ingest_at, jobs_run, mails_to
from tests.integration.test_staff_e2e import staff_reply

US = "mx.example.com"
CUSTOMER = "ivan@shop-example.ru"
HEAD = "head@example.com"
STAFF = "anna@example.com"
PROVEN = {
    "Authentication-Results": f"{US}; dkim=pass header.d=shop-example.ru; "
    "spf=pass smtp.mailfrom=shop-example.ru"
}


@pytest.fixture
def licensed(tmp_path, sink) -> Desk:
    """A desk that gives a license's level only to proven mail, ivan on a VIP one."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": US})
    added = desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", CUSTOMER)
    assert added.code == 0, added.err
    return desk


def test_a_confirmed_address_keeps_the_earlier_free_deadline_it_had(licensed, sink):
    """Free support from Monday 09:00 is due Wednesday 15:00; the customer proves the
    address Wednesday 14:00, as the confirmation asked: VIP's two hours from then end
    at 16:00, after the free deadline. The ticket is VIP, still due at 15:00: the
    head hears of it at 15:00:01, and staff's answer at 15:30 is late."""
    desk = licensed
    tid = ingest_at(desk, at(23, 9), make_mail(subject="Не работает оплата"))
    t = desk.ticket(tid)
    assert (t["level"], t["reaction_due"]) == ("free", "2026-11-25T15:00:00+03:00")

    reply = make_mail(subject=f"Re: [TID#{tid}]", body="Дополнение.", headers=PROVEN)
    ingest_at(desk, at(25, 14), reply)
    t = desk.ticket(tid)
    assert t["level"] == "vip" and t["identification"]["source"] == "license"
    assert t["reaction_due"] == "2026-11-25T15:00:00+03:00"  # not VIP's 16:00
    [ack] = [m for m in mails_to(desk, sink, CUSTOMER) if "адрес подтверждён" in m.text]
    assert "25.11.2026 15:00" in ack.text  # what the customer is promised

    jobs_run(desk, at(25, 15))  # at the instant: in time still
    assert not [m for m in mails_to(desk, sink, HEAD) if "Просрочена" in m.subject]
    jobs_run(desk, datetime(2026, 11, 25, 15, 0, 1, tzinfo=MSK))
    late = [m.subject for m in mails_to(desk, sink, HEAD) if "Просрочена" in m.subject]
    assert len(late) == 1 and f"[TID#{tid}]" in late[0]

    ingest_at(desk, at(25, 15, 30), staff_reply(tid, "Ответ."))
    r = desk.run("report", "sla", "--json", "--since", "2026-11-01", "--until", "2026-11-30")
    assert r.code == 0, r.err
    figures = {b["level"]: (b["tickets"], b["in_time"], b["breached"]) for b in r.json()["levels"]}
    assert figures["all"] == (1, 0, 1)
