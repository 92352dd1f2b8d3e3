"""#merge and #spam leave the store consistent, end to end (the real CLI, a real
relay sink): the command never reaches the customer, on the site or by mail, and
`maild fsck` finds nothing to report or repair afterwards."""

from __future__ import annotations

from maild.domain.pageshown import shown_kind as shown
from tests.helpers import Desk, make_mail
from tests.integration.test_staff_e2e import open_ticket, staff_reply

CUSTOMER = "ivan@shop-example.ru"
COLLEAGUE = "petr@shop-example.ru"


def two_tickets(desk: Desk, sink) -> tuple[str, str]:
    """(the ticket that survives #merge, the one merged into it): the survivor is the
    lower TID, the ticket fsck reads first (ticket files are read in TID order)."""
    first, _ = open_ticket(desk, sink, subject="Ошибка 500 в корзине")
    second = desk.ingest_tid(make_mail(sender=f"Пётр <{COLLEAGUE}>"))
    desk.flush()
    into, merged = sorted([first, second])
    return into, merged


def to_customers(mails: list) -> list:
    return [r for r in mails if {CUSTOMER, COLLEAGUE} & set(r.rcpt_tos)]


def assert_store_clean(desk: Desk) -> None:
    check = desk.run("fsck")
    assert check.code == 0 and " 0 problem(s)" in check.out, check.out
    spooled = sorted((desk.root / "data" / "spool").rglob("*"))
    repair = desk.run("fsck", "--repair")
    assert repair.code == 0 and "fixed:" not in repair.out, repair.out
    assert sorted((desk.root / "data" / "spool").rglob("*")) == spooled  # nothing re-queued


def test_merge_command_is_a_note_the_customer_never_sees(desk, sink):
    into, merged = two_tickets(desk, sink)
    before = len(sink.received)
    reply = staff_reply(merged, f"#merge {into}\n", msgid="<merge-1@example.com>")
    desk.ingest(reply)
    desk.flush()
    for tid in (into, merged):
        messages = desk.ticket(tid)["messages"]
        [kept] = [m for m in messages if m["message_id"] == "<merge-1@example.com>"]
        assert kept["kind"] == "note", tid  # as any reply of commands only
        assert not [m for m in messages if shown(m) and "#merge" in m["text"]], tid
    [told] = to_customers(sink.received[before:])  # where the conversation continues
    assert f"продолжается в обращении {into}" in told.text and "#merge" not in told.text
    # with an answer, the customers get the answer; the command stays with staff
    third = desk.ingest_tid(make_mail(sender=f"Пётр <{COLLEAGUE}>", subject="И ещё"))
    desk.ingest(staff_reply(third, f"#merge {into}\nОтвечу в первом обращении."))
    desk.flush()
    answer = [m for m in desk.ticket(into)["messages"] if "Отвечу" in m["text"]]
    assert [m["direction"] for m in answer] == ["out"] and shown(answer[0])
    assert "#merge" not in answer[0]["text"]
    assert not [r for r in to_customers(sink.received[before:]) if "#merge" in r.text]
    assert any("Отвечу в первом" in r.text for r in sink.to(COLLEAGUE))


def test_merge_leaves_fsck_nothing_and_threads_later_replies(desk, sink):
    into, merged = two_tickets(desk, sink)
    moved = desk.ticket(merged)["messages"][0]
    desk.ingest(staff_reply(merged, f"#merge {into}\n"))
    assert_store_clean(desk)
    # a reply to a moved message (no TID in the subject) reaches the ticket holding it
    later = make_mail(
        sender=moved["from"],
        subject="Re: Не работает оформление заказа",
        body="Вот ещё скриншот.",
        headers={"In-Reply-To": moved["message_id"], "References": moved["message_id"]},
    )
    assert desk.ingest_tid(later) == into
    assert_store_clean(desk)


def test_merging_back_a_ticket_merged_here_names_the_real_cause(desk, sink):
    into, merged = two_tickets(desk, sink)
    desk.ingest(staff_reply(merged, f"#merge {into}\n"))
    desk.flush()
    before = len(sink.received)
    desk.ingest(staff_reply(into, f"#merge {merged}\nОтвет."))
    desk.flush()
    [told] = [r for r in sink.received[before:] if "anna@example.com" in r.rcpt_tos]
    assert f"обращение {merged} уже объединено с этим обращением" in told.text
    assert "с самим собой" not in told.text and not to_customers(sink.received[before:])


def test_spam_leaves_fsck_nothing_to_report_or_requeue(desk, sink):
    tid, _ = open_ticket(desk, sink, sender="seo@promo.example", subject="SEO")
    desk.ingest(staff_reply(tid, "#take"))
    desk.ingest(staff_reply(tid, "Здравствуйте! Уточните, пожалуйста, вопрос."))
    desk.ingest(staff_reply(tid, "#spam", msgid="<s8@x.example>"))
    assert desk.run("ticket", "show", tid).code == 1
    assert_store_clean(desk)
    r = desk.run("spam", "list", "--json")
    assert [e["from"] for e in r.json()] == ["seo@promo.example"]  # staff mail is not spam


def test_releasing_a_message_of_a_spam_marked_ticket_brings_it_back(desk, sink):
    """Staff marked a ticket #spam by mistake: releasing its message from the
    quarantine brings the ticket back under its TID (the one the customer was told,
    so no second confirmation), never loses it."""
    tid, _ = open_ticket(desk, sink, sender="olga@client.example", subject="Не спам")
    desk.ingest(staff_reply(tid, "#spam"))
    desk.flush()
    [entry] = desk.run("spam", "list", "--json").json()
    before = len(sink.to("olga@client.example"))
    r = desk.run("spam", "release", entry["id"], "--json")
    assert r.code == 0 and "maild block remove olga@client.example" in r.err, r.err
    back = r.json()
    assert back["outcome"] in ("new", "appended") and back["tid"] == tid, back
    ticket = desk.ticket(back["tid"])
    assert ticket["requester"] == "olga@client.example"
    assert any(m["message_id"] == entry["message_id"] for m in ticket["messages"])
    assert desk.run("spam", "list", "--json").json() == []
    desk.flush()
    assert len(sink.to("olga@client.example")) == before
    # one spool copy, the one the ticket keeps: the copy it arrived as, left in
    # spool/cur, outlived the ticket's retention as mail in no ticket
    spool = [p for p in (desk.root / "data" / "spool").rglob("*") if p.is_file()]
    mid = entry["message_id"].encode()
    assert len([p for p in spool if mid in p.read_bytes()]) == 1
    assert_store_clean(desk)
    assert desk.run("block", "remove", "olga@client.example").code == 0
    desk.ingest(make_mail(sender="olga@client.example", subject=f"Re: [TID#{tid}]", body="Ещё"))
    later = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "customer"]
    assert [m["text"].strip() for m in later][-1] == "Ещё"  # not quarantined


def test_deleting_a_spam_marked_message_deletes_its_spool_copy(desk, sink):
    """What #spam moved to the quarantine leaves nothing behind once deleted: not its
    spool copy either (spam's bytes are not kept for ever)."""
    tid, _ = open_ticket(desk, sink, sender="seo@promo.example", subject="SEO")
    spool = desk.root / "data" / "spool" / "cur"
    marker = b"seo@promo.example"
    assert any(marker in p.read_bytes() for p in spool.iterdir())
    desk.ingest(staff_reply(tid, "#spam"))
    [entry] = desk.run("spam", "list", "--json").json()
    deleted = desk.run("spam", "delete", entry["id"], "--json")
    assert (deleted.code, deleted.json()) == (0, {"deleted": entry["id"]})
    assert not any(marker in p.read_bytes().split(b"\r\n\r\n")[0] for p in spool.iterdir())
    assert_store_clean(desk)


def test_mail_of_a_spam_marked_ticket_from_someone_not_blocked_stays_with_it(desk, sink):
    """#spam blocked the requester alone; a colleague of theirs (not blocked) then
    writes under the ticket's tag. The mail is kept in the quarantine with the
    ticket's: no ticket of its own, no confirmation to the colleague, no notice to
    staff (only a verified staff member is told of the mark)."""
    tid, _ = open_ticket(desk, sink, subject="SEO")
    desk.ingest(staff_reply(tid, "#spam"))
    desk.flush()
    before = len(sink.received)
    mail = make_mail(sender=f"Пётр <{COLLEAGUE}>", subject=f"Re: SEO [TID#{tid}]")
    assert desk.ingest(mail).out.startswith("quarantined ")
    desk.flush()
    assert desk.tickets() == [] and len(sink.received) == before
    kept = [e for e in desk.run("spam", "list", "--json").json() if e["from"] == COLLEAGUE]
    assert [e["reason"] for e in kept] == [f"spam: #spam [TID#{tid}]"]
    assert_store_clean(desk)


def test_a_reply_to_mail_kept_with_a_spam_marked_ticket_stays_with_it_too(desk, sink):
    """Mail kept with a #spam ticket has its Message-ID indexed to the ticket: a reply
    to it alone (In-Reply-To, no tag in the subject) is the ticket's mail too, kept
    with it, never a ticket of its own with a confirmation and a notice to staff."""
    tid, _ = open_ticket(desk, sink, subject="SEO")
    desk.ingest(staff_reply(tid, "#spam"))
    first = make_mail(sender=f"Пётр <{COLLEAGUE}>", subject=f"Re: SEO [TID#{tid}]", msgid="<p1@x>")
    assert desk.ingest(first).out.startswith("quarantined ")
    desk.flush()
    before = len(sink.received)
    reply = make_mail(
        sender=f"Пётр <{COLLEAGUE}>",
        subject="Re: SEO",
        headers={"In-Reply-To": "<p1@x>", "References": "<p1@x>"},
    )
    assert desk.ingest(reply).out.startswith("quarantined ")
    desk.flush()
    assert desk.tickets() == [] and len(sink.received) == before
    kept = [e for e in desk.run("spam", "list", "--json").json() if e["from"] == COLLEAGUE]
    assert [e["reason"] for e in kept] == [f"spam: #spam [TID#{tid}]"] * 2


def test_mail_of_a_spam_marked_ticket_whose_mail_was_deleted_stays_in_the_quarantine(desk, sink):
    """The admin deleted what #spam kept of a ticket (`maild spam delete`); its mark
    stays. A colleague of the spammer (not blocked) then writes under its tag: the mail
    is kept in the quarantine still, not a ticket under that TID nor one of its own:
    only mail the admin released brings a #spam ticket back."""
    tid, _ = open_ticket(desk, sink, subject="SEO")
    desk.ingest(staff_reply(tid, "#spam"))
    desk.flush()
    [entry] = desk.run("spam", "list", "--json").json()
    assert desk.run("spam", "delete", entry["id"]).code == 0
    before = len(sink.received)
    mail = make_mail(sender=f"Пётр <{COLLEAGUE}>", subject=f"Re: SEO [TID#{tid}]")
    assert desk.ingest(mail).out.startswith("quarantined "), desk.tickets()
    desk.flush()
    assert desk.tickets() == [] and len(sink.received) == before
    [kept] = desk.run("spam", "list", "--json").json()
    assert kept["from"] == COLLEAGUE and kept["reason"] == f"spam: #spam [TID#{tid}]"


def test_a_chain_of_merges_keeps_every_ticket_merged_on(desk, sink):
    """One ticket merged into a second, the second then into a third: the third is
    the whole of them; it names both as merged into it (`ticket show`, its JSON), as
    what makes mail to the first's reply addresses and #uncc of the first's queued
    mail its own (leak.merged, guard.withdraw_removed)."""
    middle, first = two_tickets(desk, sink)
    desk.ingest(staff_reply(first, f"#merge {middle}\n"))
    third = desk.ingest_tid(make_mail(sender="olga@client.example", subject="Третье"))
    desk.ingest(staff_reply(middle, f"#merge {third}\n"))
    desk.flush()
    assert desk.ticket(middle)["merged_into"] == third
    assert sorted(desk.ticket(third)["merged_from"]) == sorted([first, middle])
    shown_text = desk.run("ticket", "show", third).out
    assert f"[TID#{first}]" in shown_text and f"[TID#{middle}]" in shown_text
    assert_store_clean(desk)
