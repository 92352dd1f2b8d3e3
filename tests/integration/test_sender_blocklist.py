"""The outbox's sender looks at the block list as it is when it sends: automatic mail
queued to an address the admin blocked by editing blocklist.json by hand (no `maild
block add` withdrew it) is withdrawn, not sent; a staff member's answer still goes.
A blocklist.json that is no block list withdraws nothing and is logged once."""

from __future__ import annotations

import logging

import pytest

from maild.app import App
from maild.config import load
from tests.helpers import Desk, make_mail, staff_to

CUSTOMER = "ivan@shop-example.ru"
STAFF = ["anna@example.com", "boris@example.com"]


def _blocklist(desk: Desk, text: str) -> None:
    """The admin's hand edit (README: a JSON list of addresses and domains)."""
    (desk.root / "data" / "blocklist.json").write_text(text, encoding="utf-8")


def _errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_hand_edited_block_withdraws_queued_automatic_mail(desk, sink, caplog):
    tid = desk.ingest_tid(make_mail(sender=f"Иван <{CUSTOMER}>", body="Не работает оплата."))
    answer = "Проверьте, пожалуйста, настройки оплаты."
    desk.ingest(
        make_mail(sender=STAFF[0], to=staff_to(tid), subject=f"Re: [TID#{tid}]", body=answer)
    )
    _blocklist(desk, '["spam-farm.example", "shop-example.ru"]\n')
    with caplog.at_level(logging.INFO):
        r = desk.flush()
    assert r.code == 0, r.out + r.err
    # the staff member's answer goes, the confirmation does not; staff get theirs
    [got] = sink.to(CUSTOMER)
    assert answer in got.text
    assert sorted(a for m in sink.received for a in m.rcpt_tos if a != CUSTOMER) == STAFF
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    [withdrawn] = [m for m in sent if m.get("withdrawn")]
    assert withdrawn["withdrawn"] == "blocked" and withdrawn["to"] == [CUSTOMER]
    assert withdrawn["kind"] == "confirmation" and withdrawn["tid"] == tid
    assert "sent_at" not in withdrawn  # never went
    [line] = [r.getMessage() for r in caplog.records if "withdrawn" in r.getMessage()]
    assert withdrawn["message_id"] in line and f"[TID#{tid}]" in line
    assert line.endswith("not sent: blocked (shop-example.ru)")  # the entry that blocks it
    assert "spam-farm" not in line
    assert desk.run("outbox", "list", "--json").json() == []
    assert desk.flush().out.startswith("sent 0,")  # and never queued again
    assert len(sink.to(CUSTOMER)) == 1


@pytest.mark.parametrize("text", ['["shop-example.ru",]', '["shop-example.ru", 5]', "{}"])
def test_a_broken_block_list_withdraws_nothing(desk, sink, caplog, text):
    """Screening reads what it can of a broken list; the sender withdraws nothing by
    it (a guess could lose a customer's mail): the mail goes, one error says why."""
    desk.ingest(make_mail(sender=CUSTOMER))
    _blocklist(desk, text)
    with caplog.at_level(logging.INFO):
        r = desk.flush()
    assert r.code == 0, r.out + r.err
    assert len(sink.to(CUSTOMER)) == 1  # the confirmation
    [error] = _errors(caplog)
    assert "blocklist.json" in error and "not a block list" in error
    assert desk.run("outbox", "list", "--sent", "--json").json()[0].get("withdrawn") is None


def test_the_sender_reads_the_list_again_when_it_changes(desk, sink, caplog):
    """One sender (the daemon's) over many passes: a broken list is logged once, not
    each pass; corrected, it is read again and withdraws what it blocks."""
    app = App(load(desk.config))
    _blocklist(desk, '["shop-example.ru",]')
    with caplog.at_level(logging.INFO):
        desk.ingest(make_mail(sender=CUSTOMER, msgid="<one@shop-example.ru>"))
        assert app.outbox.flush(app.config.outbound, force=False)[0] == 3
        desk.ingest(make_mail(sender=CUSTOMER, msgid="<two@shop-example.ru>", subject="Ещё"))
        assert app.outbox.flush(app.config.outbound, force=False)[0] == 3
        assert len(sink.to(CUSTOMER)) == 2
        said = [e for e in _errors(caplog) if "without a look at the block list" in e]
        assert len(said) == 1, said
        desk.ingest(make_mail(sender=CUSTOMER, msgid="<three@shop-example.ru>", subject="3"))
        _blocklist(desk, '["shop-example.ru"]')  # corrected
        assert app.outbox.flush(app.config.outbound, force=False)[0] == 2  # staff's
    assert len(sink.to(CUSTOMER)) == 2
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert [m["to"] for m in sent if m.get("withdrawn") == "blocked"] == [[CUSTOMER]]


def test_a_hand_edited_domain_block_keeps_staffs_own_mail_going(desk, sink):
    """A domain entry that covers support's own side (staff at example.com) withdraws
    none of the mail to staff and the head: they hear of the new ticket as ever, as
    queueing (domain.spam.withheld) would have let it go. Screened as anyone's, staff
    lost every notice of every ticket while the entry stood."""
    desk.ingest(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    _blocklist(desk, '["example.com"]\n')
    assert desk.flush().code == 0
    assert len(sink.to(CUSTOMER)) == 1  # the confirmation: no entry covers the customer
    assert sorted(a for m in sink.received for a in m.rcpt_tos if a != CUSTOMER) == STAFF
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert [m for m in sent if m.get("withdrawn")] == []


def test_a_domain_block_over_staff_before_the_mail_keeps_their_notices_going(desk, sink):
    """The same entry already listed when the mail comes: queueing (keptback) holds
    back no notice from support's own side either, and the ticket notes none held."""
    desk.make_store()
    _blocklist(desk, '["example.com"]\n')
    desk.ingest(make_mail(sender=CUSTOMER, body="Не работает оплата."))
    assert desk.flush().code == 0
    assert sorted(a for m in sink.received for a in m.rcpt_tos if a != CUSTOMER) == STAFF
    [ticket] = desk.tickets()
    assert not [m for m in ticket.get("messages", []) if m.get("suppressed")]
