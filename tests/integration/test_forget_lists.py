"""`maild forget` erases the subject of the person's ticket from the staff mails that
list several tickets: the morning digest (sent and still queued) and the list of
mail the relay refused. End to end through the `maild` CLI with a real aiosmtpd
relay; the other tickets' entries stay as they were."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from maild.app import App
from maild.config import load
from maild.runner import ingest
from tests.helpers import Desk, Sink, make_mail

MSK = ZoneInfo("Europe/Moscow")
FRIDAY = datetime(2026, 11, 20, 16, 0, tzinfo=MSK)
MONDAY = "2026-11-23T09:05:00+03:00"  # the digest's first business morning
TUESDAY = "2026-11-24T09:05:00+03:00"  # the next one, before any reminder (16:00)
ERASED = "[удалено по запросу]"
LINE = re.compile(r"^\[TID#([0-9a-z-]+)\]", re.M)  # a ticket's line in the refusal list


class Clock:
    def __init__(self, when: datetime) -> None:
        self.now = when

    def __call__(self) -> datetime:
        return self.now


def _outbox(desk: Desk, folder: str, marker: str) -> list[str]:
    files = (desk.root / "data/outbox" / folder).glob("*.mail")
    return [t for t in (p.read_bytes().decode() for p in files) if marker in t]


@pytest.mark.daily_mail
def test_forget_erases_a_customers_subject_from_the_morning_digest(tmp_path, sink):
    """The digest names each open ticket «requester: subject» under its line: after
    `maild forget` the forgotten customer's «Секретный заказ 1» stayed in the digest
    already sent (outbox sent/) and in the one still queued, which then went out."""
    desk = Desk(tmp_path, sink.port, support={"staff": ["anna@example.com"]})
    app = App(load(desk.config), clock=Clock(FRIDAY))
    tids = []
    for i in range(3):
        raw = make_mail(sender=f"c{i}@shop{i}.example", subject=f"Секретный заказ {i}")
        tids.append(ingest(app, raw)[1].tid)
    assert desk.flush().code == 0
    assert desk.run("jobs", "run", "--now", MONDAY).code == 0
    assert desk.flush().code == 0  # Monday's digest sent
    assert desk.run("jobs", "run", "--now", TUESDAY).code == 0  # Tuesday's queued
    assert len(_outbox(desk, "queue", "Очередь обращений")) == 1
    assert desk.run("forget", "c1@shop1.example").code == 0
    [sent] = _outbox(desk, "sent", "Очередь обращений")
    start = len(sink.received)
    assert desk.flush().code == 0
    [queued] = [m for m in sink.received[start:] if "Очередь обращений" in m.subject]
    for text in (sent.replace("\r\n", "\n"), queued.text.replace("\r\n", "\n")):
        assert "Секретный заказ 1" not in text and "c1@shop1.example" not in text
        assert f"forgotten@invalid: {ERASED}\n" in text
        assert f"[TID#{tids[1]}] до " in text  # its line stays, without the subject
        assert "c0@shop0.example: Секретный заказ 0\n" in text
        assert "c2@shop2.example: Секретный заказ 2\n" in text


def test_forget_erases_a_customers_subject_from_the_list_of_refused_mail(tmp_path):
    """The list of mail the relay refused names each refused mail by its subject,
    «Подтверждение о регистрации обращения «... Секретный заказ 6 [TID#...]», отправлено»: after
    `maild forget` that subject stayed in the list sent to staff."""
    customers = [f"c{i}@gone{i}.example" for i in range(8)]
    relay = Sink(refuse={c: f"550 5.1.1 <{c}>: User unknown" for c in customers}).start()
    try:
        desk = Desk(tmp_path, relay.port, support={"staff": ["anna@example.com"]})
        tids = [
            desk.ingest_tid(make_mail(sender=c, subject=f"Секретный заказ {i}"))
            for i, c in enumerate(customers)
        ]
        assert desk.flush().code == 0  # 5 told singly, 3 in one list
        [listed] = _outbox(desk, "sent", "Письма клиентам не доставлены по 3")
        named = [tids.index(t) for t in LINE.findall(listed.replace("\r\n", "\n"))]
        gone, *others = named[1], named[0], named[2]  # a ticket in the middle is forgotten
        assert f"Секретный заказ {gone} [TID#{tids[gone]}]», отправлено" in listed
        assert desk.run("forget", customers[gone]).code == 0
        [listed] = _outbox(desk, "sent", "Письма клиентам не доставлены по 3")
        text = listed.replace("\r\n", "\n")
        assert f"Секретный заказ {gone}" not in text and customers[gone] not in text
        assert f"[TID#{tids[gone]}] {ERASED}\n" in text and f"«{ERASED}», отправлено" in text
        for i in others:  # the other tickets' entries, their refused mail's subject too
            assert f"[TID#{tids[i]}] Секретный заказ {i}\n" in text
            assert f"Секретный заказ {i} [TID#{tids[i]}]», отправлено" in text
    finally:
        relay.stop()
