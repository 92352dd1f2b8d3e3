"""Mail that proves nothing of its From (a forger who knows a TID and the customer's
address) leaves no mark on the customer that outlives it: a robot mark it set comes
off with the customer's proven mail that shows no robot's signs, while a real desk's
robot, answering our signed Reply-To, is marked for good."""

from __future__ import annotations

import email
import email.policy

from tests.helpers import make_mail, staff_reply, staff_to
from tests.integration.test_dsn_e2e import _report

CUST = "ivan@shop.example"
FORGED_SUBJECT = "[Ticket#555] Re: Обращение зарегистрировано: Ошибка [TID#{tid}]"


def reply_to(received) -> str:
    return str(email.message_from_bytes(received.raw, policy=email.policy.default)["Reply-To"])


def opened(desk, sink) -> tuple[str, str]:
    """A ticket of CUST's, and the reply address its confirmation signed for him."""
    tid = desk.ingest_tid(make_mail(sender=CUST, subject="Ошибка"))
    desk.flush()
    return tid, reply_to(sink.to(CUST)[0])


def test_a_forged_robot_mark_does_not_silence_the_customers_proven_mail(desk, sink):
    tid, rto = opened(desk, sink)
    forged = FORGED_SUBJECT.format(tid=tid)
    desk.ingest(make_mail(sender=CUST, subject=forged, body="Ваше письмо получено."))
    desk.flush()
    assert CUST in desk.ticket(tid)["robots"]  # unproven: it may be a robot all the same
    staff, cust = len(sink.to("anna@example.com")), len(sink.to(CUST))
    text = "Срочно! Сайт лежит, все заказы теряются."
    subject = f"Re: Обращение зарегистрировано: Ошибка [TID#{tid}]"
    desk.ingest(make_mail(sender=CUST, to=rto, subject=subject, body=text))
    desk.flush()
    told = sink.to("anna@example.com")[staff:]
    assert len(told) == 1 and "Срочно" in told[0].text
    assert "робот" not in told[0].subject
    assert len(sink.to(CUST)[cust:]) == 1  # his acknowledgement
    t = desk.ticket(tid)
    assert not t.get("robots")
    notes = [m["text"] for m in t["messages"] if m.get("kind") == "note"]
    assert any(f"Отметка «робот» с {CUST} снята" in n for n in notes), notes


def test_a_robot_answering_our_signed_reply_to_stays_marked(desk, sink):
    tid, rto = opened(desk, sink)
    # another desk's robot answers our confirmation, to its Reply-To: proven, marked
    desk.ingest(make_mail(sender=CUST, to=rto, subject=FORGED_SUBJECT.format(tid=tid)))
    desk.flush()
    assert CUST in desk.ticket(tid)["robots"]
    n = len(sink.received)
    # its later mail, proven, with no tag of its own: still a robot's, told to no one
    desk.ingest(make_mail(sender=CUST, to=rto, subject=f"Re: [TID#{tid}] Ошибка", body="OK"))
    desk.flush()
    assert sink.received[n:] == []
    assert CUST in desk.ticket(tid)["robots"]


def test_proven_mail_with_a_robots_signs_makes_an_unproven_mark_its_own(desk, sink):
    tid, rto = opened(desk, sink)
    forged = FORGED_SUBJECT.format(tid=tid)
    desk.ingest(make_mail(sender=CUST, subject=forged, body="Ваше письмо получено."))
    desk.ingest(make_mail(sender=CUST, to=rto, subject=forged, body="Ваше письмо получено."))
    desk.flush()
    n = len(sink.received)
    desk.ingest(make_mail(sender=CUST, to=rto, subject=f"Re: [TID#{tid}] Ошибка", body="OK"))
    desk.flush()
    assert sink.received[n:] == []  # marked by proven mail now: its plain mail too is a robot's
    assert CUST in desk.ticket(tid)["robots"]


SHOP = "ivan@shop-example.ru"  # test_dsn_e2e's customer, make_mail's sender


def test_a_report_found_by_its_subject_alone_tells_staff_and_marks_no_one(desk, sink):
    """A «5.1.1» report returning none of our mail, from any MAILER-DAEMON, found by its
    subject's TID: staff hear of it, the customer's mail still goes to him. One that
    returns our mail marks him (test_bounces_e2e)."""
    tid = desk.ingest_tid(make_mail(subject="Не работает"))
    desk.flush()
    staff = len(sink.to("anna@example.com"))
    forged = _report(f"Undelivered Mail Returned to Sender: [TID#{tid}] x", status="5.1.1")
    out = desk.ingest(forged.replace(b"mx.shop-example.ru", b"mx.evil.example")).out
    assert out == f"appended [TID#{tid}]\n"
    desk.flush()
    [told] = sink.to("anna@example.com")[staff:]
    assert "не доставлено" in told.subject
    assert not desk.ticket(tid).get("undeliverable")
    n = len(sink.to(SHOP))
    desk.ingest(
        make_mail(
            sender="anna@example.com", to=staff_to(tid), subject=f"Re: [TID#{tid}]", body="#take"
        )
    )
    desk.ingest(make_mail(subject=f"Re: [TID#{tid}] ещё вопрос", body="И ещё вопрос."))
    desk.flush()
    got = [m.subject for m in sink.to(SHOP)[n:]]
    assert len(got) == 2 and any("начата" in s for s in got), got  # «работа начата», the ack


def test_a_proven_rating_replaces_an_unproven_one(desk, sink):
    tid, _ = opened(desk, sink)
    desk.ingest(staff_reply(tid, "Исправлено.\n#close"))
    desk.flush()
    closing = [m for m in sink.to(CUST) if m.subject.startswith("Re: ")][-1]
    rto = reply_to(closing)
    subject = f"Re: [TID#{tid}] Ошибка"
    desk.ingest(make_mail(sender=CUST, subject=subject, body="1"))  # forged: proves nothing
    assert desk.ticket(tid)["rating"] == 1
    n = len(sink.to(CUST))
    desk.ingest(make_mail(sender=CUST, to=rto, subject=subject, body="5"))  # his, proven
    desk.flush()
    assert desk.ticket(tid)["rating"] == 5
    [thanks] = sink.to(CUST)[n + 1 :]  # (n: the forged one's thanks)
    assert "уже" not in thanks.text and "5" in thanks.text
    # his rating stands: neither a forger's next «1» nor his own again replace it
    desk.ingest(make_mail(sender=CUST, subject=subject, body="1"))
    desk.ingest(make_mail(sender=CUST, to=rto, subject=subject, body="4"))
    assert desk.ticket(tid)["rating"] == 5
