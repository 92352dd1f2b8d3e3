"""The new-ticket rule of robotrounds (a robot answering each confirmation with a new
mail: opening_reason) reads the sender's latest new tickets from its address record
(Store.new_tickets), never the open tickets' summaries: thousands of tickets are open
on a busy desk, and each new mail copied every summary row to find its sender's
(openedbefore.py). Against maild with a simulated clock, mail flushed to a real relay."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from maild.adapters.store.ticketfiles import ticket_path
from maild.app import App
from maild.config import load
from maild.domain.caps import mailbox_of
from maild.domain.message import parse
from maild.domain.robotrounds import OPENING_CHAIN, OPENING_WINDOW
from maild.openedbefore import opened_before
from tests.helpers import make_mail
from tests.integration.test_slow_robot_loop import Loop

ROBOT = "info@vendor.example"
CANNED = "Здравствуйте! Мы получили ваше письмо и ответим в ближайшее время.\nКомпания Vendor\n"


def test_the_third_canned_new_ticket_is_a_robots_with_no_summary_readable(desk, sink):
    loop = Loop(desk, sink)
    for n in range(30):  # other senders' open tickets
        loop.ingest(make_mail(sender=f"client{n}@shop-example.ru", subject=f"Вопрос {n}"))
    loop.ingest(make_mail(sender=ROBOT, subject="Проблема с интеграцией"))
    loop.run(1, 0, lambda r, n: None, ROBOT)  # its confirmation went
    for n in range(3):  # each confirmation answered by a new mail, an hour on
        if n == 2:  # the open tickets' summaries gone: the rule reads none of them
            for part in (loop.app().store.root / "open").glob("*.json"):
                part.unlink()
        loop.ingest(make_mail(sender=ROBOT, subject="Ваше письмо получено", body=CANNED))
        loop.run(1, 0, lambda r, n: None, ROBOT)
    assert len(sink.to(ROBOT)) == 3  # its first ticket's and two canned ones' confirmations
    app = loop.app()
    msg = parse(make_mail(sender=ROBOT, subject="Ваше письмо получено", body=CANNED))
    with app.store.locked():
        (last, *earlier) = app.store.new_tickets(ROBOT)
        ticket, _messages = app.store.load(last)
        at = datetime.fromisoformat(ticket["created_at"])
        # recovery finding its ticket stored reads the three before it
        assert len(earlier) == 3 and len(opened_before(app, msg, last, at)) == 3
    assert "3-е новое обращение подряд" in ticket["robots"][ROBOT]


def test_mail_from_an_address_with_no_automatic_mail_lately_reads_no_ticket(desk, sink):
    loop = Loop(desk, sink)
    loop.ingest(make_mail(sender=ROBOT, subject="Проблема с интеграцией"))
    loop.now += timedelta(hours=3)  # past OPENING_WINDOW since its confirmation
    app = App(load(desk.config), clock=lambda: loop.now)
    msg = parse(make_mail(sender=ROBOT, subject="Ваше письмо получено", body=CANNED))
    loads: list[str] = []  # the tickets the store reads: none without automatic mail lately
    real = app.store.load
    app.store.load = lambda tid, *a, **kw: loads.append(tid) or real(tid, *a, **kw)
    with app.store.locked():
        assert app.store.new_tickets(ROBOT)
        assert opened_before(app, msg, None, loop.now) == ()
        assert loads == []
        assert len(opened_before(app, msg, None, loop.now - timedelta(hours=2))) == 1
        assert len(loads) == 1  # (within the window one is read: the count counts)


def test_a_closed_or_vouched_ticket_ends_the_chain_and_a_refused_file_is_none(desk, sink):
    """The chain opening_reason reads ends at an earlier ticket staff closed (a person
    of staff dealt with it) or where staff said #human of the address (a person writes
    there): the next canned mail is confirmed. A file the ticket refused (its first
    mail's attachment not accepted) is no file of a person's news: the chain goes on."""
    loop = Loop(desk, sink)
    loop.ingest(make_mail(sender=ROBOT, subject="Проблема с интеграцией"))
    loop.run(1, 0, lambda r, n: None, ROBOT)
    for _ in range(3):
        loop.ingest(make_mail(sender=ROBOT, subject="Ваше письмо получено", body=CANNED))
        loop.run(1, 0, lambda r, n: None, ROBOT)
    app = loop.app()
    msg = parse(make_mail(sender=ROBOT, subject="Ваше письмо получено", body=CANNED))
    with app.store.locked():
        last, newest, older, _first = app.store.new_tickets(ROBOT)
        at = datetime.fromisoformat(app.store.load(last)[0]["created_at"])
        assert len(opened_before(app, msg, last, at)) == 3
        ticket, messages = app.store.load(newest)
        for changed in ({**ticket, "status": "closed"}, {**ticket, "humans": [ROBOT]}):
            app.store.save(changed, messages)
            assert opened_before(app, msg, last, at) == (), changed
        app.store.save(ticket, messages)
        ticket, messages = app.store.load(older)
        refused = {"filename": "x.exe", "accepted": False}
        first = {**messages[0], "attachments": [refused]}
        app.store.save(ticket, [first, *messages[1:]])
        assert len(opened_before(app, msg, last, at)) == 3


def test_a_confirmation_the_window_ago_to_the_second_still_counts(desk, sink):
    """OPENING_WINDOW is inclusive (robotrounds.follows): a robot answering our
    confirmation two hours after it, to the second, is still read as answering it."""
    loop = Loop(desk, sink)
    loop.ingest(make_mail(sender=ROBOT, subject="Проблема с интеграцией"))
    loop.run(1, 0, lambda r, n: None, ROBOT)
    app = loop.app()
    msg = parse(make_mail(sender=ROBOT, subject="Ваше письмо получено", body=CANNED))
    with app.store.locked():
        sent = max(app.store.auto_replies(mailbox_of(ROBOT)))
        assert len(opened_before(app, msg, None, sent + OPENING_WINDOW)) == 1
        assert opened_before(app, msg, None, sent + OPENING_WINDOW + timedelta(seconds=1)) == ()


def test_a_ticket_file_that_cannot_be_read_ends_the_chain(desk, sink, caplog):
    """A ticket of the chain whose file is corrupt ends it, as a closed one does: the
    tickets before it are not read past it (the rule would count a chain with a gap)."""
    loop = Loop(desk, sink)
    loop.ingest(make_mail(sender=ROBOT, subject="Проблема с интеграцией"))
    for _ in range(3):  # each an hour after our confirmation of the one before
        loop.now += timedelta(hours=1)
        loop.ingest(make_mail(sender=ROBOT, subject="Ваше письмо получено", body=CANNED))
    app = loop.app()
    msg = parse(make_mail(sender=ROBOT, subject="Ваше письмо получено", body=CANNED))
    with app.store.locked():
        last, newest, *_ = app.store.new_tickets(ROBOT)
        at = datetime.fromisoformat(app.store.load(last)[0]["created_at"])
        Path(ticket_path(app.store.root, newest)).write_bytes(b"[1, 2")
        assert opened_before(app, msg, last, at) == ()
    assert f"[TID#{newest}] not read" in caplog.text


def test_a_robot_rotating_five_canned_texts_is_read_back_six_tickets_and_stopped(desk, sink):
    """OPENING_CHAIN earlier tickets are read (robotrounds: a robot rotating five texts
    is stopped at its seventh canned ticket, when the chain shows two texts again)."""
    loop = Loop(desk, sink)
    loop.ingest(make_mail(sender=ROBOT, subject="Проблема с интеграцией"))
    words = ("первая", "вторая", "третья", "четвёртая", "пятая")
    for n in range(7):  # five texts in turn, each an hour after our confirmation
        loop.now += timedelta(hours=1)
        body = f"Ваше письмо получено, это {words[n % 5]} линия поддержки Vendor.\n"
        loop.ingest(make_mail(sender=ROBOT, subject="Ваше письмо получено", body=body))
    app = loop.app()
    msg = parse(make_mail(sender=ROBOT, subject="Ваше письмо получено", body=CANNED))
    with app.store.locked():
        last, *_ = app.store.new_tickets(ROBOT)
        ticket = app.store.load(last)[0]
        at = datetime.fromisoformat(ticket["created_at"])
        assert len(opened_before(app, msg, last, at)) == OPENING_CHAIN
    assert "в цепочке из 7 обращений" in ticket["robots"][ROBOT], ticket.get("robots")
