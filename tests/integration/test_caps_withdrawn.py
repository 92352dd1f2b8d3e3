"""The caps on automatic mail count what a person gets: mail withdrawn from the
outbox before it went (block add, #uncc, `maild forget`, ...) reached nobody and
uses up no address's allowance; mail that went still does."""

from __future__ import annotations

import pytest

from tests.helpers import AUTHSERV, SUPPORT, Desk, dead_port, make_mail, request_text, staff_reply

CUSTOMER = "ivan@shop-example.ru"


def _write(desk: Desk, n: int) -> str:
    mail = make_mail(
        sender=CUSTOMER,
        subject=f"Вопрос {n}",
        body=request_text(n),
        msgid=f"<q{n}@shop-example.ru>",
    )
    return desk.ingest_tid(mail)


def _unsent(desk: Desk, tid: str) -> list[str]:
    """The ticket's notes of automatic mail not sent (`ticket show --json`)."""
    notes = (m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note")
    return [t for t in notes if t.startswith("Не отправлено")]


@pytest.mark.parametrize("how", ["block add", "hand-edited list"])
def test_withdrawn_confirmations_leave_the_days_cap_to_mail_that_goes(tmp_path, sink, how):
    """Two confirmations queued, then withdrawn (by `block add`, or by the sender
    reading a hand-edited blocklist.json): with a cap of two a day, once unblocked the
    customer's next confirmation goes (they got none yet); the one after that is
    within the cap too, the third that went is not."""
    desk = Desk(tmp_path, sink.port, support={"max_auto_replies_per_day": 2})
    _write(desk, 1)
    _write(desk, 2)
    blocklist = desk.root / "data" / "blocklist.json"
    if how == "block add":
        r = desk.run("block", "add", CUSTOMER)
        assert "withdrew 2 queued automatic mail(s)" in r.out, r.out + r.err
        assert desk.run("block", "remove", CUSTOMER).code == 0
    else:
        blocklist.write_text(f'["{CUSTOMER}"]\n', "utf-8")
        assert desk.flush().code == 0  # the sender withdraws both
        blocklist.write_text("[]\n", "utf-8")
    withdrawn = [m for m in desk.run("outbox", "list", "--sent", "--json").json()
                 if m.get("withdrawn") == "blocked"]  # fmt: skip
    assert len(withdrawn) == 2
    assert desk.flush().code == 0 and sink.to(CUSTOMER) == []
    third = _write(desk, 3)
    assert desk.flush().code == 0
    got = sink.to(CUSTOMER)
    assert len(got) == 1 and f"[TID#{third}]" in got[0].subject, [m.subject for m in got]
    assert _unsent(desk, third) == []
    # the cap still holds for mail that went: two reached the customer, the third is held
    fourth = _write(desk, 4)
    fifth = _write(desk, 5)
    assert desk.flush().code == 0 and len(sink.to(CUSTOMER)) == 2
    assert _unsent(desk, fourth) == []
    [note] = _unsent(desk, fifth)
    assert "не больше 2 автоматических писем адресу в сутки" in note


def test_an_answer_to_a_forged_staff_from_withdrawn_gives_its_count_back(tmp_path, sink):
    """Mail answering an unverified claim to be staff is automatic mail, counted against
    the staff address (caps.automatic); withdrawn unsent (its recipient was taken off
    staff meanwhile: outleft.py), it reached nobody and gives the count back, as a
    customer's does: that person, a customer now, still gets their one confirmation of
    the day."""
    boris = "boris@example.com"
    support = {"authserv_id": AUTHSERV, "max_auto_replies_per_day": 1}
    desk = Desk(tmp_path, dead_port(), support=support)  # staff Anna and Boris
    tid = _write(desk, 1)
    before = {m["id"] for m in desk.run("outbox", "list", "--json").json()}
    forged = staff_reply(tid, "Готово.", sender=boris, to=SUPPORT)  # proves nothing
    assert desk.ingest(forged).code == 0
    assert desk.flush().code != 0  # the relay is down: all of it waits
    queued = desk.run("outbox", "list", "--json").json()
    [answer] = [m for m in queued if m["id"] not in before]  # «ответ не принят»
    assert answer["to"] == [boris] and answer["role"] == "staff"
    assert answer.get("counted") is True

    desk.sections["support"]["staff"] = ["anna@example.com"]  # Boris left
    desk.sections["outbound"]["port"] = sink.port
    desk.write_config()
    assert desk.flush().code == 0
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert [m["withdrawn"] for m in sent if m["id"] == answer["id"]] == ["left"]
    assert sink.to(boris) == []

    mine = desk.ingest_tid(make_mail(sender=boris, subject="Вопрос", msgid="<b1@example.com>"))
    assert desk.flush().code == 0
    got = sink.to(boris)
    assert len(got) == 1 and f"[TID#{mine}]" in got[0].subject, [m.subject for m in got]
    assert _unsent(desk, mine) == []
