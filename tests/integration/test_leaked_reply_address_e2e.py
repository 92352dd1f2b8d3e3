"""A staff member's signed reply address that someone outside support has seen proves
them for the ticket's conversation, but not for #merge or #cc (domain/leak.py), end to
end: `maild ingest`, `maild outbox flush`, a real relay.

Anna answers Ivan "reply all" with Ivan in Cc: Ivan's copy (the very mail maild got)
shows her signed address in To. Had it still proved her for everything, Ivan could
write From: anna to it and `#merge` his ticket into Olga's, which made him a
participant there (Olga's mail and site link his). Their conversation with Ivan in Cc
goes on by that address: his reply-all and her answer to it carry it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from maild import jobs
from maild.app import App
from maild.config import load
from maild.runner import ingest
from tests.helpers import Desk, make_mail, staff_reply, staff_to

IVAN = "ivan@shop-example.ru"
OLGA = "olga@other-example.ru"
ANNA = "anna@example.com"


def two_tickets(desk: Desk, sink) -> tuple[str, str]:
    """Ivan's ticket and Olga's, their mail sent."""
    tid = desk.ingest_tid(make_mail())
    other = desk.ingest_tid(
        make_mail(
            sender=f"Ольга <{OLGA}>",
            subject="Счёт за октябрь",
            body="Пришлите, пожалуйста, счёт за октябрь: реквизиты ООО «Ромашка».",
        )
    )
    desk.flush()
    sink.wait_for(6)  # a confirmation and two staff notices each
    return tid, other


def reply_to_of_last(sink, tid: str, to: str = ANNA) -> str:
    """The Reply-To of the last mail about ``tid`` that reached ``to``."""
    mails = [r for r in sink.to(to) if f"[TID#{tid}]" in r.subject]
    return mails[-1].msg["Reply-To"].addresses[0].addr_spec


def forged(tid: str, seen: str, body: str) -> bytes:
    """Ivan's mail as Anna (From: her) to her address of his ticket that he saw."""
    subject = f"Re: Не работает оформление заказа [TID#{tid}]"
    return make_mail(sender=f"Анна <{ANNA}>", to=seen, subject=subject, body=body)


def merged_before_the_upgrade(desk: Desk, tid: str, last: str) -> None:
    """Ticket ``tid``'s `merged_from` as maild wrote it before it kept a whole chain:
    ``last``, the ticket merged into it, alone."""
    path = desk.root / "data" / "tickets" / tid[:2] / f"{tid}.json"
    doc = json.loads(path.read_text())
    [kept] = doc["ticket"].values()
    kept["merged_from"] = [last]
    path.write_text(json.dumps(doc, ensure_ascii=False))


def leak(desk: Desk, sink, tid: str) -> None:
    """Anna answers "reply all" with Ivan in Cc: her mail system gave him her answer,
    maild sends it to him no second time (it is the ticket's answer), and tells her."""
    before = len(sink.to(IVAN))
    desk.ingest(staff_reply(tid, "Иван, проверьте настройки оплаты.", headers={"Cc": IVAN}))
    desk.flush()
    assert len(sink.to(IVAN)) == before
    ticket = desk.ticket(tid)
    [answer] = [m for m in ticket["messages"] if m["kind"] == "staff"]
    assert answer["direction"] == "out" and ticket["first_reaction_at"]
    assert [r for r in sink.to(ANNA) if r.subject.startswith("Клиент получил ваше письмо")]


def test_a_seen_address_runs_no_merge_and_the_error_mail_carries_one_that_does(desk, sink):
    tid, other = two_tickets(desk, sink)
    olga_people = desk.ticket(other)["participants"]
    seen = staff_to(tid)
    leak(desk, sink, tid)
    before = len(sink.received)
    # Ivan, with the address his copy showed, as Anna
    desk.ingest(forged(tid, seen, f"#merge {other}\n#cc friend@spam-example.ru\nВопрос решён."))
    desk.flush()
    assert desk.ticket(other)["participants"] == olga_people
    assert "merged_into" not in desk.ticket(tid)
    assert "friend@spam-example.ru" not in desk.ticket(tid)["participants"]
    sent = sink.wait_for(before + 1)[before:]  # Anna is told; nothing else goes
    assert [r.rcpt_tos for r in sent] == [[ANNA]]
    assert "#cc, #merge: не выполнено" in " ".join(sent[0].text.split())
    assert not [r for r in sink.to(IVAN) if "Вопрос решён" in r.text]
    assert not sink.to("friend@spam-example.ru")
    # the error mail's reply address is a new one; Anna's reply to it merges
    renewed = reply_to_of_last(sink, tid)
    assert renewed != seen and renewed.startswith(f"support+{tid}.1.")
    desk.ingest(staff_reply(tid, f"#merge {other}", to=renewed))
    desk.flush()
    assert desk.ticket(tid)["merged_into"] == other
    assert IVAN in desk.ticket(other)["participants"]


def test_the_conversation_with_the_customer_in_cc_goes_on_by_the_seen_address(desk, sink):
    tid, _other = two_tickets(desk, sink)
    seen = staff_to(tid)
    leak(desk, sink, tid)
    # Ivan answers "reply all": to Anna, her address in Cc; a follow-up of his ticket
    desk.ingest(
        make_mail(
            to=ANNA,
            subject=f"Re: Не работает оформление заказа [TID#{tid}]",
            body="Проверил, ошибка та же.",
            headers={"Cc": seen},
        )
    )
    # Anna answers him "reply all" again, by the same address: text, #wait and #level
    # run; Ivan has her answer from her mail system, and maild's second copy of it
    # does not come (the notice of the new level alone, had #wait not left it out)
    before = len(sink.to(IVAN))
    desk.ingest(
        staff_reply(tid, "Пришлите, пожалуйста, лог.\n#wait\n#level vip", headers={"Cc": IVAN})
    )
    desk.flush()
    assert not any("Пришлите, пожалуйста, лог." in r.text for r in sink.to(IVAN)[before:])
    ticket = desk.ticket(tid)
    assert ticket["status"] == "waiting" and ticket["level"] == "vip"
    assert [m["kind"] for m in ticket["messages"]].count("customer") == 2
    # mail to Anna about the ticket from now on carries the new address
    assert reply_to_of_last(sink, tid).startswith(f"support+{tid}.1.")


def test_a_reply_all_to_staff_and_the_head_keeps_the_address(desk, sink):
    tid, other = two_tickets(desk, sink)
    desk.ingest(
        staff_reply(
            tid,
            "Иван, проверьте настройки оплаты.",
            headers={"Cc": "boris@example.com, head@example.com, support@example.com"},
        )
    )
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}] оплата", body="Проверил, ошибка та же."))
    desk.flush()
    assert reply_to_of_last(sink, tid) == staff_to(tid)
    desk.ingest(staff_reply(tid, f"Объединяю.\n#merge {other}"))
    assert desk.ticket(tid)["merged_into"] == other


def test_a_merge_that_shows_the_address_renews_it_in_the_ticket_merged_into(desk, sink):
    """Anna's "reply all" with Ivan in Cc that merges his ticket into Olga's: it runs
    (her address was unseen till then), and the address it showed Ivan, which mail now
    reaches Olga's ticket by, runs no #merge there."""
    tid, other = two_tickets(desk, sink)
    seen = staff_to(tid)
    desk.ingest(staff_reply(tid, f"Объединяю.\n#merge {other}", headers={"Cc": IVAN}))
    assert desk.ticket(tid)["merged_into"] == other
    third = desk.ingest_tid(make_mail(sender="Пётр <petr@third-example.ru>", subject="Вопрос"))
    desk.ingest(forged(tid, seen, f"#merge {third}"))
    assert "merged_into" not in desk.ticket(other)


def test_an_address_with_an_epoch_of_thousands_of_digits_is_a_follow_up_as_any(desk, sink):
    tid, _other = two_tickets(desk, sink)
    odd = f"support+{tid}." + "1" * 4301 + ".abcdefghij@example.com"
    mail = make_mail(subject=f"Re: [TID#{tid}] оплата", body="Ещё вопрос.", headers={"Cc": odd})
    assert desk.run("ingest", "-", input=mail).out.startswith(f"appended [TID#{tid}]")


def test_an_old_notice_of_a_ticket_merged_twice_runs_its_commands(desk, sink):
    """Olga's ticket merged into Ivan's, Ivan's into Petr's: Anna's answer to her old
    notice of Olga's ticket lands on Petr's, and its #cc runs there (its address never
    went outside support)."""
    tid, other = two_tickets(desk, sink)
    third = desk.ingest_tid(make_mail(sender="Пётр <petr@third-example.ru>", subject="Вопрос"))
    desk.ingest(staff_reply(other, f"#merge {tid}"))
    desk.ingest(staff_reply(tid, f"#merge {third}"))
    assert sorted(desk.ticket(third)["merged_from"]) == sorted([tid, other])
    desk.ingest(staff_reply(other, "Подключаю коллегу.\n#cc friend@partner-example.ru"))
    assert "friend@partner-example.ru" in desk.ticket(third)["participants"]


def test_a_merged_in_tickets_seen_address_leaves_the_targets_own_as_it_was(desk, sink):
    tid, other = two_tickets(desk, sink)
    leak(desk, sink, tid)  # Anna's address of Ivan's ticket seen by Ivan
    desk.ingest(staff_reply(tid, f"#merge {other}", sender="boris@example.com"))
    assert desk.ticket(tid)["merged_into"] == other
    # her address of Olga's ticket went nowhere: its #cc runs
    desk.ingest(staff_reply(other, "Подключаю коллегу.\n#cc friend@partner-example.ru"))
    assert "friend@partner-example.ru" in desk.ticket(other)["participants"]


def test_an_old_notice_of_a_chain_merged_before_the_upgrade_runs_its_commands(desk, sink):
    """A chain merged by maild before `merged_from` kept the whole of it (the last
    ticket lists the one merged into it alone): mail to the first ticket's address
    still threads there (Snapshot.merged_source), and Anna's #cc runs."""
    tid, other = two_tickets(desk, sink)
    third = desk.ingest_tid(make_mail(sender="Пётр <petr@third-example.ru>", subject="Вопрос"))
    desk.ingest(staff_reply(other, f"#merge {tid}"))
    desk.ingest(staff_reply(tid, f"#merge {third}"))
    merged_before_the_upgrade(desk, third, tid)
    desk.ingest(staff_reply(other, "Подключаю коллегу.\n#cc friend@partner-example.ru"))
    assert "friend@partner-example.ru" in desk.ticket(third)["participants"]


def test_mail_the_heads_reply_address_takes_to_another_ticket_renews_nothing_there(desk, sink):
    """The head writes about Petr's ticket (To: his reply address of it) on an old thread
    of Olga's, merged into Ivan's (its subject tag), with Ivan and Anna's address of
    Olga's ticket in Cc: decided on Petr's ticket, whose addresses Olga's are not."""
    tid, other = two_tickets(desk, sink)
    third = desk.ingest_tid(make_mail(sender="Пётр <petr@third-example.ru>", subject="Вопрос"))
    desk.ingest(staff_reply(other, f"#merge {tid}"))
    cc = f"{IVAN}, {staff_to(other)}"
    mail = make_mail(
        sender="Шеф <head@example.com>",
        to=staff_to(third, "head@example.com"),
        subject=f"Re: [TID#{other}] Счёт",
        body="Разберитесь.",
        headers={"Cc": cc},
    )
    assert f"[TID#{third}]" in desk.run("ingest", "-", input=mail).out
    path = desk.root / "data" / "tickets" / third[:2] / f"{third}.json"
    [kept] = json.loads(path.read_text())["ticket"].values()
    assert other.lower() not in (kept.get("reply_epochs") or {})


def _deleted_ticket(tmp_path, sink) -> tuple[Desk, str]:
    """A desk keeping closed tickets 30 days, and the TID of one closed and deleted
    since (storage.keep_closed_days)."""
    desk = Desk(tmp_path, sink.port, storage={"keep_closed_days": 30})
    start = datetime(2026, 9, 1, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    old = ingest(App(load(desk.config), clock=lambda: start), make_mail())[1].tid
    closing = staff_reply(old, "#close\nГотово.")
    ingest(App(load(desk.config), clock=lambda: start + timedelta(hours=1)), closing)
    later = start + timedelta(days=31)
    assert jobs.run_all(App(load(desk.config), clock=lambda: later), later)["purged"] == 1
    return desk, old


def test_a_deleted_tickets_staff_address_acts_on_no_other_ticket(tmp_path, sink):
    """Anna's address of a ticket deleted since (storage.keep_closed_days) proves her
    on that ticket alone: a mail to it that answers another ticket's mail (In-Reply-To)
    runs nothing there; she is told the ticket is gone (staff_noticket.txt)."""
    desk, old = _deleted_ticket(tmp_path, sink)
    mine = desk.ingest_tid(make_mail(sender=f"Ольга <{OLGA}>", subject="Счёт", body="Счёт."))
    [confirmation] = [m for m in desk.ticket(mine)["messages"] if m["kind"] == "confirmation"]
    seen = staff_to(old)  # the old ticket's address of Anna's, which Olga holds
    forged_reply = make_mail(
        sender=f"Анна <{ANNA}>",
        to=seen,
        subject="Re: Счёт",
        body="Ваш вопрос решён, обращение закрыто.\n#level vip\n#close",
        headers={"In-Reply-To": confirmation["message_id"]},
    )
    desk.ingest(forged_reply)
    ticket = desk.ticket(mine)
    assert ticket["status"] != "closed" and ticket["level"] != "vip"
    assert not [m for m in ticket["messages"] if "решён" in (m.get("text") or "")]
    desk.flush()
    told = [r for r in sink.to(ANNA) if r.subject.startswith("Обращение не найдено")]
    assert told and old in told[-1].text


def test_a_merge_that_shows_an_old_chains_address_renews_it_in_the_ticket_merged_into(desk, sink):
    """A chain merged before `merged_from` kept the whole of it (Ivan's into Olga's,
    Olga's into Petr's, Petr's listing Olga's alone): Anna's "reply all" to her old
    notice of Ivan's ticket, Ivan in Cc, lands on Petr's, and Petr's is merged on into
    Vera's (from its own notice: a #merge answered on Ivan's, merged away, is refused,
    mergecmd.target_error); the address it showed Ivan then reaches Vera's ticket,
    where it runs no #cc."""
    tid, other = two_tickets(desk, sink)
    third = desk.ingest_tid(make_mail(sender="Пётр <petr@third-example.ru>", subject="Вопрос"))
    fourth = desk.ingest_tid(make_mail(sender="Вера <vera@fourth-example.ru>", subject="Другой"))
    desk.ingest(staff_reply(tid, f"#merge {other}"))
    desk.ingest(staff_reply(other, f"#merge {third}"))
    merged_before_the_upgrade(desk, third, other)
    desk.ingest(staff_reply(tid, "Иван, объединяю.", headers={"Cc": IVAN}))
    desk.ingest(staff_reply(third, f"#merge {fourth}"))
    assert desk.ticket(third)["merged_into"] == fourth
    desk.ingest(forged(tid, staff_to(tid), "#cc evil@spam-example.ru"))
    assert "evil@spam-example.ru" not in desk.ticket(fourth)["participants"]


def test_forged_mail_to_a_seen_address_brings_the_member_capped_error_mail(desk, sink):
    """Each forged mail to Anna's seen address whose #cc stops brings her an error mail:
    anyone who saw the address may send them, so they are capped as automatic mail is
    (support.max_auto_replies_per_ticket_per_hour: 5, Ivan's confirmation this hour one
    of them), the rest kept in the ticket as not sent; her own reply to the address she
    has now is told its errors as ever."""
    tid, _other = two_tickets(desk, sink)
    seen = staff_to(tid)
    leak(desk, sink, tid)
    before = len(sink.received)
    app = App(load(desk.config))
    for i in range(8):
        ingest(app, forged(tid, seen, f"#cc friend{i}@spam-example.ru"))
    desk.flush()
    told = [r for r in sink.received[before:] if r.subject.startswith("Команды не выполнены")]
    assert [r.rcpt_tos for r in told] == [[ANNA]] * 4
    assert len(sink.received) == before + 4
    notes = [m.get("text") or "" for m in desk.ticket(tid)["messages"]]
    unsent = [t for t in notes if t.startswith("Не отправлено уведомление «команды не выполнены»")]
    assert len(unsent) == 4, notes[-3:]
    desk.ingest(staff_reply(tid, "#cc", to=reply_to_of_last(sink, tid)))
    desk.flush()
    assert len(sink.wait_for(before + 5)) == before + 5
    assert sink.received[-1].rcpt_tos == [ANNA]


def test_a_merge_that_shows_the_address_lets_it_add_no_one_in_the_ticket_merged_into(desk, sink):
    """The address Anna's merging "reply all" showed Ivan reaches Olga's ticket now: a
    mail to it as Anna adds no participant there (#cc), so Ivan cannot get Olga's mail
    sent to an address of his choosing. (A #merge by it is refused anyway, as a reply
    to the merged ticket's mail: the test above.)"""
    tid, other = two_tickets(desk, sink)
    seen = staff_to(tid)
    desk.ingest(staff_reply(tid, f"Объединяю.\n#merge {other}", headers={"Cc": IVAN}))
    assert desk.ticket(tid)["merged_into"] == other
    desk.ingest(forged(tid, seen, "#cc friend@spam-example.ru\nДобавьте коллегу."))
    assert "friend@spam-example.ru" not in desk.ticket(other)["participants"]


def test_mail_from_outside_to_a_merged_tickets_staff_address_lands_in_the_survivor(desk, sink):
    """Anna's reply address of Ivan's ticket, merged into Olga's since, answered from her
    own mailbox outside support (no tag, nothing to thread by): the mail goes on to
    Olga's ticket, as all mail of a merged ticket does, and the merged one stays shut."""
    tid, other = two_tickets(desk, sink)
    desk.ingest(staff_reply(tid, f"Объединяю.\n#merge {other}"))
    before = len(desk.ticket(tid)["messages"])
    mail = make_mail(
        sender="Анна <anna.home@mail-example.ru>",
        to=staff_to(tid),
        subject="Re: оплата",
        body="Ответ из дома: проверьте настройки.",
    )
    assert f"[TID#{other}]" in desk.run("ingest", "-", input=mail).out
    assert len(desk.ticket(tid)["messages"]) == before


def test_mail_from_outside_to_a_deleted_tickets_staff_address_gets_a_new_tid(tmp_path, sink):
    """Olga holds Anna's reply address of a ticket deleted since and writes to it
    anew (nothing to thread by): a new ticket under a fresh TID, never the deleted
    one's, whose old mail's replies would thread to it."""
    desk, old = _deleted_ticket(tmp_path, sink)
    mail = make_mail(sender=f"Ольга <{OLGA}>", to=staff_to(old), subject="Счёт", body="Счёт.")
    mine = desk.ingest_tid(mail)
    assert mine != old and desk.ticket(mine)["requester"] == OLGA
