"""A reply to a list mail itself (reminders, escalations, refused mail: several tickets
in one mail to a staff member) counted as a reply on the list's first ticket: «Разберусь»
to a list of 35 tickets went to one arbitrary customer, and «#close» closed their
ticket. Now the list's Reply-To and Message-ID are of kinds of their own: such a reply
reaches no customer and changes no ticket, and the staff member is told to write to
the address on the line of the ticket they mean; that address still works. End to end:
`maild jobs run` (or `maild outbox flush`) making the list at a real aiosmtpd relay,
the reply through `maild ingest`."""

from __future__ import annotations

import pytest

from tests.helpers import Desk, Received, Sink, list_to, make_mail, staff_to
from tests.integration.test_refusal_flood import open_tickets as open_refused
from tests.integration.test_refusal_flood import refusing, told
from tests.integration.test_reminder_flood import REMIND, jobs_run, mail_to, open_tickets

ANNA = "anna@example.com"
TOLD = "Ответ на общее письмо клиенту не отправлен"  # staff_list_reply.txt's subject


def reply_to_list(listed: Received, body: str, to: str | None = None) -> bytes:
    """Anna's reply to `listed` as a mail client writes it: to its Reply-To (or `to`,
    a client that ignores Reply-To), threaded under it, the quote deleted (a quote of
    the list below the text is told apart already: the text stays unsent)."""
    return make_mail(
        sender=ANNA,
        to=to or str(listed.msg["Reply-To"]),
        subject="Re: " + listed.subject,
        body=body + "\n",
        headers={"In-Reply-To": listed.msg["Message-ID"], "References": listed.msg["Message-ID"]},
    )


def tickets_as_they_are(desk: Desk, tids: list[str]) -> dict[str, tuple]:
    """Each ticket's status, assignee and thread: what a reply on it would change."""
    out = {}
    for tid in tids:
        t = desk.ticket(tid)
        out[tid] = (t["status"], t.get("assignee"), [m["message_id"] for m in t["messages"]])
    return out


def answered_on_no_ticket(desk: Desk, relay: Sink, tids: list[str], raw: bytes) -> Received:
    """`raw`, a reply to a list, through `maild ingest` and `maild outbox flush`:
    nothing reached anyone but Anna, no ticket changed; the one notice she got."""
    before = tickets_as_they_are(desk, tids)
    start = len(relay.received)
    desk.ingest(raw)
    assert desk.flush().code == 0
    new = relay.received[start:]
    assert [m.rcpt_tos for m in new] == [[ANNA]], [(m.rcpt_tos, m.subject) for m in new]
    assert tickets_as_they_are(desk, tids) == before
    return new[0]


def reminder_list(desk: Desk, relay: Sink) -> tuple[list[str], Received]:
    """8 tickets reminded at once: 5 go singly, the list names the other 3."""
    tids = open_tickets(desk, 8)
    assert desk.flush().code == 0
    start = len(relay.received)
    jobs_run(desk, REMIND)
    _singles, [listed] = mail_to(relay, ANNA, start)
    return tids, listed


@pytest.mark.parametrize("body", ["Разберусь, перезвоню клиенту.", "#close\nЗакрываю всё."])
def test_a_reply_to_a_reminder_list_reaches_no_customer_and_changes_no_ticket(tmp_path, sink, body):
    desk = Desk(tmp_path, sink.port, support={"staff": [ANNA]})
    tids, listed = reminder_list(desk, sink)
    first = tids[5]
    assert listed.msg["Reply-To"] == list_to(first, ANNA)
    notice = answered_on_no_ticket(desk, sink, tids, reply_to_list(listed, body))
    assert notice.subject.startswith(TOLD) and notice.subject.endswith(f"[TID#{first}]")
    text = " ".join(notice.text.split())
    assert "клиентам ничего не отправлено" in text and "«Написать по обращению»" in text
    assert "в карантине (maild spam list) на 30 дней" in text and "keep_days" not in text
    assert body.splitlines()[-1] in text  # her text, for her to send where she meant
    # a reply to the notice is one to the list again, not to its first ticket
    assert notice.msg["Reply-To"] == list_to(first, ANNA)
    again = answered_on_no_ticket(desk, sink, tids, reply_to_list(notice, "Понятно"))
    assert again.subject.startswith(TOLD)
    [kept] = [e for e in desk.run("spam", "list", "--json").json() if e["from"] == ANNA][:1]
    assert kept["reason"] == f"staff: reply to a list [TID#{first}]"


def test_a_reply_to_a_list_by_a_client_that_ignores_reply_to_changes_no_ticket(tmp_path, sink):
    """Sent to support@ itself, threaded under the list (its Message-ID): held too."""
    desk = Desk(tmp_path, sink.port, support={"staff": [ANNA]})
    tids, listed = reminder_list(desk, sink)
    raw = reply_to_list(listed, "#close\nРазберусь", to="support@example.com")
    notice = answered_on_no_ticket(desk, sink, tids, raw)
    assert notice.subject.startswith(TOLD)


def test_the_address_on_a_lists_line_still_reaches_that_customer(tmp_path, sink):
    desk = Desk(tmp_path, sink.port, support={"staff": [ANNA]})
    tids, listed = reminder_list(desk, sink)
    address = staff_to(tids[6], ANNA)
    assert f"Написать по обращению: {address}" in listed.text
    customer = desk.ticket(tids[6])["requester"]
    start = len(sink.received)
    desk.ingest(make_mail(sender=ANNA, to=address, subject="Заказ", body="Уже смотрю.\n#take\n"))
    assert desk.flush().code == 0
    [answer] = [m for m in sink.received[start:] if customer in m.rcpt_tos]
    assert "Уже смотрю." in answer.text
    assert desk.ticket(tids[6])["assignee"] == ANNA


def test_a_reply_to_a_list_of_refused_mail_reaches_no_customer(tmp_path):
    relay = refusing(8)
    try:
        desk = Desk(tmp_path, relay.port, support={"staff": [ANNA]})
        tids = open_refused(desk, 0, 8)
        start = len(relay.received)
        assert desk.run("outbox", "flush").code == 0
        _singles, [listed] = told(relay, ANNA, start)
        assert listed.msg["Reply-To"] == list_to(tids[5], ANNA)
        raw = reply_to_list(listed, "#close\nРазберусь с адресами.")
        notice = answered_on_no_ticket(desk, relay, tids, raw)
        assert notice.subject.startswith(TOLD) and notice.subject.endswith(f"[TID#{tids[5]}]")
    finally:
        relay.stop()


def test_a_held_list_reply_is_no_mail_of_the_lists_first_ticket(tmp_path, sink):
    """The reply to a list was kept in the quarantine with the list's first ticket: when
    staff later marked that ticket #spam, the notice on it told the admin to release the
    list reply with the ticket's mail (and named the ticket by the list reply's subject).
    It is kept on no ticket; its reason still names the list's first TID."""
    desk = Desk(tmp_path, sink.port, support={"staff": [ANNA]})
    tids, listed = reminder_list(desk, sink)
    first = tids[5]
    answered_on_no_ticket(desk, sink, tids, reply_to_list(listed, "Разберусь"))
    [held] = [e for e in desk.run("spam", "list", "--json").json() if e["from"] == ANNA]
    subject = desk.ticket(first)["subject"]
    desk.ingest(make_mail(sender=ANNA, to=staff_to(first, ANNA), subject="Re: x", body="#spam\n"))
    assert desk.flush().code == 0  # (her word of what the #spam blocked)
    start = len(sink.received)
    desk.ingest(make_mail(sender=ANNA, to=staff_to(first, ANNA), subject="Re: x", body="Ещё"))
    assert desk.flush().code == 0
    [spammed] = [m for m in sink.received[start:] if ANNA in m.rcpt_tos]
    assert "помечено как спам" in spammed.subject
    assert subject in spammed.subject
    assert "maild spam release" in spammed.text and held["id"] not in spammed.text
    assert "хранятся 30 дней" in " ".join(spammed.text.split()) and "keep_days" not in spammed.text
    assert held["reason"] == f"staff: reply to a list [TID#{first}]"


def test_releasing_a_held_list_reply_says_it_stays_in_the_quarantine(tmp_path, sink):
    """`maild spam release` of a list reply printed «released ID: quarantined
    [TID#<the quarantine id>]» and exited 0 while the mail went straight back to the
    quarantine (and its writer was told again). It is on no ticket, so it stays there:
    one line says why, exit 1, nothing is sent; --json prints the object too."""
    desk = Desk(tmp_path, sink.port, support={"staff": [ANNA]})
    tids, listed = reminder_list(desk, sink)
    answered_on_no_ticket(desk, sink, tids, reply_to_list(listed, "#close\nРазберусь"))
    [held] = [e for e in desk.run("spam", "list", "--json").json() if e["from"] == ANNA]
    before = tickets_as_they_are(desk, tids)
    start = len(sink.received)
    for args in ((), ("--json",)):
        r = desk.run("spam", "release", held["id"], *args)
        assert r.code == 1, r
        assert "released" not in r.out and f"[TID#{held['id']}]" not in r.out + r.err
        assert r.err.strip().splitlines() == [
            f"maild: {held['id']} stays in the quarantine: it is a reply to a list mail, on no "
            "ticket (staff write to the address on the line of the ticket they mean); "
            f"maild spam delete {held['id']} once read"
        ], r.err
        if args:  # a script reading --json gets the object, with why it stays
            assert r.json() == {
                "id": held["id"],
                "tid": None,
                "outcome": "kept",
                "reason": "reply to a list mail, on no ticket",
            }
    assert desk.run("spam", "list", "--json").json() == [held]
    assert desk.flush().code == 0
    assert sink.received[start:] == []
    assert tickets_as_they_are(desk, tids) == before
