"""guard.check_caps: the one rule the pipeline and the jobs follow before they queue
a mail — automatic mail to customers is capped, staff mail never is, and a mail
already in the outbox is neither capped again nor queued twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from maild import guard
from maild.app import App
from maild.config import load
from maild.domain.decision import Outgoing
from maild.domain.message import parse
from maild.domain.ownside import staff_side
from maild.domain.tid import NO_TICKET
from maild.outgoing import queue_notice, queue_ticketless, send
from tests.helpers import Desk, make_mail

NOW = datetime(2026, 11, 20, 16, 0, tzinfo=ZoneInfo("Europe/Moscow"))
CUSTOMER = "ivan@shop-example.ru"
STAFF = staff_side(["anna@example.com", "boris@example.com"])  # as outgoing.send asks


@pytest.fixture
def app(tmp_path, sink) -> App:
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_day": 1})
    app = App(load(desk.config), clock=lambda: NOW)
    app.store.record_auto_reply(CUSTOMER, NOW)  # the day's one automatic mail: gone
    return app


def check(app: App, key: str = "k1", **kw) -> guard.CapCheck:
    args = {"kind": "notice", "auto": True, "to": [CUSTOMER], "staff": STAFF} | kw
    return guard.check_caps(app, key=key, mail=("T1", "notice.txt", ""), thread=[], now=NOW, **args)


def test_automatic_mail_to_a_customer_over_the_cap_is_suppressed(app):
    c = check(app)
    assert c.to == [] and c.automatic and not c.queued
    assert c.suppressed["suppressed"] == "cap" and c.suppressed["to"] == [CUSTOMER]


def test_staff_mail_and_mail_written_by_people_are_never_capped(app):
    staff = check(app, to=sorted(STAFF))
    assert staff.to == sorted(STAFF) and staff.suppressed is None and not staff.automatic
    reply = check(app, kind="staff", auto=False)
    assert reply.to == [CUSTOMER] and reply.suppressed is None and not reply.automatic


def test_mail_answering_an_unverified_claim_is_capped_even_to_staff(app):
    """What a forger of a staff address can make maild send that address is automatic
    mail, within the same caps as a customer's."""
    app.store.record_auto_reply("anna@example.com", NOW)  # anna's one for the day
    told = check(app, to=["anna@example.com"], unverified=True)
    assert told.to == [] and told.automatic and told.suppressed["suppressed"] == "cap"
    assert check(app, to=["boris@example.com"], unverified=True).to == ["boris@example.com"]


def test_of_one_mail_only_the_copies_to_outsiders_are_capped_and_counted(app):
    """caps.automatic asked per copy: a notice to a customer and a staff member alike
    (the staff member's copy is staff mail, never capped) counts the customer's copy
    alone, and the staff member's goes while the customer's cap holds theirs."""
    other = "olga@client-example.ru"
    both = check(app, to=[other, "anna@example.com"])
    assert both.to == [other, "anna@example.com"] and both.counted == (other,)
    held = check(app, to=[CUSTOMER, other, "anna@example.com"])  # CUSTOMER's day is used up
    assert held.to == [other, "anna@example.com"] and held.counted == (other,)


def test_a_staff_copy_goes_when_every_customer_copy_is_capped(app):
    """The customer's day is used up and they are the only one the caps count: their
    copy is stopped and noted, the staff member's (never capped) still goes; the note
    names the customer alone."""
    c = check(app, to=[CUSTOMER, "anna@example.com"])
    assert c.to == ["anna@example.com"] and not c.automatic and c.counted == ()
    assert c.suppressed is not None and c.suppressed["to"] == [CUSTOMER], c.suppressed


def test_a_mail_already_in_the_outbox_is_not_capped_again_nor_queued_twice(app):
    queue_ticketless(app, "k1", ("s", "b"), [CUSTOMER], NOW)
    again = check(app, "k1")
    assert again.queued and again.to == [CUSTOMER] and again.suppressed is None
    # a message processed for the first time: its mail cannot be there, not asked
    first = check(app, "k1", may_be_queued=False)
    assert not first.queued and first.suppressed is not None


def test_staff_notices_about_one_senders_mail_are_capped_per_mailbox(tmp_path, sink):
    """guard.sender_cap against the store: the notices counted per mailbox (+tags
    and case are one sender), for an hour; the first one stopped in a flood tells
    staff (held.until), the next ones do not, till the cap fills up again."""
    desk = Desk(tmp_path, sink.port, support={"max_staff_notices_per_sender_per_hour": 2})
    app = App(load(desk.config), clock=lambda: NOW)
    minute = timedelta(minutes=1)

    def notice(sender: str, after: int) -> guard.CapCheck:
        return guard.check_caps(
            app,
            key=f"k{after}{sender}",
            to=sorted(STAFF),
            staff=STAFF,
            mail=("T1", "staff_new.txt", ""),
            thread=[],
            now=NOW + after * minute,
            about_sender=sender,
        )

    assert notice("flood+1@robot.example", 0).to == sorted(STAFF)
    assert notice("Flood@Robot.example", 1).to == sorted(STAFF)
    first = notice("flood+2@robot.example", 2)
    assert first.to == [] and first.held.until == NOW + 60 * minute
    assert first.suppressed["suppressed"] == "cap" and first.suppressed["to"] == sorted(STAFF)
    again = notice("flood@robot.example", 3)
    assert again.to == [] and again.suppressed is not None and again.held.until is None
    assert notice("olga@shop-example.ru", 3).to == sorted(STAFF)  # another sender
    assert notice("flood@robot.example", 60).to == sorted(STAFF)  # the first is an hour old
    assert notice("flood@robot.example", 61).to == sorted(STAFF)
    refilled = notice("flood@robot.example", 62)
    assert refilled.to == [] and refilled.held.until == NOW + 120 * minute
    # staff mail without an outsider behind it is never capped so
    assert notice(None, 63).to == sorted(STAFF)


def test_send_queues_the_staff_copy_of_a_mail_whose_customer_copy_a_cap_stopped(tmp_path, sink):
    """outgoing.send of a notice to a customer whose day is used up and to a staff
    member: the customer's copy is stopped and noted in the thread, the staff
    member's is queued all the same, and not counted as automatic mail (a cap on
    automatic mail to outsiders holds nothing of staff's). To a customer with mail to
    come, her copy is counted against her caps; the desk-wide count of confirmations
    of new tickets counts none of a notice."""
    support = {"max_auto_replies_per_day": 1, "max_confirmations_per_hour": 5}
    app = App(load(Desk(tmp_path, sink.port, support=support).config), clock=lambda: NOW)
    app.store.record_auto_reply(CUSTOMER, NOW)  # the day's one automatic mail: gone
    out = Outgoing(
        "k9", "notice", None, [CUSTOMER, "anna@example.com"], {}, True, body="b", subject="s"
    )
    records, queued = send(app, out, tid="1111-2222", thread=[], replying_to=(None, []), now=NOW)
    assert queued == ["anna@example.com"]
    assert [r.get("suppressed") for r in records] == ["cap", None]
    [entry] = app.outbox.entries()
    assert entry["to"] == ["anna@example.com"] and not entry.get("counted")
    other = "olga@client-example.ru"  # a customer with her day's mail to come
    out = replace(out, key="k10", to=[other, "anna@example.com"])
    queued = send(app, out, tid="1111-2222", thread=[], replying_to=(None, []), now=NOW)[1]
    assert queued == [other, "anna@example.com"]
    assert len(app.store.auto_replies(other)) == 1  # her copy counted, anna's not
    assert not app.store.auto_replies("anna@example.com")
    assert app.store.desk_confirmations(app.config.support.address) == []


def test_a_list_mail_to_two_staff_members_is_signed_for_each(app):
    """queue_ticketless (a report, the morning queue) to two: each copy's Reply-To is
    the list address signed for its own reader, so a reply to it proves that reader
    (domain.listreply); signed for the first, the second's reply proved nobody."""
    readers = ["anna@example.com", "boris@example.com"]
    queue_ticketless(app, "k3", ("s", "b"), readers, NOW)
    replies = {e["to"][0]: parse(app.outbox.raw(e["id"])).reply_to for e in app.outbox.entries()}
    assert replies == {r: app.list_address(NO_TICKET, r) for r in readers}


def test_a_notice_queued_again_on_a_re_run_is_recorded_once(tmp_path, sink):
    """A reminder's job run again after a crash (queue_notice, same key): the thread
    holds the notice once, as staff and `ticket show` read it, not twice."""
    desk = Desk(tmp_path, sink.port)
    tid = desk.ingest_tid(make_mail())
    app = App(load(desk.config), clock=lambda: NOW)
    ticket, messages = app.store.load(tid)
    args = {"key": "remind-1", "template": "staff_reply.txt", "to": ["anna@example.com"]}
    context = {"subject": "Напоминание", "text": "Ответьте клиенту."}
    for _ in range(2):
        queue_notice(app, ticket, messages, **args, context=context, now=NOW)
    assert [m["message_id"] for m in messages].count(app.message_id("remind-1", tid)) == 1
