"""A letter Outlook Express sent in parts («Разбивать сообщения больше ... КБ»): three
message/partial mails of one id (tests/data/partial: its text and a screen.png cut
across them). Each part had been a ticket of its own, with its own confirmation and
notice; the first part was read as the whole letter, the cut-off screen.png accepted,
and the others showed pages of base64 as the customer's text. Now the parts go to one
ticket, in whatever order they come, with one confirmation and one notice; nothing in
a part is read as the customer's text or counted as a file received; the customer is
asked to send the letter again unsplit. Through `maild ingest` to a real relay."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Desk, Sink

DATA = Path(__file__).parent.parent / "data" / "partial"
CUSTOMER = "ivan@shop-example.ru"


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
