"""A reply to the morning queue (digest.txt) or to the SLA report (report_sla.txt)
opened a ticket: both went with an ordinary Message-ID and no signed Reply-To, so
Anna's «Беру ... себе. #take» became a free-level ticket with her as the customer
(«Обращение зарегистрировано ... не указан в лицензии» to her, «Новое обращение»
quoting the queue to all staff, a deadline to remind of), and the #take ran nowhere;
the head's answer to the report too. Now they carry a list's Reply-To and Message-ID
(domain.listreply): such a reply, or a forward of them back to support@, opens no
ticket, reaches no customer, runs nothing, is kept in the quarantine, and whom the
mail went to is told once. End to end: `maild jobs run` making them at a real
aiosmtpd relay, the reply through `maild ingest`, `maild outbox flush`."""

from __future__ import annotations

import re

import pytest

from tests.helpers import Desk, Received, Sink, list_to, make_mail

TAG = re.compile(r"\[TID#([0-9-]+)\]")
ANNA, HEAD = "anna@example.com", "head@example.com"
TOLD = "Ответ на общее письмо клиенту не отправлен"  # staff_list_reply.txt's subject
MORNING = "2026-12-09T16:00:00+03:00"  # a Wednesday: the queue and the report both go
NO_TICKET = "0000-0000"  # tid.NO_TICKET: the report names no ticket


def morning(desk: Desk, relay: Sink) -> tuple[list[str], Received, Received]:
    """Two customers' tickets, then `jobs run`: (their TIDs, Anna's queue, the report)."""
    tids = [
        desk.ingest_tid(make_mail(sender=f"c{i}@shop{i}.example", subject=f"Заказ {i}"))
        for i in range(2)
    ]
    assert desk.flush().code == 0
    start = len(relay.received)
    r = desk.run("jobs", "run", "--now", MORNING)
    assert r.code == 0, r.err
    assert desk.flush().code == 0
    new = relay.received[start:]
    [queue] = [m for m in new if ANNA in m.rcpt_tos and "Очередь обращений" in m.subject]
    [report] = [m for m in new if HEAD in m.rcpt_tos and "Отчёт о сроках" in m.subject]
    return tids, queue, report


def as_they_are(desk: Desk) -> list[tuple]:
    """Every ticket's status, assignee and thread: what a reply on one would change."""
    return [
        (t["tid"], t["status"], t.get("assignee"), [m["message_id"] for m in t["messages"]])
        for t in desk.tickets()
    ]


def first(mail: Received) -> str:
    """The first ticket a list names: its first line's."""
    return TAG.findall(mail.text)[0]


def quoted(mail: Received) -> str:
    return "\n".join("> " + line for line in mail.text.splitlines())


def reply(
    mail: Received, sender: str, body: str, to: str | None = None, fwd: bool = False
) -> bytes:
    """A reply to `mail` as a client writes it (to its Reply-To, or `to`), threaded
    under it and quoting it; `fwd`: a forward, which names it in References only."""
    headers = {"References": mail.msg["Message-ID"]}
    if not fwd:
        headers["In-Reply-To"] = mail.msg["Message-ID"]
    return make_mail(
        sender=sender,
        to=to or str(mail.msg["Reply-To"]),
        subject=("Fwd: " if fwd else "Re: ") + mail.subject,
        body=f"{body}\n\n{quoted(mail)}\n",
        headers=headers,
    )


def held(desk: Desk, relay: Sink, raw: bytes, told: str, subject: str = TOLD) -> Received:
    """`raw` through `maild ingest` and `maild outbox flush`: no ticket opened or
    changed, the one mail `told` got is the notice (its subject starting `subject`),
    kept in the quarantine."""
    before = as_they_are(desk)
    kept = len(desk.run("spam", "list", "--json").json())
    start = len(relay.received)
    r = desk.ingest(raw)
    assert r.code == 0, r.err
    assert desk.flush().code == 0
    new = relay.received[start:]
    assert [m.rcpt_tos for m in new] == [[told]], [(m.rcpt_tos, m.subject) for m in new]
    assert as_they_are(desk) == before
    entries = desk.run("spam", "list", "--json").json()
    assert len(entries) == kept + 1
    assert entries[-1]["reason"].startswith("staff: reply to a list [TID#")
    [notice] = new
    assert notice.subject.startswith(subject), notice.subject
    text = " ".join(notice.text.split()).lower()
    assert "клиентам ничего не отправлено" in text and "команды не выполнены" in text
    return notice


@pytest.mark.daily_mail
def test_the_queue_and_the_report_carry_a_lists_reply_address(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    tids, queue, report = morning(desk, sink)
    assert queue.msg["Reply-To"] == list_to(first(queue), ANNA)
    assert sorted(tids) == sorted(TAG.findall(queue.text))
    assert report.msg["Reply-To"] == list_to(NO_TICKET, HEAD)
    assert "[TID#" not in report.subject  # it is about no ticket


@pytest.mark.daily_mail
@pytest.mark.parametrize("to", [None, "support@example.com"], ids=["reply-to", "ignores-reply-to"])
def test_a_staff_reply_to_the_morning_queue_opens_no_ticket(tmp_path, sink, to):
    desk = Desk(tmp_path, sink.port)
    tids, queue, _report = morning(desk, sink)
    body = f"Беру {tids[1]} себе.\n#take"
    notice = held(desk, sink, reply(queue, "Анна Смирнова <anna@example.com>", body, to), ANNA)
    assert f"Беру {tids[1]} себе." in notice.text  # her text, to send where she meant
    assert notice.msg["Reply-To"] == list_to(first(queue), ANNA)
    # a reply to the notice is one to the list again
    held(desk, sink, reply(notice, ANNA, "Понятно"), ANNA)


@pytest.mark.daily_mail
@pytest.mark.parametrize("to", [None, "support@example.com"], ids=["reply-to", "ignores-reply-to"])
def test_the_heads_reply_to_the_sla_report_opens_no_ticket(tmp_path, sink, to):
    desk = Desk(tmp_path, sink.port)
    _tids, _queue, report = morning(desk, sink)
    raw = reply(
        report, "Олег Петрович <head@example.com>", "Почему просрочено? Анна, разберитесь.", to
    )
    notice = held(desk, sink, raw, HEAD)
    assert "Почему просрочено?" in notice.text
    assert notice.msg["Reply-To"] == list_to(NO_TICKET, HEAD)
    assert "[TID#" not in notice.subject  # the report's reply is about no ticket
    [entry] = desk.run("spam", "list", "--json").json()
    assert entry["reason"] == f"staff: reply to a list [TID#{NO_TICKET}]"


@pytest.mark.daily_mail
def test_someone_else_answering_the_queue_opens_no_ticket(tmp_path, sink):
    """Anna forwarded her queue to a colleague outside the staff list, who replied to
    its Reply-To: kept, and Anna (whose queue it was) told, not the outsider: told
    whose mail it is, not that it was hers."""
    desk = Desk(tmp_path, sink.port)
    _tids, queue, _report = morning(desk, sink)
    raw = reply(queue, "olga@partner.example", "Я посмотрю второе.\n#close")
    notice = held(desk, sink, raw, ANNA, "Письмо от olga@partner.example на ваш адрес")
    assert "но не с вашего адреса" in " ".join(notice.text.split())


@pytest.mark.daily_mail
@pytest.mark.parametrize("who", [ANNA, HEAD])
def test_the_queue_or_report_forwarded_back_to_support_opens_no_ticket(tmp_path, sink, who):
    desk = Desk(tmp_path, sink.port)
    _tids, queue, report = morning(desk, sink)
    mail = queue if who == ANNA else report
    raw = reply(mail, who, "Пересылаю, посмотрите.", to="support@example.com", fwd=True)
    held(desk, sink, raw, who)


def test_a_reply_to_an_alert_opens_no_ticket(tmp_path):
    """The alert of mail the relay would not take (faults.alert, to the head and
    staff) is list mail too: the head's «Разберёмся» to it opened a ticket of theirs."""
    import email
    import email.policy
    from datetime import datetime

    from maild import jobs
    from tests.helpers import dead_port
    from tests.integration.test_jobs import MSK, Clock, app_of, ingest_at

    desk = Desk(tmp_path, dead_port(), schedule={"outbox_give_up_attempts": 2})
    clock = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=MSK))
    ingest_at(desk, clock, make_mail())
    app = app_of(desk, clock)
    for _ in range(2):  # nothing listens on the relay's port
        app.outbox.flush(app.config.outbound, clock.now)
    assert jobs.outbox_alerts(app, clock.now) == 3  # one mail names the three
    mails: dict[str, bytes] = {}
    [alert] = [m for m in app.outbox.entries(mails) if m["kind"] == "alert" and m["to"] == [HEAD]]
    msg = email.message_from_bytes(mails[alert["id"]], policy=email.policy.default)
    answer = make_mail(
        sender=HEAD,
        to=str(msg["Reply-To"]),
        subject="Re: " + str(msg["Subject"]),
        body="Разберёмся.",
        headers={"In-Reply-To": msg["Message-ID"], "References": msg["Message-ID"]},
    )
    before = as_they_are(desk)
    assert desk.ingest(answer).code == 0
    assert as_they_are(desk) == before
    [entry] = desk.run("spam", "list", "--json").json()
    assert entry["reason"].startswith("staff: reply to a list [TID#")
    told: dict[str, bytes] = {}
    [notice] = [m for m in app.outbox.entries(told) if m["subject"].startswith(TOLD)]
    assert notice["to"] == [HEAD]
    text = " ".join(
        email.message_from_bytes(told[notice["id"]], policy=email.policy.default)
        .get_content()
        .split()
    )
    assert "предупреждение о сбое" in text  # what it answered, named among the kinds
