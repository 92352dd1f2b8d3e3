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
from tests.integration.test_free_term_reopen_e2e import TOLD
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


def test_a_licensed_address_not_yet_proven_is_not_told_its_free_support_expired(licensed, sink):
    """Ivan's first ticket, proven and VIP, came in January; his December mail lacks
    DKIM: free support until he proves the address, told so, and not that his six months
    of free support ran out in July (nor staff that this address's free support has).
    Someone on no license whose first ticket came then is told."""
    desk = licensed
    january = datetime(2026, 1, 12, 10, tzinfo=MSK)
    first = ingest_at(desk, january, make_mail(subject="Первый вопрос", headers=PROVEN))
    assert desk.ticket(first)["level"] == "vip"
    stranger = "Пётр <petr@other-example.ru>"
    ingest_at(desk, january, make_mail(sender=stranger, subject="Вопрос Петра"))

    tid = ingest_at(desk, at(30, 10), make_mail(subject="Второй вопрос"))
    assert desk.ticket(tid)["level"] == "free"
    other = ingest_at(desk, at(30, 10), make_mail(sender=stranger, subject="Снова вопрос"))

    def about(address: str, ticket: str) -> str:
        [mail] = [m for m in mails_to(desk, sink, address) if f"[TID#{ticket}]" in m.subject]
        return " ".join(mail.text.split())

    confirmation = about(CUSTOMER, tid)
    assert "уровень обслуживания будет исправлен после подтверждения адреса" in confirmation
    assert "Срок бесплатной поддержки" not in confirmation
    assert "Бесплатная поддержка этого адреса истекла" not in about(STAFF, tid)
    assert TOLD in about("petr@other-example.ru", other)
    assert "Бесплатная поддержка этого адреса истекла" in about(STAFF, other)


def test_a_participants_proven_mail_does_not_level_the_ticket_by_their_license(licensed, sink):
    """Ivan's unproven mail opened a free ticket his license is owed on; Olga, whom staff
    added, has a VIP license of her own and writes proven mail into it: the ticket is
    Ivan's, still free until he proves his address, never levelled by her license."""
    desk = licensed
    olga = "olga@other-example.ru"
    desk.run("license", "add", "--key", "K2", "--level", "vip", "--email", olga)
    tid = ingest_at(desk, at(23, 9), make_mail(subject="Не работает оплата"))
    ingest_at(desk, at(23, 10), staff_reply(tid, f"#cc {olga}\n"))
    assert olga in desk.ticket(tid)["participants"]
    proven = {  # her proof is looked up: her mail asks a colleague in (Cc)
        "Authentication-Results": f"{US}; dkim=pass header.d=other-example.ru; "
        "spf=pass smtp.mailfrom=other-example.ru",
        "Cc": "sergey@other-example.ru",
    }
    mail = make_mail(sender=olga, subject=f"Re: [TID#{tid}]", body="И у нас.", headers=proven)
    ingest_at(desk, at(23, 11), mail)
    t = desk.ticket(tid)
    assert [m["from"] for m in t["messages"] if m["direction"] == "in"][-1] == olga
    assert t["level"] == "free" and t["identification"]["source"] != "license"
    assert t["identification"].get("owed")  # Ivan's license, still owed to his address


def test_a_license_added_later_is_given_to_a_reply_its_reply_address_proves(tmp_path, sink):
    """Ivan's free ticket opened before his license was added; his reply then has no
    DKIM, yet it goes to the reply address maild signed for him in the confirmation,
    which proves the address: the ticket takes the license's level."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": US})
    tid = ingest_at(desk, at(23, 9), make_mail(subject="Не работает оплата"))
    assert desk.ticket(tid)["level"] == "free"
    [conf] = [m for m in mails_to(desk, sink, CUSTOMER) if f"[TID#{tid}]" in m.subject]
    added = desk.run("license", "add", "--key", "K1", "--level", "vip", "--email", CUSTOMER)
    assert added.code == 0, added.err
    reply = make_mail(to=conf.msg["Reply-To"], subject=f"Re: [TID#{tid}]", body="Купили.")
    ingest_at(desk, at(23, 10), reply)
    assert desk.ticket(tid)["level"] == "vip"
