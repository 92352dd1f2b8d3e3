"""Unit tests for maild.domain.threadhdr: what mail to customers about a staff reply
threads to."""

from __future__ import annotations

from maild.domain.threadhdr import customer_thread

STAFF = {"anna@s.ru"}


def rec(mid: str, direction: str, kind: str, to: list[str] = (), **more) -> dict:
    return {"message_id": mid, "direction": direction, "kind": kind, "to": list(to), **more}


THREAD = [
    rec("<q1@c>", "in", "customer"),
    rec("<conf@s>", "out", "confirmation", ["ivan@c.ru"]),
    rec("<notice@s>", "out", "notice", ["anna@s.ru"]),
    rec("<anna1@corp>", "out", "staff", ["ivan@c.ru"], sent_as="<relay1@s>"),
    rec("<q2@c>", "in", "customer"),
    rec("<anna-note@corp>", "in", "note"),
    rec("<capped@s>", "out", "note", ["ivan@c.ru"], suppressed="cap"),
    rec("<anna2@corp>", "out", "staff", ["ivan@c.ru"], sent_as="<relay2@s>"),
]


def test_the_customers_last_mail_is_answered_and_staff_ids_stay_out() -> None:
    answered, refs = customer_thread(THREAD, STAFF, "<anna2@corp>")
    assert answered == "<q2@c>"
    assert refs == ["<q1@c>", "<conf@s>", "<relay1@s>", "<q2@c>"]


def test_a_long_thread_keeps_the_first_and_the_latest() -> None:
    long = [rec(f"<q{i}@c>", "in", "customer") for i in range(50)]
    answered, refs = customer_thread(long, STAFF, "<x>")
    assert answered == "<q49@c>" and len(refs) == 20
    assert refs[0] == "<q0@c>" and refs[-1] == "<q49@c>" and refs[1] == "<q31@c>"


def test_without_customer_mail_there_is_nothing_to_thread_to() -> None:
    assert customer_thread([rec("<n@s>", "out", "notice", ["anna@s.ru"])], STAFF, "<x>") is None
