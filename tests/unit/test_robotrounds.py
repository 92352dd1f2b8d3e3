"""robotrounds: a sender's replies to our automatic mail in a row with no staff answer
between get ACK_ROUNDS acknowledgements; the same canned text opening new tickets
right after our confirmations, OPENING_RUN times in a row, is a robot's."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from maild.domain.robotrounds import (
    ACK_ROUNDS,
    OPENING_RUN,
    OPENING_WINDOW,
    Opened,
    acks_stopped,
    opening_reason,
)

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
ROBOT = "info@vendor.example"


def reply(words: str = "abc", sender: str = ROBOT) -> dict:
    """A reply to our automatic mail, as its record keeps it."""
    return {"direction": "in", "kind": "customer", "from": sender, "fast_words": words}


def ours(kind: str = "confirmation") -> dict:
    return {"direction": "out", "kind": kind, "to": [ROBOT]}


def thread(steps: list[str]) -> list[dict]:
    """r: a reply to our automatic mail (and our acknowledgement of it); s: a staff
    answer; c: a staff reply of commands alone; p: the sender's mail to something
    else; o: another sender's reply; n: a note."""
    made: list[dict] = [{"direction": "in", "kind": "customer", "from": ROBOT}, ours()]
    for s in steps:
        made += {
            "r": [reply(), ours(), ours("notice")],
            "s": [ours("staff")],
            "c": [
                {
                    "direction": "in",
                    "kind": "note",
                    "from": "anna@example.com",
                    "commands": ["#human"],
                }
            ],
            "p": [{"direction": "in", "kind": "customer", "from": ROBOT}],
            "o": [reply(sender="olga@romashka.ru")],
            "n": [{"direction": "in", "kind": "note", "from": ROBOT}],
        }[s]
    return made


def test_the_reply_past_three_in_a_row_gets_no_acknowledgement():
    assert ACK_ROUNDS == 3
    assert [acks_stopped(ROBOT, thread(["r"] * n), reply()) for n in range(6)] == [0, 0, 0, 4, 5, 6]


def test_a_staff_answer_or_mail_written_otherwise_starts_the_rounds_again():
    assert acks_stopped(ROBOT, thread(["r", "r", "r", "s"]), reply()) == 0
    assert acks_stopped(ROBOT, thread(["r", "r", "r", "s", "r", "r", "r"]), reply()) == 4
    assert acks_stopped(ROBOT, thread(["r", "r", "r", "p"]), reply()) == 0
    assert acks_stopped(ROBOT, thread(["r", "r", "r", "c"]), reply()) == 0  # commands alone
    # others' replies and notes between break nothing: the rounds are the sender's
    assert acks_stopped(ROBOT, thread(["r", "o", "r", "n", "r"]), reply()) == 4


def test_mail_that_answers_no_automatic_mail_is_always_acknowledged():
    plain = {"direction": "in", "kind": "customer", "from": ROBOT}
    assert acks_stopped(ROBOT, thread(["r"] * 5), plain) == 0


@given(st.lists(st.sampled_from("rscpon"), max_size=12))
def test_acknowledged_is_what_follows_a_staff_answer_or_own_mail_within_three(steps):
    made = thread(steps)
    tail = "".join(steps).replace("o", "").replace("n", "")
    run = len(tail) - len(tail.rstrip("r"))  # the sender's replies since the last break
    assert acks_stopped(ROBOT, made, reply()) == (run + 1 if run + 1 > ACK_ROUNDS else 0)


CANNED = "w1"


def robot_chain(n: int, delay: timedelta = timedelta(minutes=61)) -> tuple[datetime, list[Opened]]:
    """The robot's n earlier canned tickets after its first (another text), newest
    first, each confirmed at once and answered `delay` later; when the next comes."""
    at, made = T0, [Opened(T0, "first", False, T0, False)]
    for _ in range(n):
        at += delay
        made.insert(0, Opened(at, CANNED, False, at, False))
    return at + delay, made


def test_the_third_canned_new_ticket_in_a_row_after_our_confirmations_is_a_robots():
    assert OPENING_RUN == 3
    for n, robot in ((0, False), (1, False), (2, True), (5, True)):
        at, before = robot_chain(n)
        reason = opening_reason(CANNED, False, at, before)
        assert (reason is not None) is robot, n
    at, before = robot_chain(2)
    assert "3-е новое обращение подряд" in opening_reason(CANNED, False, at, before)


def test_other_words_a_file_a_late_answer_or_staffs_word_is_no_robots():
    at, before = robot_chain(2)
    assert opening_reason("other", False, at, before) is None
    assert opening_reason(CANNED, True, at, before) is None  # a new file: a person's news
    late = OPENING_WINDOW + timedelta(minutes=1)
    assert opening_reason(CANNED, False, before[0].confirmed_at + late, before) is None
    at, slow = robot_chain(2, OPENING_WINDOW + timedelta(minutes=1))
    assert opening_reason(CANNED, False, at, slow) is None  # the next morning, by hand
    vouched = [before[0]._replace(vouched=True), *before[1:]]
    assert opening_reason(CANNED, False, at, vouched) is None  # #human on one of them
    unconfirmed = [before[0]._replace(confirmed_at=None), *before[1:]]
    assert opening_reason(CANNED, False, at, unconfirmed) is None


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 200)), max_size=6))
def test_a_robot_is_only_a_run_of_the_same_words_each_soon_after_a_confirmation(spec):
    """spec: the earlier tickets, newest first: (its words the canned ones, minutes
    from its confirmation, sent as it opened, to the next ticket)."""
    at = T0 + timedelta(days=1)
    before, cur = [], at
    for same, gap in spec:
        cur -= timedelta(minutes=gap)
        before.append(Opened(cur, CANNED if same else "x", False, cur, False))
    run, newer_same = 0, True  # this one's words are the canned ones
    for same, gap in spec:
        if not newer_same or timedelta(minutes=gap) > OPENING_WINDOW:
            break
        run, newer_same = run + 1, same
    reason = opening_reason(CANNED, False, at, before)
    assert (reason is not None) == (run >= OPENING_RUN)
