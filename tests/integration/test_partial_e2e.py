"""A letter Outlook Express sent in parts («Разбивать сообщения больше ... КБ»): three
message/partial mails of one id (tests/data/partial: its text and a screen.png cut
across them). Each part had been a ticket of its own, with its own confirmation and
notice; the first part was read as the whole letter, the cut-off screen.png accepted,
and the others showed pages of base64 as the customer's text. Now the parts go to one
ticket, in whatever order they come, with one confirmation and one notice; nothing in
a part is read as the customer's text or counted as a file received; the customer is
asked to send the letter again unsplit. Through `maild ingest` to a real relay."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from maild.adapters.store.indexes import key_hash
from maild.domain import partial
from tests.helpers import Desk, Sink, serve_until_spool_empty

DATA = Path(__file__).parent.parent / "data" / "partial"
CUSTOMER = "ivan@shop-example.ru"
LETTER_ID = "oe-split-1@client.example"  # its message/partial id (unquoted)


def part(n: int) -> bytes:
    return (DATA / f"42_partial_{n}.eml").read_bytes()


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("order", [(1, 2, 3), (3, 1, 2)])
def test_a_letter_sent_in_parts_is_one_ticket_told_once(desk: Desk, sink: Sink, order):
    tids, outcomes = [], []
    for n in order:
        r = desk.run("ingest", "-", "--json", input=part(n))
        assert r.code == 0, r.err
        tids.append(r.json()["tid"])
        outcomes.append(r.json()["outcome"])
    assert len(set(tids)) == 1, tids
    assert outcomes == ["new", "appended", "appended"]
    tid = tids[0]
    desk.flush()
    [mail] = sink.to(CUSTOMER)
    assert f"[TID#{tid}]" in mail.subject
    text = flat(mail.text)
    assert "Ваше письмо пришло частями" in text
    assert f"(получена часть {order[0]} из 3)" in text
    assert "отправьте письмо ещё раз целиком" in text
    assert "screen.png" not in text  # no file of a part is listed as received
    staff = [m for m in sink.received if CUSTOMER not in m.rcpt_tos]
    notices = [m for m in staff if f"[TID#{tid}]" in m.subject]
    assert notices, [m.subject for m in staff]
    per_person: dict[str, int] = {}
    for m in notices:
        for rcpt in m.rcpt_tos:
            per_person[rcpt] = per_person.get(rcpt, 0) + 1
    assert set(per_person.values()) == {1}, per_person  # one notice each, not one a part
    assert f"Письмо пришло частями ({order[0]} из 3" in flat(notices[0].text)
    shown = desk.run("ticket", "show", tid, "--json").json()
    messages = [m for m in shown["messages"] if m["direction"] == "in"]
    assert len(messages) == 3
    for m in messages:
        assert not [a for a in m["attachments"] if a["accepted"]], m["attachments"]
        assert "iVBOR" not in (m["text"] or "")  # base64 is no customer's text


def test_fsck_rebuilds_the_key_that_leads_a_letters_parts(desk: Desk, sink: Sink):
    """The index entry that leads a letter's later parts to its ticket (partial.thread_key:
    of the sender and the letter's id, no mail's Message-ID) damaged: the next part waits
    in spool/new; `fsck --repair` removed the entry ("not a TID") and made nothing in
    its place, so that part and the next opened a second ticket, with a second
    confirmation. fsck now knows the key from the ticket's records and rewrites it."""
    first = desk.run("ingest", "-", "--json", input=part(1))
    tid = first.json()["tid"]
    index = desk.root / "data" / "index" / "msgid"
    key = partial.thread_key(CUSTOMER, partial.Fragment(LETTER_ID, 1))
    entry = index / key_hash(key)[:2] / key_hash(key)
    assert entry.read_text() == tid
    entry.write_bytes(b"\x00\x00\x00\x00")  # a disk's damage
    waits = desk.run("ingest", "-", "--json", input=part(2))
    assert waits.json()["outcome"] == "pending", waits.out  # waits in spool/new
    check = desk.run("fsck")
    assert check.code == 1
    rel = entry.relative_to(desk.root / "data")
    assert f"{rel}: Message-ID index of the parts of a letter in {tid}: says" in check.out
    repair = desk.run("fsck", "--repair")
    assert repair.code == 0, repair.out
    assert entry.read_text() == tid
    assert desk.run("ingest", "-", "--json", input=part(3)).json()["tid"] == tid
    serve_until_spool_empty(desk, outbox_turn=0)  # the part that waited; flush sends
    assert {t["tid"] for t in desk.tickets()} == {tid}
    desk.flush()
    assert len(sink.to(CUSTOMER)) == 1  # one confirmation
    assert desk.run("fsck").code == 0


def test_a_letters_parts_in_two_tickets_may_be_led_to_either(desk: Desk):
    """The parts of one letter in two tickets (the key lost between them, or a store of
    a version that made a ticket of each part): the key's index entry naming either
    ticket leads the next part to one holding the letter, and is no problem for fsck."""
    tid = desk.run("ingest", "-", "--json", input=part(1)).json()["tid"]
    key = partial.thread_key(CUSTOMER, partial.Fragment(LETTER_ID, 1))
    entry = desk.root / "data" / "index" / "msgid" / key_hash(key)[:2] / key_hash(key)
    entry.unlink()
    other = desk.run("ingest", "-", "--json", input=part(2)).json()["tid"]
    assert other != tid
    for named in (tid, other):
        entry.write_text(named)
        r = desk.run("fsck")
        assert r.code == 0 and r.out.splitlines()[-1] == "2 ticket(s), 0 problem(s)", r.out


def test_the_parts_of_a_letter_with_an_8_bit_id_thread_and_are_stored_as_parts(desk: Desk):
    """A part whose id is raw 8-bit bytes (`id="\\xbcx"`) went to the raw-text
    fallback (its key could not be made): each part its own ticket, stored as raw
    text. Now the parts are one ticket, each kept as a part."""
    head = (
        b"From: ivan@shop.example\r\nTo: support@example.com\r\nSubject: part\r\n"
        b"Message-ID: <p%d@shop.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: message/partial; id="\xbcx"; number=%d; total=2\r\n\r\nhello\r\n'
    )
    runs = [desk.run("ingest", "-", "--json", input=head % (n, n)) for n in (1, 2)]
    assert [r.code for r in runs] == [0, 0], [r.err for r in runs]
    assert [r.json()["outcome"] for r in runs] == ["new", "appended"]
    assert "raw text" not in runs[0].err + runs[1].err
    tid = runs[0].json()["tid"]
    assert runs[1].json()["tid"] == tid
    shown = desk.run("ticket", "show", tid, "--json").json()
    assert [m["text"] for m in shown["messages"] if m["direction"] == "in"] == ["", ""]
    assert shown["requester"] == "ivan@shop.example"
    key = partial.thread_key("ivan@shop.example", partial.Fragment("\\xbcx", 1))
    entry = desk.root / "data" / "index" / "msgid" / key_hash(key)[:2] / key_hash(key)
    assert entry.read_text() == tid  # indexed under the key of its text


def test_a_part_of_no_sender_leaves_no_key_behind(desk: Desk):
    """A part whose From gives no address opens a ticket of its own (no later mail may
    join a ticket of no sender). Its key was indexed all the same, leading nowhere:
    fsck had no record to rebuild it from, a purge none to remove it by
    (partial.record_key). Now none is written."""
    no_from = re.sub(rb"(?m)^From:.*\r?\n", b"", part(1), count=1)
    tid = desk.run("ingest", "-", "--json", input=no_from).json()["tid"]
    assert desk.ticket(tid)["requester"] in ("", None)
    key = partial.thread_key("", partial.Fragment(LETTER_ID, 1))
    entry = desk.root / "data" / "index" / "msgid" / key_hash(key)[:2] / key_hash(key)
    assert not entry.exists()
    assert desk.run("fsck").code == 0
