"""Robots that answer each of our mails an hour later, against the real `maild serve`
(its clock moved on by tests/clockshift, Daemon(days_ahead), a round each start) and
its mail counted at a real relay (aiosmtpd). Before, both looped for ever under every
cap on automatic mail (5 a ticket an hour, 10 an address an hour, 40 a day):

- a desk answering in the thread with new words each time (robotrounds.ACK_ROUNDS):
  now it gets the confirmation and three acknowledgements, then none, and the loop
  ends; staff are told of each of its mails, the last saying why no acknowledgement;
- a crude «Ваше письмо получено» robot answering each confirmation with a new mail
  (no In-Reply-To, no tag of ours): a new ticket a round, each confirmed. Now its third
  such ticket in a row is a robot's (robotrounds.OPENING_RUN): no confirmation, and
  staff's notice says why and how to undo it (#human).
"""

from __future__ import annotations

import smtplib

from tests.helpers import (
    Daemon,
    Desk,
    Sink,
    free_port,
    make_mail,
    outbox_empty,
    spool_empty,
    wait_until,
)

ROBOT = "info@vendor.example"
ROUND = 61 / 1440  # the robot answers 61 minutes after our mail: past every hourly cap
CANNED = "Здравствуйте! Мы получили ваше письмо и ответим в ближайшее время.\nКомпания Vendor\n"
WORDS = ["сервер", "диск", "память", "сеть", "пароль", "вход", "отчёт", "выгрузка", "касса"]


def _round(desk: Desk, sink: Sink, ahead: float, raw: bytes, to: str) -> list:
    """One round: the daemon started `ahead` days on, `raw` sent to its SMTP listener;
    the mail it sent `to` (waited for a while: none may come)."""
    before = len(sink.received)
    daemon = Daemon(desk, days_ahead=ahead or 1e-9).start()
    try:
        with smtplib.SMTP("127.0.0.1", daemon.port, timeout=30) as s:
            s.sendmail(to, ["support@example.com"], raw)
        # staff are told of every mail: once the mail is processed (the spool empty),
        # anna has her notice and the outbox is empty, whatever the round sends has
        # reached the relay (waiting 20 s for the mail that must not come made each
        # test 23 s). Not anna's mail alone: a round whose time (days_ahead) is past
        # 9:00 Moscow time on a business day got her the digest at start
        # (schedule.digest_time), and the robot's mail was left unprocessed.
        assert wait_until(
            lambda: (
                spool_empty(desk)
                and any("anna@example.com" in r.rcpt_tos for r in sink.received[before:])
                and outbox_empty(desk)
            ),
            timeout=20,
        ), "the mail not processed, staff not told of it, or the outbox not emptied"
    finally:
        daemon.stop()
    return [r for r in sink.received[before:] if to in r.rcpt_tos]


def _desk(tmp_path, sink: Sink) -> Desk:
    desk = Desk(tmp_path, sink.port, smtp={"listen": f"127.0.0.1:{free_port()}"})
    (tmp_path / "data").mkdir(exist_ok=True)
    return desk


def test_a_robot_answering_each_confirmation_with_a_new_mail_stops_getting_them(tmp_path, sink):
    desk = _desk(tmp_path, sink)
    got = _round(desk, sink, 0, make_mail(sender=ROBOT, subject="Проблема с интеграцией"), ROBOT)
    sent, rounds = len(got), 0
    while got and rounds < 8:  # each confirmation answered by a new mail, 61 minutes on
        rounds += 1
        raw = make_mail(sender=ROBOT, subject="Ваше письмо получено", body=CANNED)
        got = _round(desk, sink, rounds * ROUND, raw, ROBOT)
        sent += len(got)
    assert sent == 3 and rounds == 3  # its first ticket's, and two of its own; no more
    tickets = desk.tickets()
    assert len(tickets) == 4
    last = desk.ticket(max(tickets, key=lambda t: t["created_at"])["tid"])
    assert "3-е новое обращение подряд" in last["robots"][ROBOT]
    assert last["reaction_due"] is None  # a robot's: no deadline either
    (told,) = [m for m in sink.to("anna@example.com") if last["tid"] in m.subject]
    assert "Письмо автоматическое (ответ робота: 3-е новое обращение подряд" in told.text
    assert "#human" in told.text


def test_a_robot_answering_in_the_thread_with_new_words_gets_three_acknowledgements(tmp_path, sink):
    desk = _desk(tmp_path, sink)
    got = _round(desk, sink, 0, make_mail(sender=ROBOT, subject="Проблема с интеграцией"), ROBOT)
    sent, rounds = len(got), 0
    while got and rounds < 8:  # each of our mails answered in its thread, new words
        rounds += 1
        mid = str(got[-1].msg["Message-ID"])
        words = " ".join(WORDS[rounds:] + WORDS[:rounds])
        raw = make_mail(
            sender=ROBOT,
            subject=f"Re: {got[-1].subject}",
            body=f"Здравствуйте! Возможно, вам поможет статья: {words}.",
            headers={"In-Reply-To": mid, "References": mid},
        )
        got = _round(desk, sink, rounds * ROUND, raw, ROBOT)
        sent += len(got)
    assert sent == 4 and rounds == 4  # the confirmation and three acknowledgements
    (t,) = desk.tickets()
    ticket = desk.ticket(t["tid"])
    assert len([m for m in ticket["messages"] if m["from"] == ROBOT]) == 5
    told = [m for m in sink.to("anna@example.com") if "Проблема с интеграцией" in m.subject]
    assert len(told) == 5  # staff told of each of its mails: bounded as the loop is
    assert "это уже 4-е письмо подряд" in told[-1].text
