"""Reminders and escalations queued while the relay is down are withdrawn, not sent,
when the ticket they are about no longer waits for staff by the time the relay is
back (answered, closed, put to waiting, or a new deadline since): an overnight outage
leaves no pile of stale reminders. A ticket still waiting gets its reminder as ever.
Real CLI, a real aiosmtpd relay, a port where nothing listens while it is down."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from tests.helpers import Desk, dead_port, make_mail, staff_to

CUSTOMER = "ivan@shop-example.ru"
OTHER = "olga@other-shop.ru"
STAFF = ["anna@example.com", "boris@example.com"]
HEAD = "head@example.com"


def _later() -> str:
    """Past both the reminder and the escalation of a ticket made now."""
    return (datetime.now().astimezone() + timedelta(days=60)).isoformat()


def _queued_in_an_outage(desk: Desk) -> tuple[dict, list[dict]]:
    """`maild jobs run` a day later with the relay down: what the run did (--json) and
    the outbox's queued mail after a flush that could send nothing."""
    jobs = desk.run("jobs", "run", "--now", _later(), "--json")
    assert jobs.code == 0, jobs.err
    assert desk.flush().code != 0  # nothing went: the relay is down
    return jobs.json(), desk.run("outbox", "list", "--json").json()


def _is_deadline_mail(subject: str) -> bool:
    """A reminder (reminder_staff.txt) or an escalation (escalation.txt)."""
    return subject.startswith(("Напоминание", "Просрочена реакция"))


def _deadline_mail(sink, tid: str) -> list[str]:
    """(recipient, subject) of every reminder and escalation the relay took about `tid`."""
    return [
        f"{to} {r.subject}"
        for r in sink.received
        for to in r.rcpt_tos
        if f"[TID#{tid}]" in r.subject and _is_deadline_mail(r.subject)
    ]


@pytest.mark.parametrize(
    "action",
    ["answer", "close", "wait", "level"],
)
def test_deadline_mail_of_a_ticket_answered_during_an_outage_is_withdrawn(
    tmp_path, sink, caplog, action
):
    desk = Desk(tmp_path, dead_port())  # the relay is down
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER, subject="Не работает оплата"))
    waiting = desk.ingest_tid(make_mail(sender=OTHER, subject="Ошибка 500"))
    jobs, queued = _queued_in_an_outage(desk)
    assert jobs["reminders"] == 2
    ours = [m for m in queued if m["tid"] == tid and _is_deadline_mail(m["subject"])]
    # a (late) reminder to each staff member and the head's escalation alone (no late
    # reminder beside it), each knowing its deadline
    assert sorted(a for m in ours for a in m["to"]) == sorted([*STAFF, HEAD])
    due = desk.ticket(tid)["reaction_due"]
    assert {m.get("about_due") for m in ours} == {due}

    body = {
        "answer": "Проверьте, пожалуйста, настройки оплаты.",
        "close": "Проверьте, пожалуйста, настройки оплаты.\n#close",
        "wait": "Пришлите, пожалуйста, журнал ошибок.\n#wait",
        "level": "#note\n#level consulting",  # no answer, but a new deadline
    }[action]
    reply = make_mail(sender=STAFF[0], to=staff_to(tid), subject=f"Re: [TID#{tid}]", body=body)
    desk.ingest(reply)
    if action == "level":  # the old deadline's mail is stale; the new one's comes later
        assert desk.ticket(tid)["reaction_due"] not in (None, due)
    else:
        assert desk.ticket(tid)["reaction_due"] is None

    desk.sections["outbound"]["port"] = sink.port  # the relay is back
    desk.write_config()
    with caplog.at_level(logging.INFO):
        r = desk.flush()
    assert r.code == 0, r.out + r.err
    assert _deadline_mail(sink, tid) == []
    # the ticket still waiting gets its reminders and its escalation
    assert len(_deadline_mail(sink, waiting)) == 3
    assert any(CUSTOMER in r.rcpt_tos for r in sink.received)  # the answer went

    sent = desk.run("outbox", "list", "--sent", "--json").json()
    withdrawn = [m for m in sent if m.get("withdrawn")]
    assert sorted(m["id"] for m in withdrawn) == sorted(m["id"] for m in ours)
    assert {m["withdrawn"] for m in withdrawn} == {"stale"}
    assert not any("sent_at" in m for m in withdrawn)  # never went
    lines = [r.getMessage() for r in caplog.records if "withdrawn, not sent" in r.getMessage()]
    assert len(lines) == 3  # one a mail: to each staff member, the head's escalation
    for m in withdrawn:
        assert any(m["message_id"] in line and f"[TID#{tid}]" in line for line in lines)
    # the thread says so: staff's reminder's and the escalation's records are withdrawn
    shown = desk.ticket(tid)
    ids = {m["message_id"] for m in withdrawn}
    notices = [m for m in shown["messages"] if m["message_id"] in ids]
    assert len(notices) == 2 and {m.get("withdrawn") for m in notices} == {"stale"}
    text = desk.run("ticket", "show", tid).out
    assert "не отправлено: срок уже не актуален" in text
    assert desk.flush().out.startswith("sent 0,")  # and nothing goes later
    assert _deadline_mail(sink, tid) == []


def test_deadline_mail_of_a_ticket_still_waiting_goes_after_an_outage(tmp_path, sink):
    """The ticket was not answered: its reminders and escalation go once the relay is
    back, with nothing withdrawn; a staff note (#note) is no answer."""
    desk = Desk(tmp_path, dead_port())
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER))
    assert desk.run("jobs", "run", "--now", _later()).code == 0
    note = make_mail(
        sender=STAFF[0], to=staff_to(tid), subject=f"Re: [TID#{tid}]", body="#note\nСмотрю."
    )
    desk.ingest(note)
    assert desk.ticket(tid)["reaction_due"] is not None
    desk.sections["outbound"]["port"] = sink.port
    desk.write_config()
    assert desk.flush().code == 0
    # staff's (late) reminders and the head's escalation: a run past the deadline
    assert len(_deadline_mail(sink, tid)) == 3
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert not any(m.get("withdrawn") for m in sent)


def _is_list(subject: str) -> bool:
    """A reminder list (reminder_list.txt) or an escalation list (escalation_list.txt)."""
    return subject.startswith(("Напоминание: нет реакции по", "Просрочена реакция по"))


def _listed_during_an_outage(tmp_path) -> tuple[Desk, list[str], list[dict]]:
    """Two tickets whose reminders and escalations all went into lists (the figure 0)
    while the relay was down, a day after their deadlines: a reminder list to each
    staff member and an escalation list to the head (no late reminder list beside it),
    each naming both tickets, still queued."""
    desk = Desk(tmp_path, dead_port(), support={"max_reminders_per_person_per_hour": 0})
    tids = [
        desk.ingest_tid(make_mail(sender=CUSTOMER, subject="Не работает оплата")),
        desk.ingest_tid(make_mail(sender=OTHER, subject="Ошибка 500")),
    ]
    _jobs, queued = _queued_in_an_outage(desk)
    lists = [m for m in queued if _is_list(m["subject"])]
    assert sorted(a for m in lists for a in m["to"]) == sorted([*STAFF, HEAD])
    assert not any(_is_deadline_mail(m["subject"]) and not _is_list(m["subject"]) for m in queued)
    dues = {tid: [desk.ticket(tid)["reaction_due"]] for tid in tids}
    assert all(m["about_dues"] == dues for m in lists)  # each ticket's deadline it is about
    return desk, tids, lists


def _relay_back(desk: Desk, sink) -> None:
    desk.sections["outbound"]["port"] = sink.port
    desk.write_config()


def test_lists_whose_every_ticket_was_answered_during_an_outage_are_withdrawn(
    tmp_path, sink, caplog
):
    """After an outage staff and the head get no lists of tickets answered since: one
    ticket answered, the other put to #wait; each list is withdrawn as stale, as a
    single reminder would be, and each ticket's thread says so."""
    desk, tids, lists = _listed_during_an_outage(tmp_path)
    bodies = ["Проверьте настройки оплаты.", "Пришлите журнал.\n#wait"]
    for tid, body in zip(tids, bodies, strict=True):
        desk.ingest(
            make_mail(sender=STAFF[0], to=staff_to(tid), subject=f"Re: [TID#{tid}]", body=body)
        )
    _relay_back(desk, sink)
    with caplog.at_level(logging.INFO):
        r = desk.flush()
    assert r.code == 0, r.out + r.err
    assert [m.subject for m in sink.received if _is_deadline_mail(m.subject)] == []
    assert {CUSTOMER, OTHER} <= {a for m in sink.received for a in m.rcpt_tos}  # the answers

    sent = desk.run("outbox", "list", "--sent", "--json").json()
    withdrawn = [m for m in sent if m.get("withdrawn")]
    assert sorted(m["id"] for m in withdrawn) == sorted(m["id"] for m in lists)
    assert {m["withdrawn"] for m in withdrawn} == {"stale"}
    assert not any("sent_at" in m for m in withdrawn)
    lines = [r.getMessage() for r in caplog.records if "withdrawn, not sent" in r.getMessage()]
    assert len(lines) == 3  # staff's two reminder lists, the head's escalation list
    for m in withdrawn:
        assert any(m["message_id"] in line and "stale" in line for line in lines)
    assert all(f"[TID#{tid}]" in line for line in lines for tid in tids)
    for tid in tids:  # each ticket's notes of the lists: marked, as a single's record
        notes = [m for m in desk.ticket(tid)["messages"] if "письме-списке" in m["text"]]
        assert len(notes) == 3 and {m.get("withdrawn") for m in notes} == {"stale"}
        assert desk.run("ticket", "show", tid).out.count("не отправлено: срок уже не актуален") == 3
    assert desk.flush().out.startswith("sent 0,")


def test_lists_naming_a_ticket_still_waiting_go_after_an_outage(tmp_path, sink):
    """One of a list's tickets answered, the other still waiting: the list goes as it
    is (it names a deadline staff still owe), nothing withdrawn or marked."""
    desk, tids, lists = _listed_during_an_outage(tmp_path)
    body = "Проверьте настройки оплаты."
    desk.ingest(
        make_mail(sender=STAFF[0], to=staff_to(tids[0]), subject=f"Re: [TID#{tids[0]}]", body=body)
    )
    _relay_back(desk, sink)
    assert desk.flush().code == 0
    got = [m for m in sink.received if _is_list(m.subject)]
    assert sorted(a for m in got for a in m.rcpt_tos) == sorted([*STAFF, HEAD])
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert not any(m.get("withdrawn") for m in sent)
    for tid in tids:
        assert not any(m.get("withdrawn") for m in desk.ticket(tid)["messages"])


@pytest.mark.parametrize("per_hour", [5, 0], ids=["single", "list"])
def test_deadline_mail_of_a_ticket_merged_during_an_outage_goes(tmp_path, sink, per_hour):
    """A ticket no one answered, merged into another while its reminders and its
    escalation (single, or in lists) waited for the relay: its customer still waits,
    in the ticket it went into (a merged wait keeps the deadline), so the mail goes.
    It was withdrawn as stale, and nothing reminded anyone of that customer again
    (the merge carries the marks of mail queued already)."""
    support = {"max_reminders_per_person_per_hour": per_hour}
    desk = Desk(tmp_path, dead_port(), support=support)
    into = desk.ingest_tid(make_mail(sender=CUSTOMER, subject="Не проходит оплата"))
    answer = make_mail(sender=STAFF[0], to=staff_to(into), subject=f"Re: [TID#{into}]")
    desk.ingest(answer)  # answered: no deadline of its own
    tid = desk.ingest_tid(make_mail(sender=OTHER, subject="Оплата картой: ошибка"))
    due = desk.ticket(tid)["reaction_due"]
    _jobs, queued = _queued_in_an_outage(desk)
    queued = [m for m in queued if _is_deadline_mail(m["subject"])]
    # staff reminded (late) and the head escalated (past the deadline: no reminder to him)
    assert sorted(a for m in queued for a in m["to"]) == sorted([*STAFF, HEAD])
    merge = make_mail(
        sender=STAFF[0], to=staff_to(tid), subject=f"Re: [TID#{tid}]", body=f"#merge {into}\n"
    )
    desk.ingest(merge)  # the command alone: the customer has no answer yet
    assert [w["reaction_due"] for w in desk.ticket(into)["merged_waits"]] == [due]
    _relay_back(desk, sink)
    assert desk.flush().code == 0
    sent = desk.run("outbox", "list", "--sent", "--json").json()
    assert not any(m.get("withdrawn") for m in sent)
    went = [
        (to, r.subject) for r in sink.received for to in r.rcpt_tos if _is_deadline_mail(r.subject)
    ]
    assert sorted(to for to, _ in went) == sorted([*STAFF, HEAD])  # reminded and escalated
    assert all(f"[TID#{tid}]" in subject for _, subject in went)


def test_deadline_mail_of_a_ticket_that_cannot_be_read_goes_as_it_is(tmp_path, sink):
    """Whether its deadline still waits cannot be told (its file torn): the reminders
    and the escalation go as they are, none withdrawn nor held back."""
    desk = Desk(tmp_path, dead_port())
    tid = desk.ingest_tid(make_mail(sender=CUSTOMER))
    assert desk.run("jobs", "run", "--now", _later()).code == 0
    path = desk.root / "data" / "tickets" / tid[:2] / f"{tid}.json"
    path.write_bytes(path.read_bytes()[:40])  # a torn write
    desk.sections["outbound"]["port"] = sink.port
    desk.write_config()
    desk.flush()
    assert len(_deadline_mail(sink, tid)) == 3
    assert desk.run("outbox", "list", "--json").json() == []
