"""Mail withdrawn from the outbox before it went (block add, the sender's look at the
block list, #spam, #uncc, `maild forget`) is marked so in its ticket's thread:
`ticket show` says it was not sent, `--json` carries why. Before, the thread showed a
confirmation or «работа начата» that never went as ordinary outgoing mail, and
staff believed the customer had it."""

from __future__ import annotations

from tests.helpers import AUTHSERV, Desk, dead_port, dkim_pass, make_mail, staff_to
from tests.integration.test_copies_e2e import staff_says

CUSTOMER = "ivan@shop-example.ru"  # make_mail's sender
PETR = "petr@shop-example.ru"
STAFF = "anna@example.com"


def _confirmation(desk: Desk, tid: str) -> dict:
    [m] = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "confirmation"]
    return m


def _relay_back(desk: Desk, port: int) -> None:
    desk.sections["outbound"]["port"] = port
    desk.write_config()


def test_block_add_marks_the_withdrawn_confirmation_not_sent(tmp_path, sink):
    desk = Desk(tmp_path, dead_port())  # the relay is down: the confirmation waits
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 75
    assert "withdrawn" not in _confirmation(desk, tid)
    r = desk.run("block", "add", "shop-example.ru")
    assert "withdrew 1 queued automatic mail(s)" in r.out, r.out + r.err
    m = _confirmation(desk, tid)
    assert m["withdrawn"] == "blocked" and m["withdrawn_copies"] == {CUSTOMER: "blocked"}
    assert m["direction"] == "out"  # still the mail maild wrote, with its text
    notices = [m for m in desk.ticket(tid)["messages"] if m["kind"] == "notice"]
    assert notices and not any("withdrawn" in n for n in notices)  # staff's went
    shown = desk.run("ticket", "show", tid).out
    head, _, rest = shown.partition(f"confirmation  support@example.com  кому: {CUSTOMER}")
    assert rest.splitlines()[1].strip() == "[не отправлено: адрес заблокирован]", shown
    _relay_back(desk, sink.port)
    assert desk.flush().code == 0 and sink.to(CUSTOMER) == []


def test_the_senders_look_at_a_hand_edited_list_marks_it_too(tmp_path, sink):
    desk = Desk(tmp_path, dead_port())
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 75
    (desk.root / "data" / "blocklist.json").write_text('["shop-example.ru"]\n', "utf-8")
    _relay_back(desk, sink.port)
    assert desk.flush().code == 0 and sink.to(CUSTOMER) == []
    assert _confirmation(desk, tid)["withdrawn"] == "blocked"
    assert "[не отправлено: адрес заблокирован]" in desk.run("ticket", "show", tid).out


def test_spam_marks_the_senders_other_tickets_mail_withdrawn(tmp_path, sink):
    """#spam takes its own ticket away; the sender's other ticket stays, its
    confirmation withdrawn as blocked and marked so."""
    desk = Desk(tmp_path, dead_port())
    first = desk.ingest_tid(make_mail(sender=CUSTOMER, subject="Реклама"))
    second = desk.ingest_tid(make_mail(sender=CUSTOMER, subject="Ещё реклама"))
    assert desk.flush().code == 75
    desk.ingest(make_mail(sender=STAFF, to=staff_to(first), subject=f"Re: [TID#{first}]",
                          body="#spam"))  # fmt: skip
    assert _confirmation(desk, second)["withdrawn"] == "blocked"
    assert "[не отправлено: адрес заблокирован]" in desk.run("ticket", "show", second).out


def test_forget_marks_the_emptied_mail_of_the_kept_ticket_erased(tmp_path, sink):
    """forget empties the ticket (its text, the address) and the queued mail, which
    never goes: the record, kept for the SLA's times, says it was not sent."""
    desk = Desk(tmp_path, dead_port())
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 75
    assert desk.run("forget", CUSTOMER).code == 0
    m = _confirmation(desk, tid)
    assert m["withdrawn"] == "erased" and m["text"] == "[удалено по запросу]"
    assert m["withdrawn_copies"] == {"forgotten@invalid": "erased"}  # not the address
    assert CUSTOMER not in desk.run("ticket", "show", tid, "--json").out
    assert "[не отправлено: данные удалены по запросу]" in desk.run("ticket", "show", tid).out


def test_uncc_marks_only_the_removed_persons_copy(tmp_path, sink):
    """An answer queued to the requester and a Cc participant: #uncc withdraws his
    copy alone; the record says so by recipient, and the answer still went."""
    desk = Desk(tmp_path, dead_port(), support={"authserv_id": AUTHSERV})
    # the first mail proves its From (DKIM): petr, in its Cc, joins
    tid = desk.ingest_tid(make_mail(headers={"Cc": PETR, **dkim_pass(CUSTOMER)}))
    staff_says(desk, tid, "Проверим и ответим.")
    assert desk.flush().code == 75
    staff_says(desk, tid, f"#uncc {PETR}\nПетра убрали из обращения.")
    messages = desk.ticket(tid)["messages"]
    [answer] = [m for m in messages if "Проверим" in m["text"]]
    assert answer["withdrawn_copies"] == {PETR: "uncc"} and "withdrawn" not in answer
    assert (
        f"[не отправлено: {PETR}: участник удалён из обращения]"
        in desk.run("ticket", "show", tid).out
    )
    _relay_back(desk, sink.port)
    assert desk.flush().code == 0 and sink.to(PETR) == []
    assert any("Проверим" in m.text for m in sink.to(CUSTOMER))


def test_mail_withdrawn_after_its_ticket_was_merged_is_marked_where_the_thread_goes_on(
    tmp_path, sink
):
    """#merge copies a ticket's records into the one it is merged into, where staff
    read the conversation from then on: a confirmation queued before the merge and
    withdrawn after it (block add) is marked not sent in both threads, or the
    surviving ticket shows it as mail the customer got."""
    desk = Desk(tmp_path, dead_port())
    merged = desk.ingest_tid(make_mail(sender=CUSTOMER, subject="Оплата"))
    survivor = desk.ingest_tid(make_mail(sender="olga@other-example.ru", subject="Заказ"))
    assert desk.flush().code == 75
    staff_says(desk, merged, f"#merge {survivor}")
    assert desk.ticket(merged).get("merged_into") == survivor
    assert desk.run("block", "add", "shop-example.ru").code == 0
    sent = _confirmation(desk, merged)["message_id"]
    for tid in (merged, survivor):
        [copy] = [m for m in desk.ticket(tid)["messages"] if m["message_id"] == sent]
        assert copy["kind"] == "confirmation" and copy["withdrawn"] == "blocked", tid
