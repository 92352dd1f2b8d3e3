"""A flood under a new address per mail, end to end (the real `maild ingest` and
`outbox flush`, a real aiosmtpd relay, counting what reached it): random local parts
at one domain, or a new domain per mail, fill no sender's bucket; the notices of new
tickets from unproven senders are capped per From domain
(support.max_new_ticket_notices_per_domain_per_hour) and desk-wide
(support.max_new_ticket_notices_per_hour). Every mail is still a ticket; staff are
told once; and a notice whose confirmation the desk-wide cap on confirmations held
does not ask staff to answer every sender by hand."""

from __future__ import annotations

import secrets
import shlex
from datetime import datetime
from zoneinfo import ZoneInfo

from maild.app import App
from maild.config import load
from maild.noticecap import check
from maild.runner import ingest
from tests.helpers import Desk, make_mail

STAFF = ("anna@example.com", "boris@example.com")
# per sender 2, 4 per From domain, 6 new tickets of all unproven senders an hour
CAPS = {
    "max_staff_notices_per_sender_per_hour": 2,
    "max_new_ticket_notices_per_domain_per_hour": 4,
    "max_new_ticket_notices_per_hour": 6,
}


def _new(sink, staff: str) -> list:
    return [m for m in sink.to(staff) if m.subject.startswith("Новое обращение")]


def _held(sink, staff: str) -> list:
    return [m for m in sink.to(staff) if "уведомления приостановлены" in m.subject]


def _flood(desk: Desk, senders: list[str]) -> list[str]:
    tids = [
        desk.ingest_tid(make_mail(sender=s, subject=f"Заказ {n}")) for n, s in enumerate(senders)
    ]
    assert desk.flush().code == 0
    return tids


def test_random_local_parts_at_one_domain_are_capped_per_domain(tmp_path, sink):
    """1000 mails from random local parts @one.example got each staff member 1000
    notices and no warning: each address was a sender of its own, its bucket never
    full. Now the domain's bucket holds them (its own cap, 4 here), staff are told
    once, naming the domain and how to list its tickets; the tickets all open."""
    desk = Desk(tmp_path, sink.port, support=CAPS)
    senders = [f"{secrets.token_hex(4)}@one.example" for _ in range(12)]
    tids = _flood(desk, senders)
    assert len(set(tids)) == 12 and len(desk.tickets()) == 12  # nothing lost
    for staff in STAFF:
        assert len(_new(sink, staff)) == 4, [m.subject for m in sink.to(staff)]
        [held] = _held(sink, staff)
        assert "Непроверенные письма с адресов домена one.example" in held.subject
        assert f"[TID#{tids[4]}]" in held.subject  # the first whose notice was held
        words = " ".join(held.text.split())
        assert "За час открыто больше 4 новых обращений" in words
        assert len(sink.to(staff)) == 4 + 1
    [line] = [x for x in held.text.splitlines() if x.startswith("maild ticket list")]
    listed = desk.run(*shlex.split(line)[1:], "--json")
    assert listed.code == 0 and len(listed.json()) == 12, listed.err
    # each ticket past the cap says why staff were not mailed
    notes = [m["text"] for m in desk.ticket(tids[7])["messages"] if m["kind"] == "note"]
    assert any("с адресов домена one.example" in n for n in notes), notes
    # the customers were confirmed within their own caps, as before
    assert sum(len(sink.to(s)) for s in senders) == 12


def test_random_domains_are_capped_desk_wide(tmp_path, sink):
    """A new domain per mail fills no domain's bucket either: the desk's holds all
    unproven senders' new tickets together; staff are told once, "many senders"."""
    desk = Desk(tmp_path, sink.port, support=CAPS)
    senders = [f"{secrets.token_hex(3)}@{secrets.token_hex(4)}.example" for _ in range(12)]
    tids = _flood(desk, senders)
    assert len(desk.tickets()) == 12
    for staff in STAFF:
        assert len(_new(sink, staff)) == 6, [m.subject for m in sink.to(staff)]
        [held] = _held(sink, staff)
        assert "Непроверенные письма от многих отправителей" in held.subject
        assert f"[TID#{tids[6]}]" in held.subject
        words = " ".join(held.text.split())
        assert "За час открыто больше 6 новых обращений" in words
        assert "maild ticket list --since" in held.text
        assert len(sink.to(staff)) == 6 + 1
    [line] = [x for x in held.text.splitlines() if x.startswith("maild ticket list")]
    listed = desk.run(*shlex.split(line)[1:], "--json")
    assert listed.code == 0 and len(listed.json()) == 12, listed.err


def test_the_command_in_the_desks_held_notice_lists_a_flood_begun_before_midnight(tmp_path, sink):
    """`maild ticket list --since` in the notice names the day the held hour began
    (`until` less the window), not the day `until` falls on: of a flood at 23:50 held
    till 00:50, `--since` the next day listed none of its tickets. (The mail comes in
    at a fixed 23:50 Moscow time: the App's clock, in process.)"""
    desk = Desk(tmp_path, sink.port, support={**CAPS, "max_new_ticket_notices_per_hour": 1})
    late = datetime(2026, 11, 19, 23, 50, tzinfo=ZoneInfo("Europe/Moscow"))
    app = App(load(desk.config), clock=lambda: late)
    mails = [make_mail(sender=f"x{n}@d{n}.example", subject=f"Заказ {n}") for n in range(2)]
    tids = [ingest(app, raw)[1].tid for raw in mails]
    assert desk.flush().code == 0
    [held] = _held(sink, STAFF[0])
    assert f"[TID#{tids[1]}]" in held.subject
    [line] = [x for x in held.text.splitlines() if x.startswith("maild ticket list")]
    assert line == "maild ticket list --since 2026-11-19"
    listed = desk.run(*shlex.split(line)[1:], "--json")
    assert sorted(t["tid"] for t in listed.json()) == sorted(tids), listed.err


def test_follow_ups_and_proven_mail_are_not_held_by_the_flood(tmp_path, sink):
    """Past the desk's cap the notices of a known customer's follow-up and of mail
    proving its sender still go: the caps beyond the sender's are on new tickets
    from senders who prove nothing."""
    support = {**CAPS, "authserv_id": "mx.example.com"}
    desk = Desk(tmp_path, sink.port, support=support)
    first = desk.ingest_tid(make_mail(sender="ivan@shop.example", subject="Заказ"))
    _flood(desk, [f"x{n}@d{n}.example" for n in range(8)])
    start = len(sink.to(STAFF[0]))
    desk.ingest(make_mail(sender="ivan@shop.example", subject=f"Re: Заказ [TID#{first}]"))
    proven = {"Authentication-Results": "mx.example.com; dkim=pass header.d=shop-b.example"}
    desk.ingest(make_mail(sender="olga@shop-b.example", subject="Вопрос", headers=proven))
    assert desk.flush().code == 0
    later = [m.subject for m in sink.to(STAFF[0])[start:]]
    assert sum(f"[TID#{first}]" in s for s in later) == 1, later
    assert sum("Вопрос" in s and s.startswith("Новое обращение") for s in later) == 1, later


def test_a_licensed_customers_new_ticket_is_not_held_by_a_flood_of_others(tmp_path, sink):
    """A VIP's ticket is due in two hours: a flood of strangers that filled the domain's
    and the desk's buckets does not hold its notice (a license's or a group's customer
    counts in its own bucket alone), at the same domain as the flood or another."""
    desk = Desk(tmp_path, sink.port, support=CAPS)
    for n, email in enumerate(("vip@one.example", "vip@other.example")):
        added = desk.run("license", "add", "--key", f"K{n}", "--level", "vip", "--email", email)
        assert added.code == 0, added.err
    _flood(desk, [f"{secrets.token_hex(4)}@one.example" for _ in range(6)])
    _flood(desk, [f"x{n}@d{n}.example" for n in range(4)])
    start = len(sink.to(STAFF[0]))
    vips = [
        desk.ingest_tid(make_mail(sender=s, subject="Сайт не работает"))
        for s in ("vip@one.example", "vip@other.example")
    ]
    assert desk.flush().code == 0
    later = [m.subject for m in sink.to(STAFF[0])[start:]]
    for tid in vips:
        assert desk.ticket(tid)["level"] == "vip"
        assert sum(f"[TID#{tid}]" in s and s.startswith("Новое обращение") for s in later) == 1, (
            later
        )


def test_a_flood_from_random_local_parts_at_a_groups_domain_is_capped(tmp_path, sink):
    """Any local part at a customer group's domain gets the group's level: were a
    group's new tickets counted per sender alone, a flood from random ones at the
    domain would fill no bucket and mail staff once per ticket."""
    desk = Desk(tmp_path, sink.port, support=CAPS)
    added = desk.run(
        "group", "add", "--name", "Big", "--level", "standard", "--domain", "big.example"
    )
    assert added.code == 0, added.err
    tids = _flood(desk, [f"{secrets.token_hex(4)}@big.example" for _ in range(12)])
    assert {desk.ticket(t)["level"] for t in tids} == {"standard"}
    for staff in STAFF:
        assert len(_new(sink, staff)) == 4, [m.subject for m in sink.to(staff)]
        assert len(_held(sink, staff)) == 1


def test_confirmations_held_desk_wide_are_not_for_staff_to_send_by_hand(tmp_path, sink):
    """With support.max_confirmations_per_hour the confirmations stopped at the cap,
    and every notice past it asked staff to answer the customer themselves: in a
    flood, to send the backscatter by hand. Now it says the confirmations were
    stopped as more than N new tickets came in an hour, a possible spam wave; a
    confirmation a cap per address stopped still asks staff to answer."""
    support = {"max_confirmations_per_hour": 2, "max_auto_replies_per_hour": 1}
    desk = Desk(tmp_path, sink.port, support=support)
    tids = _flood(desk, [f"v{n}@d{n}.example" for n in range(4)])
    [wave] = [m for m in _new(sink, STAFF[0]) if f"[TID#{tids[3]}]" in m.subject]
    words = " ".join(wave.text.split())
    assert "НЕ отправлено письмо о регистрации" in words
    assert "пришло больше 2 новых обращений с адресов, которые ничем не подтверждены" in words
    assert "волна спама" in words
    assert "ответьте клиенту сами" not in words
    # the same sender again: its own cap (1 an hour), not the desk's: staff answer
    again = desk.ingest_tid(make_mail(sender="v0@d0.example", subject="Ещё вопрос"))
    assert desk.flush().code == 0
    [own] = [m for m in _new(sink, STAFF[0]) if f"[TID#{again}]" in m.subject]
    words = " ".join(own.text.split())
    assert "ответьте клиенту сами" in words and "волна спама" not in words


def test_the_desk_wide_count_is_no_senders_own_not_even_a_mail_without_a_from(tmp_path, sink):
    """The desk's bucket is counted in support's own record (noticecap._where), not
    under its empty key: there it was the bucket of a mail with no From address, which
    then met the whole desk's count as its own and had its notice held at the
    sender's cap (2 here) though it was the first such mail."""
    desk = Desk(tmp_path, sink.port, support=CAPS)
    now = datetime(2026, 11, 19, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    app = App(load(desk.config), clock=lambda: now)
    for n in range(2):
        assert check(app, (f"x{n}@d{n}.example", False), True, (f"t{n}", "<m>"), now) is None
    assert check(app, ("", False), True, ("t2", "<m2>"), now) is None
    assert len(app.store.staff_notices(app.config.support.address, "desk")[0]) == 3
