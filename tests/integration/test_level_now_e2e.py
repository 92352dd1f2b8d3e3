"""The level a customer's follow-up takes from the license registry as it is now, end
to end (`maild license add`, `maild ingest`, `maild ticket show --json`, a real
aiosmtpd relay reading the acknowledgement): a reply that reopens a ticket closed
under a license long expired is free support, as a new ticket of that moment is; a
license added while a free ticket is open raises the level at the customer's next
mail, with an earlier deadline; a level staff set stays (domain/levelnow.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta

from tests.helpers import ROOT, Desk, Result, make_mail
from tests.integration.test_staff_e2e import staff_reply

BOSS = "boss@firm.ru"
STAFF = "anna@example.com"


def later(desk: Desk, days: int, *args: str, input: bytes | None = None) -> Result:
    """`maild ARGS` with its clock ``days`` ahead of the machine's (tests/clockshift.py)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), MAILD_DAYS_AHEAD=str(days))
    cmd = [sys.executable, "-m", "tests.clockshift", "--config", str(desk.config), *args]
    p = subprocess.run(cmd, input=input, capture_output=True, timeout=60, env=env)
    return Result(p.returncode, p.stdout.decode(), p.stderr.decode())


def mails_about(sink, address: str, tid: str) -> list:
    return [m for m in sink.to(address) if f"[TID#{tid}]" in m.subject]


def test_a_reply_reopening_a_ticket_after_its_license_expired_gets_free_support(desk, sink):
    until = (date.today() + timedelta(days=30)).isoformat()
    desk.run("license", "add", "--key", "K", "--level", "vip", "--email", BOSS, "--until", until)
    tid = desk.ingest_tid(make_mail(sender=f"Босс <{BOSS}>", subject="Вопрос"))
    assert desk.ticket(tid)["level"] == "vip"
    desk.ingest(staff_reply(tid, "Готово.\n#close"))
    desk.flush()
    sink.wait_for(len(sink.received))
    before = len(mails_about(sink, BOSS, tid))

    # 400 days on, the license ran out a year ago: the customer answers the closing letter
    reply = make_mail(
        sender=f"Босс <{BOSS}>",
        subject=f"Re: Обращение закрыто: Вопрос [TID#{tid}]",
        body="Снова не работает оплата, помогите, пожалуйста.",
    )
    assert later(desk, 400, "ingest", "-", input=reply).code == 0
    fresh = later(desk, 400, "ingest", "-", input=make_mail(sender=BOSS, subject="Новый вопрос"))
    new_tid = fresh.out.split("[TID#", 1)[1].split("]", 1)[0]
    t, new = desk.ticket(tid), desk.ticket(new_tid)
    assert (t["status"], t["level"]) == ("open", "free")
    assert new["level"] == "free"
    # the deadline as a new ticket's at that moment: free support's 24 business hours
    gap = datetime.fromisoformat(new["reaction_due"]) - datetime.fromisoformat(t["reaction_due"])
    assert timedelta(0) <= gap < timedelta(minutes=5)

    assert later(desk, 400, "outbox", "flush").code == 0  # the relay has taken each mail
    mails = mails_about(sink, BOSS, tid)[before:]
    assert len(mails) == 1  # the acknowledgement alone: no second confirmation
    ack = mails[0].text
    assert "Уровень обслуживания изменён: Бесплатная поддержка" in ack
    assert "был: Коммерческие клиенты: VIP поддержка" in ack
    expired = f"срок действия лицензии K истёк {date.fromisoformat(until):%d.%m.%Y}"
    assert expired in " ".join(ack.split())  # a new ticket's reason
    assert "VIP поддержка" not in ack.replace("был: Коммерческие клиенты: VIP поддержка", "")
    [notice] = [m for m in mails_about(sink, STAFF, tid) if "открыто снова" in m.subject]
    assert "Уровень: Бесплатная поддержка (free)" in notice.text
    assert "Уровень изменён по реестру лицензий" in notice.text


def test_a_license_added_while_a_free_ticket_is_open_raises_its_level(desk, sink):
    oleg = "oleg@firm.ru"
    tid = desk.ingest_tid(make_mail(sender=f"Олег <{oleg}>", subject="Магазин не работает"))
    free = desk.ticket(tid)
    assert free["level"] == "free"
    assert desk.run("license", "add", "--key", "ADV-2", "--level", "vip", "--email", oleg).code == 0

    desk.ingest(
        make_mail(
            sender=f"Олег <{oleg}>",
            subject=f"Re: Обращение зарегистрировано: Магазин не работает [TID#{tid}]",
            body="Мы купили лицензию, ключ ADV-2.",
        )
    )
    t = desk.ticket(tid)
    assert t["level"] == "vip"
    assert datetime.fromisoformat(t["reaction_due"]) < datetime.fromisoformat(free["reaction_due"])

    desk.flush()
    sink.wait_for(4)
    mails = mails_about(sink, oleg, tid)
    assert len(mails) == 2  # the confirmation, then one acknowledgement
    ack = mails[-1].text
    assert "Уровень обслуживания изменён: Коммерческие клиенты: VIP поддержка" in ack
    assert "адрес указан в лицензии ADV-2" in ack
    notices = [m for m in mails_about(sink, STAFF, tid) if "Новое письмо" in m.subject]
    assert "Уровень: Коммерческие клиенты: VIP поддержка (vip)" in notices[-1].text


def test_a_level_staff_set_stays_when_a_license_is_added(desk, sink):
    oleg = "oleg@firm.ru"
    tid = desk.ingest_tid(make_mail(sender=oleg, subject="Вопрос по API"))
    desk.ingest(staff_reply(tid, "Это вопрос консультации.\n#consulting"))
    desk.run("license", "add", "--key", "ADV-3", "--level", "vip", "--email", oleg)
    desk.ingest(make_mail(sender=oleg, subject=f"Re: [TID#{tid}]", body="Лицензия ADV-3."))
    assert desk.ticket(tid)["level"] == "consulting"
