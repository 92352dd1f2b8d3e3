"""Mail queued to staff or the head while the relay is down is withdrawn, not sent,
when its recipient is no longer staff (nor the head, for the head's mail) by the time
the relay is back: the admin took them off support.staff (or named another head) and
restarted maild. The copies to those who stay go, and so does the customer's mail.
Real CLI, a real aiosmtpd relay, a port where nothing listens while it is down."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from tests.helpers import Desk, dead_port, make_mail, staff_to

CUSTOMER = "ivan@shop-example.ru"
ANNA, BORIS, VERA = "anna@example.com", "boris@example.com", "vera@example.com"
HEAD = "head@example.com"


def _relay_back(desk: Desk, sink, **support: object) -> None:
    """The config edited (and maild restarted: each command reads it anew), the relay up."""
    desk.sections["support"].update(support)
    desk.sections["outbound"]["port"] = sink.port
    desk.write_config()


def _got(sink, tid: str) -> list[str]:
    """`recipient: the subject's first two words` of every mail about `tid` the relay
    took, sorted."""
    return sorted(
        f"{to}: {' '.join(r.subject.split()[:2])}"
        for r in sink.received
        for to in r.rcpt_tos
        if f"[TID#{tid}]" in r.subject
    )


def test_mail_queued_to_a_staff_member_taken_off_staff_is_withdrawn(tmp_path, sink, caplog):
    desk = Desk(tmp_path, dead_port(), support={"staff": [ANNA, BORIS, VERA]})
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER))
    # the head's letter about the ticket: it goes to staff (a list's kind of mail)
    desk.ingest(
        make_mail(
            sender=f"Олег <{HEAD}>",
            to=staff_to(tid, HEAD),
            subject=f"Re: [TID#{tid}]",
            body="Борис увольняется, не давать ему это обращение.",
        )
    )
    assert desk.flush().code != 0  # nothing went: the relay is down
    queued = desk.run("outbox", "list", "--json").json()
    to_boris = [m for m in queued if m["to"] == [BORIS]]
    assert len(to_boris) == 2 and {m.get("role") for m in to_boris} == {"staff"}
    assert [m.get("role") for m in queued if m["to"] == [CUSTOMER]] == [None]

    _relay_back(desk, sink, staff=[ANNA, VERA])  # Boris's last day
    with caplog.at_level(logging.INFO):
        r = desk.flush()
    assert r.code == 0, r.out + r.err
    sink.wait_for(5, 2)
    assert _got(sink, tid) == [
        f"{ANNA}: Новое обращение",
        f"{ANNA}: Письмо руководителя",
        f"{CUSTOMER}: Обращение зарегистрировано:",
        f"{VERA}: Новое обращение",
        f"{VERA}: Письмо руководителя",
    ]
    assert not sink.to(BORIS)

    sent = desk.run("outbox", "list", "--sent", "--json").json()
    withdrawn = [m for m in sent if m.get("withdrawn")]
    assert sorted(m["id"] for m in withdrawn) == sorted(m["id"] for m in to_boris)
    assert {m["withdrawn"] for m in withdrawn} == {"left"}
    assert not any("sent_at" in m for m in withdrawn)  # never went
    text = desk.run("outbox", "list", "--sent").out
    assert text.count("(withdrawn, not sent: left)") == 2
    lines = [
        r.getMessage() for r in caplog.records if "withdrawn, not sent: left" in r.getMessage()
    ]
    assert len(lines) == 2
    for m in withdrawn:
        assert any(m["message_id"] in line and f"[TID#{tid}]" in line for line in lines)
    # the thread says whose copies did not go
    notices = [m for m in desk.ticket(tid)["messages"] if m.get("withdrawn_copies")]
    assert len(notices) == 2
    assert all(m["withdrawn_copies"] == {BORIS: "left"} for m in notices)
    assert not any(m.get("withdrawn") for m in notices)  # Anna's and Vera's went
    shown = desk.run("ticket", "show", tid).out
    assert f"не отправлено: {BORIS}: адресат больше не в службе поддержки" in shown
    assert desk.flush().out.startswith("sent 0,")  # and nothing goes later
    assert not sink.to(BORIS)


def _later() -> str:
    """Past both the reminder and the escalation of a ticket made now."""
    return (datetime.now().astimezone() + timedelta(days=60)).isoformat()


@pytest.mark.parametrize(
    ("support", "goes"),
    [
        ({"head": "maria@example.com"}, False),  # another head: the old one left
        ({"head": "maria@example.com", "staff": [ANNA, BORIS, HEAD]}, True),  # now staff
        ({"staff": [ANNA]}, True),  # Boris left; the head stays
    ],
)
def test_the_heads_escalation_goes_only_while_they_are_head_or_staff(tmp_path, sink, support, goes):
    desk = Desk(tmp_path, dead_port())  # staff Anna and Boris, head@ the head
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER))
    # the reminder a minute before the deadline (to staff and the head), the escalation
    # after it (a reminder due only then would go to staff alone)
    due = datetime.fromisoformat(desk.ticket(tid)["reaction_due"])
    before = (due - timedelta(minutes=1)).isoformat()
    for at in (before, _later()):
        assert desk.run("jobs", "run", "--now", at).code == 0
    queued = desk.run("outbox", "list", "--json").json()
    to_head = [m for m in queued if m["to"] == [HEAD] and m["tid"] == tid]
    assert len(to_head) == 2 and {m["role"] for m in to_head} == {"head"}  # reminder too
    reminders = [m for m in queued if m["to"] in ([ANNA], [BORIS]) and m.get("about_due")]
    assert len(reminders) == 2

    _relay_back(desk, sink, **support)
    assert desk.flush().code == 0
    staff_now = support.get("staff", [ANNA, BORIS])
    gone = {a for a in (ANNA, BORIS) if a not in staff_now} | (set() if goes else {HEAD})
    # nothing queued to those gone reached the relay (new-ticket notices, reminders, the
    # morning queue, the head's escalation and SLA report); everything to those who stay did
    for person in (ANNA, BORIS, HEAD):
        assert bool(sink.to(person)) is (person not in gone), person
    assert sink.to(CUSTOMER)  # the confirmation: a customer's mail is never withdrawn so
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    left = [m for m in sent if m.get("withdrawn") == "left"]
    assert sorted(m["id"] for m in left) == sorted(m["id"] for m in queued if m["to"][0] in gone)
    assert all("sent_at" not in m for m in left)
    assert desk.flush().out.startswith("sent 0,")


def test_a_list_to_a_staff_member_taken_off_staff_is_withdrawn_and_marked_on_each_ticket(
    tmp_path, sink
):
    """A list of reminders (the figure 0) queued to Boris, who left meanwhile: it is
    withdrawn, and each ticket it names has its note of it marked, not only the outbox."""
    desk = Desk(
        tmp_path,
        dead_port(),
        support={"staff": [ANNA, BORIS], "max_reminders_per_person_per_hour": 0},
    )
    tids = [desk.ingest_tid(make_mail(sender=f"c{i}@shop{i}.example")) for i in range(2)]
    later = (datetime.now().astimezone() + timedelta(days=60)).isoformat()
    assert desk.run("jobs", "run", "--now", later).code == 0
    assert desk.flush().code != 0
    _relay_back(desk, sink, staff=[ANNA])
    assert desk.flush().code == 0
    assert not any(BORIS in r.rcpt_tos for r in sink.received)
    assert any(ANNA in r.rcpt_tos and "по 2 обращениям" in r.subject for r in sink.received)
    for tid in tids:
        notes = [m for m in desk.ticket(tid)["messages"] if "письме-списке" in m["text"]]
        marks = {
            who: m.get("withdrawn")
            for m in notes
            for who in (ANNA, BORIS)
            if "Напоминание о сроке реакции (срок" in m["text"] and f"для {who} " in m["text"]
        }
        assert marks == {ANNA: None, BORIS: "left"}


def test_mail_queued_to_staff_and_the_head_goes_when_the_config_respells_their_address(
    tmp_path, sink
):
    """The admin writes Anna's and the head's Cyrillic domain the other way (A-labels
    then U-labels, in capitals) and restarts maild while their mail waits for the relay:
    they are still support's own people, and nothing queued to them is withdrawn as if
    they had left."""
    ace_anna, ace_head = "anna@xn--80ahaefyxhn.xn--p1ai", "head@xn--80ahaefyxhn.xn--p1ai"
    desk = Desk(tmp_path, dead_port(), support={"staff": [ace_anna, BORIS], "head": ace_head})
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER))
    due = datetime.fromisoformat(desk.ticket(tid)["reaction_due"])
    for at in ((due - timedelta(minutes=1)).isoformat(), _later()):  # reminder, escalation
        assert desk.run("jobs", "run", "--now", at).code == 0
    assert desk.flush().code != 0  # the relay is down
    queued = desk.run("outbox", "list", "--json").json()
    waiting = {m["id"] for m in queued if m["to"][0] in (ace_anna, ace_head)}
    assert len(waiting) >= 4  # Anna's notice and reminder, the head's reminder and escalation

    _relay_back(desk, sink, staff=["ANNA@ПОДДЕРЖКА.РФ", BORIS], head="Head@Поддержка.рф")
    assert desk.flush().code == 0
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert not [m for m in sent if m.get("withdrawn")]
    assert {m["id"] for m in sent if "sent_at" in m} >= waiting
    assert len(sink.to(ace_anna)) >= 2 and len(sink.to(ace_head)) >= 2
