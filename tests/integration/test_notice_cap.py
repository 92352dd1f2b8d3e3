"""Outsiders cannot fill staff's inboxes: the notices to staff about one sender's mail
are capped per hour (support.max_staff_notices_per_sender_per_hour), end to end: the
real `maild ingest` and `outbox flush`, a real aiosmtpd relay, counting what reached
it (and `maild serve` taking the flood over SMTP, in batches). Every mail is still a
ticket; staff are told once that notices are held."""

from __future__ import annotations

import smtplib
import time

from tests.helpers import (
    SUPPORT,
    Daemon,
    Desk,
    free_port,
    make_mail,
    spool_empty,
    staff_to,
    wait_until,
)

STAFF = ("anna@example.com", "boris@example.com")
FLOOD = "flood@robot.example"
US = "mx.example.com"


def notices_to(sink, staff: str, tid: str) -> list:
    return [m for m in sink.to(staff) if f"[TID#{tid}]" in m.subject]


def test_a_flood_from_one_sender_makes_tickets_but_capped_notices(tmp_path, sink):
    """30 mails from one outside mailbox in a minute (some from its +tags) made 30
    tickets and 60 notices in staff's inboxes. Now: 30 tickets, the default 20
    notices to each staff member, then one notice saying the rest are held; another
    sender's mail in the same minute notifies staff as always."""
    desk = Desk(tmp_path, sink.port)
    tids = []
    for n in range(30):
        sender = f"flood+{n}@robot.example" if n % 3 == 0 else FLOOD
        tids.append(desk.ingest_tid(make_mail(sender=sender, subject=f"Заказ {n}")))
    other = desk.ingest_tid(make_mail(sender="olga@shop-example.ru", subject="Вопрос"))
    assert desk.flush().code == 0

    assert len(set(tids)) == 30 and len(desk.tickets()) == 31  # nothing lost
    for staff in STAFF:
        told = [m for m in sink.to(staff) if "уведомления приостановлены" in m.subject]
        assert len(told) == 1, [m.subject for m in sink.to(staff)]
        held = told[0]
        assert f"[TID#{tids[20]}]" in held.subject  # the ticket whose notice was stopped
        words = " ".join(held.text.split())
        assert "больше 20 писем с адресом flood@robot.example в поле «От»" in words
        assert "maild ticket list --requester" in held.text
        assert [len(notices_to(sink, staff, t)) for t in tids[:20]] == [1] * 20
        assert [len(notices_to(sink, staff, t)) for t in tids[21:]] == [0] * 9
        assert len(notices_to(sink, staff, other)) == 1  # another sender: as always
        assert len(sink.to(staff)) == 20 + 1 + 1
    # each ticket past the cap says why staff were not mailed, as the caps' notes do
    for tid in tids[20:]:
        texts = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note"]
        [note] = [
            t
            for t in texts
            if t.startswith("Не отправлено уведомление «новое обращение» сотрудник")
        ]
        assert "в час о непроверенных письмах от имени flood" in note, note
    assert desk.ticket(tids[25])["messages"][0]["text"]  # the mail itself is kept


def test_staff_replies_and_proven_staff_and_head_mail_are_never_capped(tmp_path, sink):
    """The cap is on outsiders: a staff member's answer to a flooded ticket goes to
    its customer, and mail a staff member or the head proves (DKIM/SPF by our own MTA)
    is notified however much of it there is; one forging the staff address is not."""
    support = {"authserv_id": US, "max_staff_notices_per_sender_per_hour": 2}
    desk = Desk(tmp_path, sink.port, support=support)
    tids = [desk.ingest_tid(make_mail(sender=FLOOD, subject=f"Заказ {n}")) for n in range(4)]
    proven = {"Authentication-Results": f"{US}; dkim=pass header.d=example.com"}
    for who in ("boris@example.com", "head@example.com"):
        for n in range(4):
            desk.ingest(make_mail(sender=who, subject=f"Сам пишу {n}", headers=proven))
    for n in range(4):  # forged: the From line proves nothing
        desk.ingest(make_mail(sender="head@example.com", subject=f"Поддельное {n}"))
    anna = staff_to(tids[3], "anna@example.com")
    answer = "Здравствуйте! Заказ отправлен сегодня."
    desk.ingest(make_mail(sender="anna@example.com", to=anna, subject="Re:", body=answer))
    assert desk.flush().code == 0

    new = [m for m in sink.to("anna@example.com") if m.subject.startswith("Новое обращение")]
    subjects = [m.subject for m in new]
    assert sum("Заказ" in s for s in subjects) == 2  # the outsider: the cap
    assert sum("Сам пишу" in s for s in subjects) == 8  # proven staff and head: all
    assert sum("Поддельное" in s for s in subjects) == 2  # the forger of the head: capped
    held = [m for m in sink.to("anna@example.com") if "приостановлены" in m.subject]
    # one each, in whatever order the relay's connections took them
    assert sorted("head@" in m.subject for m in held) == [False, True], held
    # the staff member's reply into the flooded ticket reached its customer
    assert [m.subject for m in sink.to(FLOOD) if answer in m.text] == [
        f"Re: Заказ 3 [TID#{tids[3]}]"
    ]


def test_a_flood_over_smtp_to_serve_is_capped_alike(tmp_path, sink):
    """The daemon takes mail in batches, one locked section each: the counts read and
    written within one batch are the batch's own, so the cap holds there too."""
    port = free_port()
    support = {"max_auto_replies_per_hour": 0}  # the staff notices' cap: its default, 20
    desk = Desk(tmp_path, sink.port, support=support, smtp={"listen": f"127.0.0.1:{port}"})
    daemon = Daemon(desk).start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for n in range(25):
                raw = make_mail(sender=FLOOD, subject=f"Заказ {n}", msgid=f"<f{n}@robot.example>")
                smtp.sendmail(FLOOD, [SUPPORT], raw)
            smtp.sendmail(
                "olga@shop-example.ru", [SUPPORT], make_mail(sender="olga@shop-example.ru")
            )
        deadline = time.monotonic() + 60
        while len(sink.received) < 2 * (20 + 1 + 1) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert wait_until(lambda: spool_empty(desk))  # each mail processed
    finally:
        assert daemon.stop() == 0
    assert desk.flush().code == 0  # anything more in the outbox: sent now, counted below
    assert len(desk.tickets()) == 26
    for staff in STAFF:
        subjects = [m.subject for m in sink.to(staff)]
        assert len(subjects) == 22, subjects
        assert sum("уведомления приостановлены" in s for s in subjects) == 1
        assert sum("Заказ" in s for s in subjects) == 20
    assert sink.to(FLOOD) == []  # no automatic mail to customers at all (the cap 0)
