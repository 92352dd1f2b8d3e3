"""The cap on staff notices per sender holds mail that proves nothing apart from mail
that proves its sender (which test_notice_cap_proven.py caps), end to end: the real
`maild ingest` and `outbox flush`, a real aiosmtpd relay. Forged mail under a
customer's From cannot silence staff about the customer's own proven mail; reports
of our own mail are no outsider's flood; the held notice's command line is quoted
for the shell."""

from __future__ import annotations

import shlex
import subprocess

from tests.helpers import Desk, make_mail
from tests.integration.test_bounces_e2e import _report
from tests.integration.test_staff_e2e import staff_reply

US = "mx.example.com"
ANNA = "anna@example.com"
VICTIM = "victim@bigshop.ru"
PROVEN = {"Authentication-Results": f"{US}; dkim=pass header.d=bigshop.ru"}


def held_notices(sink, staff: str = ANNA) -> list:
    return [m for m in sink.to(staff) if "уведомления приостановлены" in m.subject]


def notices_about(sink, tid: str, staff: str = ANNA) -> list:
    return [m for m in sink.to(staff) if f"[TID#{tid}]" in m.subject]


def test_forged_mail_under_a_customers_from_cannot_silence_their_proven_mail(tmp_path, sink):
    """20 forged mails "From: victim" filled the cap, and the victim's own mail, proven
    by DKIM (a new ticket, a follow-up) or sent to the reply address maild gave them,
    reached staff with no notice, while the one notice staff got called the address a
    flood. Now the unproven mail is counted and held apart from the proven (which has
    a cap of its own, far from full here), and the notice speaks of unverified mail
    that may be forged."""
    desk = Desk(tmp_path, sink.port, support={"authserv_id": US})
    sender = f"Виктор <{VICTIM}>"
    real = desk.ingest_tid(make_mail(sender=sender, subject="Сайт лежит", headers=PROVEN))
    assert desk.flush().code == 0
    [confirmation] = [m for m in sink.to(VICTIM) if f"[TID#{real}]" in m.subject]
    signed = str(confirmation.msg["Reply-To"])  # signed for the victim: only they got it
    forged = [
        desk.ingest_tid(make_mail(sender=sender, subject=f"spam {n}", body="купи"))
        for n in range(22)
    ]
    new = desk.ingest_tid(make_mail(sender=sender, subject="Всё ещё лежит", headers=PROVEN))
    followup = make_mail(
        sender=sender, subject=f"Re: Сайт лежит [TID#{real}]", body="Ошибка 503", headers=PROVEN
    )
    desk.ingest(followup)
    by_reply = make_mail(sender=sender, to=signed, subject="Re: Сайт лежит", body="И ещё 502")
    assert desk.ingest_tid(by_reply) == real
    assert desk.flush().code == 0

    assert [len(notices_about(sink, t)) for t in forged[:20]] == [1] * 20
    [held] = held_notices(sink)
    assert f"[TID#{forged[20]}]" in held.subject
    assert held.subject.startswith(f"Непроверенные письма от имени {VICTIM}")
    assert "мог быть подделан" in held.text and "спам или почтовую петлю" not in held.text
    assert notices_about(sink, forged[21]) == []
    # the customer's proven mail: every notice, as if nobody had forged their From
    assert [m.subject.startswith("Новое обращение") for m in notices_about(sink, new)] == [True]
    # (whole phrases: a TID such as 5022-2524 holds "502")
    followups = [
        m for m in notices_about(sink, real) if "Ошибка 503" in m.text or "И ещё 502" in m.text
    ]
    assert len(followups) == 2, [m.subject for m in notices_about(sink, real)]
    for tid in (new, real):
        notes = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note"]
        assert not any(
            n.startswith("Не отправлено уведомление") and " сотрудник" in n for n in notes
        ), notes
    note = [m["text"] for m in desk.ticket(forged[21])["messages"] if m["kind"] == "note"]
    assert any(f"о непроверенных письмах от имени {VICTIM}" in n for n in note), note


def test_proven_mail_does_not_count_against_the_cap_of_unproven_mail(tmp_path, sink):
    """A customer's proven mail is counted in a bucket of its own (a robot's proven
    flood is capped: test_notice_cap_proven.py): it leaves the whole cap of unproven
    mail to what forgers send under their From, and is notified up to its own cap."""
    desk = Desk(
        tmp_path, sink.port, support={"authserv_id": US, "max_staff_notices_per_sender_per_hour": 2}
    )
    proven = [
        desk.ingest_tid(make_mail(sender=VICTIM, subject=f"Заказ {n}", headers=PROVEN))
        for n in range(2)
    ]
    forged = [desk.ingest_tid(make_mail(sender=VICTIM, subject=f"spam {n}")) for n in range(3)]
    assert desk.flush().code == 0
    assert [len(notices_about(sink, t)) for t in proven] == [1] * 2
    assert [len(notices_about(sink, t)) for t in forged[:2]] == [1, 1]
    [held] = held_notices(sink)
    assert f"[TID#{forged[2]}]" in held.subject


def test_the_held_notice_quotes_the_address_for_the_shell(tmp_path, sink):
    """A quoted local part may hold shell syntax: `maild ticket list --requester
    "$(touch FILE)"@evil.example` pasted into a shell ran the command. The line is
    quoted now: a shell passes the address as one argument, runs nothing, and the
    real `maild ticket list` with those arguments lists the sender's tickets."""
    desk = Desk(tmp_path, sink.port, support={"max_staff_notices_per_sender_per_hour": 2})
    trap = tmp_path / "pwned"
    address = f'"$(touch {trap})"@evil.example'
    for n in range(3):
        raw = (
            f"From: {address}\r\nTo: support@example.com\r\nSubject: hi {n}\r\n"
            f"Message-ID: <sh{n}@evil.example>\r\n\r\nhello\r\n"
        ).encode()
        desk.ingest(raw)
    assert desk.flush().code == 0
    [held] = held_notices(sink)
    [line] = [x for x in held.text.splitlines() if x.startswith("maild ticket list")]
    # pasted into a shell: `maild` a function printing its arguments one per line
    script = 'maild() { printf "%s\\n" "$@"; }\n' + line
    shell = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert not trap.exists()
    assert shell.stdout.splitlines() == ["ticket", "list", "--requester", address]
    listed = desk.run(*shlex.split(line)[1:], "--json")
    assert listed.code == 0 and len(listed.json()) == 3, listed.err


def test_reports_of_our_own_mail_are_no_flood(tmp_path, sink):
    """Bounces of staff answers all come from the relay's MAILER-DAEMON: past the cap,
    «Письмо клиенту не доставлено» went to staff no more and the held notice called
    the mail server a flood. Reports of our own mail are bounded by what we sent:
    each is told to staff, none is counted."""
    support = {"max_staff_notices_per_sender_per_hour": 2, "max_auto_replies_per_hour": 100}
    desk = Desk(tmp_path, sink.port, support=support)
    tids = []  # customers at five domains: one domain's new tickets are capped together
    for i in range(5):
        tid = desk.ingest_tid(make_mail(sender=f"c{i}@mail{i}-example.ru", subject=f"Вопрос {i}"))
        desk.ingest(staff_reply(tid, f"Ответ клиенту {i}."))
        tids.append(tid)
    assert desk.flush().code == 0
    start = len(sink.to(ANNA))
    for i in range(len(tids)):
        customer = f"c{i}@mail{i}-example.ru"
        [answer] = [m for m in sink.to(customer) if f"Ответ клиенту {i}." in m.text]
        report = _report(answer.raw, "failed", "5.1.1", "Undelivered Mail", recipient=customer)
        desk.ingest(report.replace(b"<failed.5.1.1@", f"<b{i}@".encode()))
    assert desk.flush().code == 0
    told = [m.subject for m in sink.to(ANNA)[start:]]
    assert [sum(f"[TID#{t}]" in s and "не доставлено" in s for s in told) for t in tids] == [1] * 5
    assert held_notices(sink) == []
    for tid in tids:
        notes = [m["text"] for m in desk.ticket(tid)["messages"] if m["kind"] == "note"]
        assert not any(
            n.startswith("Не отправлено уведомление") and " сотрудник" in n for n in notes
        ), notes
