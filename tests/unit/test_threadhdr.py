"""Unit tests for maild.domain.threadhdr: what mail to customers about a staff reply
threads to."""

from __future__ import annotations

from maild.domain.maildigest import reused_id
from maild.domain.threadhdr import customer_thread, per_copy

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


# a ticket petr's was merged into: ivan's mail, petr's (olga in Cc), and support's to
# them, the answer in one copy each
MERGED = [
    rec("<ivan1@c>", "in", "customer", ["support@s.ru"], **{"from": "ivan@c.ru"}),
    rec("<conf-ivan@s>", "out", "confirmation", ["ivan@c.ru"]),
    rec("<petr1@p>", "in", "customer", ["support@s.ru"], cc=["olga@p.ru"], **{"from": "petr@p.ru"}),
    rec("<conf-petr@s>", "out", "confirmation", ["petr@p.ru"]),
    rec("<notice@s>", "out", "notice", ["anna@s.ru"]),
    rec(
        "<anna1@corp>",
        "out",
        "staff",
        ["ivan@c.ru", "olga@p.ru", "petr@p.ru"],
        sent_as="<relay1@s>",
        copies={
            "ivan@c.ru": "<relay1@s>",
            "olga@p.ru": "<relay1-1@s>",
            "petr@p.ru": "<relay1-2@s>",
        },
    ),
    rec("<anna2@corp>", "out", "staff", ["ivan@c.ru", "olga@p.ru", "petr@p.ru"], sent_as="<r2@s>"),
]


def test_each_copy_threads_to_what_its_own_customer_holds() -> None:
    ivan = customer_thread(MERGED, STAFF, "<anna2@corp>", "ivan@c.ru")
    assert ivan == ("<ivan1@c>", ["<ivan1@c>", "<conf-ivan@s>", "<relay1@s>"])
    petr = customer_thread(MERGED, STAFF, "<anna2@corp>", "petr@p.ru")
    assert petr == ("<petr1@p>", ["<petr1@p>", "<conf-petr@s>", "<relay1-2@s>"])
    # in Cc of petr's mail, olga holds it; the mail she was sent, under her copy's id
    olga = customer_thread(MERGED, STAFF, "<anna2@corp>", "olga@p.ru")
    assert olga == ("<petr1@p>", ["<petr1@p>", "<relay1-1@s>"])
    # the whole ticket's, as before: every customer mail, the first copies
    whole = customer_thread(MERGED, STAFF, "<anna2@corp>")
    assert whole == (
        "<petr1@p>",
        ["<ivan1@c>", "<conf-ivan@s>", "<petr1@p>", "<conf-petr@s>", "<relay1@s>"],
    )


def test_a_customer_who_wrote_nothing_answers_the_last_mail_they_were_sent() -> None:
    # added by #cc: two answers reached them, none of the customers' mail did
    assert customer_thread(MERGED, STAFF, "<x>", "pavel@c.ru") is None
    thread = [*MERGED[:5], {**MERGED[5], "to": [*MERGED[5]["to"], "pavel@c.ru"]}]
    assert customer_thread(thread, STAFF, "<x>", "pavel@c.ru") == ("<relay1@s>", ["<relay1@s>"])


def test_per_copy_gives_staff_and_a_thread_without_customer_mail_the_fallback() -> None:
    fallback = ("<staff-own@corp>", ["<notice@s>", "<staff-own@corp>"])
    of = per_copy(MERGED, STAFF, "<anna2@corp>", fallback)
    assert of("anna@s.ru") == fallback
    assert of("petr@p.ru")[0] == "<petr1@p>" and of("ivan@c.ru")[0] == "<ivan1@c>"
    assert of("pavel@c.ru") == (None, [])  # holds nothing of this ticket: no thread
    notices = [rec("<n@s>", "out", "notice", ["anna@s.ru"])]
    assert per_copy(notices, STAFF, "<x>", fallback)("ivan@c.ru") == fallback


def test_a_reused_message_id_is_named_once_in_the_references() -> None:
    # a client that gives two different letters one Message-ID (the second filed under
    # maildigest.reused_id): both went out under it, so References name it once
    second = reused_id("<q1@c>", "0123456789abcdef" * 4)
    thread = [rec("<q1@c>", "in", "customer"), rec(second, "in", "customer")]
    answered, refs = customer_thread(thread, STAFF, "<x>")
    assert answered == "<q1@c>" and refs == ["<q1@c>"]
