"""Staff's #spam takes back the ticket's mail still queued to the spammer: a later
`outbox flush` sends it nothing (README, Trust: nothing is sent to the sender)."""

from __future__ import annotations

from maild import runner
from maild.app import App
from maild.config import load
from tests.helpers import Desk, dead_port, make_mail, staff_to

SPAMMER = "b@spam2.example"
STAFF = ["anna@example.com", "boris@example.com"]


def _spam_says(subject: str = "Продвижение сайта в ТОП-10", **kw: str) -> bytes:
    return make_mail(sender=f"SEO <{SPAMMER}>", subject=subject, body="Недорого!", **kw)


def _marks_spam(tid: str) -> bytes:
    return make_mail(sender=STAFF[0], to=staff_to(tid), subject=f"Re: [TID#{tid}]", body="#spam")


def test_spam_withdraws_the_confirmation_queued_while_the_relay_was_down(tmp_path, sink):
    desk = Desk(tmp_path, dead_port())  # nothing listens there: the relay is down
    tid = desk.ingest_tid(_spam_says())
    assert desk.flush().code == 75  # the confirmation and two staff notices wait
    queued = desk.run("outbox", "list", "--json").json()
    assert sorted(r for m in queued for r in m["to"]) == sorted([SPAMMER, *STAFF])
    desk.ingest(_marks_spam(tid))
    queued = desk.run("outbox", "list", "--json").json()
    # staff mail stays, and Anna is told what her #spam blocked
    assert sorted(r for m in queued for r in m["to"]) == sorted([*STAFF, STAFF[0]])
    [withdrawn] = desk.run("outbox", "list", "--sent", "--json").json()
    assert withdrawn["to"] == [SPAMMER] and withdrawn["withdrawn"] == "spam"
    assert "sent_at" not in withdrawn  # never went
    desk.sections["outbound"]["port"] = sink.port  # the relay is back
    desk.write_config()
    r = desk.flush()
    assert r.code == 0 and r.out.startswith("sent 3,"), r.out + r.err
    assert sink.to(SPAMMER) == []
    assert sorted(r for m in sink.received for r in m.rcpt_tos) == sorted([*STAFF, STAFF[0]])
    assert desk.flush().out.startswith("sent 0,")  # and never queued again


def test_spam_withdraws_what_the_same_batch_queued_to_the_spammer(desk, sink):
    """The daemon processes a batch under one lock: the spammer's follow-up, just
    before staff's #spam, gets its acknowledgement queued in the same locked section."""
    tid = desk.ingest_tid(_spam_says())
    assert desk.flush().code == 0 and len(sink.to(SPAMMER)) == 1  # the confirmation
    app = App(load(desk.config))
    again = app.spool.add(_spam_says(f"Re: [TID#{tid}] Продвижение", msgid="<again@spam2.example>"))
    marked = app.spool.add(_marks_spam(tid))
    assert runner.run_batch(app, [again, marked]).ok == 2
    assert desk.tickets() == []
    r = desk.flush()
    assert r.code == 0, r.out + r.err
    assert len(sink.to(SPAMMER)) == 1  # nothing more: the acknowledgement was withdrawn
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert [m["to"] for m in sent if m.get("withdrawn") == "spam"] == [[SPAMMER]]


def test_block_add_withdraws_automatic_mail_queued_to_the_blocked(tmp_path, sink):
    """An admin blocks a sender whose confirmation still waits for the relay: it is
    never sent. A staff member's answer to them, queued too, still goes."""
    desk = Desk(tmp_path, dead_port())  # the relay is down
    tid = desk.ingest_tid(_spam_says())
    other = desk.ingest_tid(make_mail(sender="olga@client.example"))
    answer = make_mail(
        sender=STAFF[0], to=staff_to(tid), subject=f"Re: [TID#{tid}]", body="Нам не интересно."
    )
    desk.ingest(answer)
    assert desk.flush().code == 75
    r = desk.run("block", "add", "spam2.example")
    assert r.code == 0 and r.out.splitlines() == [
        "blocked spam2.example",
        "withdrew 1 queued automatic mail(s) to it: outbox list --sent",
    ]
    [withdrawn] = desk.run("outbox", "list", "--sent", "--json").json()
    assert withdrawn["to"] == [SPAMMER] and withdrawn["withdrawn"] == "blocked"
    assert withdrawn["kind"] == "confirmation" and withdrawn["tid"] == tid
    desk.sections["outbound"]["port"] = sink.port  # the relay is back
    desk.write_config()
    assert desk.flush().code == 0
    [to_spammer] = sink.to(SPAMMER)
    assert "Нам не интересно." in to_spammer.text  # the answer a person wrote
    assert len(sink.to("olga@client.example")) == 1  # others' mail is untouched
    assert f"[TID#{other}]" in sink.to("olga@client.example")[0].subject
    assert desk.run("block", "add", "spam2.example").out == "spam2.example: nothing to change\n"


def test_spam_withdraws_the_senders_automatic_mail_of_other_tickets_too(tmp_path, sink):
    """#spam blocks the sender, and a block withdraws what still waits for them:
    the confirmation of the spammer's second ticket is not sent either."""
    desk = Desk(tmp_path, dead_port())  # the relay is down
    first = desk.ingest_tid(_spam_says())
    second = desk.ingest_tid(_spam_says("Реклама в соцсетях"))
    assert desk.flush().code == 75
    desk.ingest(_marks_spam(first))
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert sorted((m["tid"], m["withdrawn"]) for m in sent) == sorted(
        [(first, "spam"), (second, "blocked")]
    )
    desk.sections["outbound"]["port"] = sink.port  # the relay is back
    desk.write_config()
    assert desk.flush().code == 0
    assert sink.to(SPAMMER) == [] and len(sink.received) == 5  # the staff notices only
    assert "помечено как спам" in sink.to(STAFF[0])[-1].subject  # and Anna's word of it


def test_mail_forget_took_from_the_queue_is_not_listed_as_sent(tmp_path, sink):
    """`maild forget` empties queued mail about the person and moves it to sent/: it
    never went, and `outbox list --sent` said nothing of it (it read as sent). Mail
    that did go, erased afterwards, still reads as sent."""
    desk = Desk(tmp_path, sink.port)
    went = desk.ingest_tid(make_mail(sender="ivan@shop.example", msgid="<went@c.example>"))
    assert desk.flush().code == 0
    desk.sections["outbound"]["port"] = dead_port()  # the relay goes down
    desk.write_config()
    held = desk.ingest_tid(make_mail(sender="ivan@shop.example", subject="Ещё вопрос"))
    assert desk.flush().code == 75
    assert desk.run("forget", "ivan@shop.example").code == 0
    assert desk.run("outbox", "list", "--json").json() == []
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert {(m["tid"], m.get("withdrawn"), "sent_at" in m) for m in sent} == {
        (went, None, True),
        (held, "erased", False),
    }
    lines = desk.run("outbox", "list", "--sent").out.splitlines()
    never = [line for line in lines if line.endswith("(withdrawn, not sent: erased)")]
    assert len(never) == 3 and len(lines) == 6, lines  # a confirmation, two notices each
    assert desk.run("status", "--json").json()["outbox"]["queued"] == 0


def test_a_sender_pass_that_read_a_mail_before_it_was_withdrawn_does_not_queue_it_again(
    tmp_path, sink
):
    """The sender rewrites a queued mail after the relay answered (an attempt counted,
    the mail queued again without its files when refused for its size) from what its
    pass read, under its own lock only; `forget` (and #spam) withdraws under the
    store's. A withdrawal between the two had the rewrite queue the mail anew, and the
    next pass sent it to the person erased. The rewrite now leaves it withdrawn."""
    customer = "ivan@shop.example"
    desk = Desk(tmp_path, dead_port())
    desk.ingest_tid(make_mail(sender=customer, subject="Не работает корзина"))
    assert desk.flush().code == 75  # queued, the relay down
    app = App(load(desk.config))
    [read] = [m for m in app.outbox.entries() if m["to"] == [customer]]  # a pass read it
    raw = app.outbox.raw(read["id"])
    assert desk.run("forget", customer).code == 0  # withdrawn meanwhile
    app.outbox.update_queued({**read, "attempts": 1})  # the pass's rewrites, after it
    app.outbox.replace_queued({**read, "attempts": 2}, raw)
    desk.sections["outbound"]["port"] = sink.port
    desk.write_config()
    assert desk.flush().code == 0
    assert sink.to(customer) == []
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert [m["withdrawn"] for m in sent if m["id"] == read["id"]] == ["erased"]
