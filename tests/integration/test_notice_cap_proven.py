"""The cap on staff notices per sender holds proven mail too, in a bucket of its own,
end to end: the real `maild ingest` and `outbox flush`, a real aiosmtpd relay. A robot
that signs DKIM and marks nothing automatic (another desk, a monitoring system) no
longer gets staff a notice for every mail; forgeries under its From and its own
proven mail do not use up each other's cap."""

from __future__ import annotations

import shlex

from tests.helpers import Desk, make_mail
from tests.integration.test_notice_cap_proof import ANNA, US, held_notices, notices_about

ROBOT = "alerts@monitor-example.ru"
SIGNED = {"Authentication-Results": f"{US}; dkim=pass header.d=monitor-example.ru"}


def _notes(desk: Desk, tid: str) -> list[str]:
    return [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note"]


def test_a_robot_that_signs_its_mail_cannot_notify_staff_without_limit(tmp_path, sink):
    """22 mails an hour from a monitoring robot, each DKIM-proven and none marked
    automatic, made 22 notices: proven mail was never counted. Now staff get 20, then
    one notice saying the sender's mail is verified yet comes in a flood (a robot, a
    loop), with the command lines to look at its tickets or block it; every mail is in
    its ticket still."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": US})
    tids = [
        desk.ingest_tid(make_mail(sender=ROBOT, subject=f"Сервер недоступен {n}", headers=SIGNED))
        for n in range(23)
    ]
    assert desk.flush().code == 0

    assert [len(notices_about(sink, t)) for t in tids[:20]] == [1] * 20
    [held] = held_notices(sink)
    assert held.subject.startswith(f"Подтверждённые письма от {ROBOT}")
    assert f"[TID#{tids[20]}]" in held.subject
    assert "DKIM/SPF" in held.text and "робот" in held.text and "петл" in held.text
    assert "подделан" not in held.text and "Непроверенные" not in held.subject
    lines = [x for x in held.text.splitlines() if x.startswith("maild ")]
    assert lines == [f"maild ticket list --requester {ROBOT}", f"maild block add {ROBOT}"]
    listed = desk.run(*shlex.split(lines[0])[1:], "--json")
    assert listed.code == 0 and len(listed.json()) == 23, listed.err
    assert [notices_about(sink, t) for t in tids[21:]] == [[], []]
    for tid in tids[21:]:  # kept in its ticket, the note saying why no notice went
        assert any(f"о подтверждённых письмах от {ROBOT}" in n for n in _notes(desk, tid))
    assert all(desk.ticket(t)["messages"][0]["from"] == ROBOT for t in tids)


def test_proven_and_unproven_mail_of_one_sender_are_capped_apart(tmp_path, sink):
    """Each bucket fills on its own: the robot's proven flood does not use up the cap of
    mail forged under its From, nor do forgeries use up its proven one; each full
    bucket tells staff once, in its own words."""
    support = {"authserv_id": US, "max_staff_notices_per_sender_per_hour": 2}
    desk = Desk(tmp_path, sink.port, support=support)
    signed = [
        desk.ingest_tid(make_mail(sender=ROBOT, subject=f"Тревога {n}", headers=SIGNED))
        for n in range(3)
    ]
    forged = [desk.ingest_tid(make_mail(sender=ROBOT, subject=f"spam {n}")) for n in range(3)]
    late = desk.ingest_tid(make_mail(sender=ROBOT, subject="Тревога 4", headers=SIGNED))
    assert desk.flush().code == 0

    assert [len(notices_about(sink, t)) for t in signed[:2]] == [1, 1]
    assert [len(notices_about(sink, t)) for t in forged[:2]] == [1, 1]
    proven, unproven = sorted(held_notices(sink), key=lambda m: "Непроверенные" in m.subject)
    assert f"[TID#{signed[2]}]" in proven.subject and "подделан" not in proven.text
    assert f"[TID#{forged[2]}]" in unproven.subject and "мог быть подделан" in unproven.text
    assert notices_about(sink, late) == []  # its bucket is full, and staff were told
    assert len(sink.to(ANNA)) == 4 + 2  # nothing else reached staff
