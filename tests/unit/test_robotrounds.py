"""robotrounds: a sender's replies to our automatic mail in a row with no staff answer
between get ACK_ROUNDS acknowledgements; of a chain of new tickets each right after
our confirmation of the one before, the OPENING_RUN-th whose canned text (subject and
words) another of the chain has is a robot's."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from maild.domain.attachments import AttachmentDecision
from maild.domain.robotrounds import (
    ACK_ROUNDS,
    CANNED_MIN_WORDS,
    OPENING_CHAIN,
    OPENING_RUN,
    OPENING_WINDOW,
    Opened,
    acks_stopped,
    follows,
    opening_reason,
    opening_text,
)
from maild.domain.sender import Identification
from maild.domain.snapshot import Snapshot
from maild.domain.trust import opening_robot
from tests.unit.test_decide import _msg

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
    slow_at, slow = robot_chain(2, OPENING_WINDOW + timedelta(minutes=1))
    assert opening_reason(CANNED, False, slow_at, slow) is None  # the next morning, by hand
    assert opening_reason(CANNED, False, at, before) is not None  # (the quick chain's)
    vouched = [before[0]._replace(vouched=True), *before[1:]]
    assert opening_reason(CANNED, False, at, vouched) is None  # #human on one of them
    unconfirmed = [before[0]._replace(confirmed_at=None), *before[1:]]
    assert opening_reason(CANNED, False, at, unconfirmed) is None


def test_a_text_of_its_own_after_a_robots_run_is_no_robots() -> None:
    """After a run of OPENING_RUN repeated texts, a mail with words of its own is a
    person's (a colleague at the robot's address writing at last): its confirmation
    goes. The run counts the chain's repeats, this mail's text must be one of them."""
    at, before = robot_chain(3)
    assert opening_reason(CANNED, False, at, before) is not None
    assert opening_reason("other", False, at, before) is None


def test_a_ticket_opened_before_our_mail_on_the_one_before_does_not_follow_it() -> None:
    """The chain is of tickets each opened after our confirmation of the one before
    (within OPENING_WINDOW): one opened before it (our mail on the older ticket came
    later, a staff answer's copy or a reminder) answers nothing of ours."""
    older = Opened(T0, CANNED, False, T0 + timedelta(hours=1), False)
    newer = Opened(T0 + timedelta(minutes=10), CANNED, False, None, False)
    assert not follows(newer, older)
    assert follows(newer._replace(opened_at=T0 + timedelta(hours=1, minutes=5)), older)


def test_two_canned_texts_in_turn_are_stopped_at_the_fourth() -> None:
    """A, B, A, B after its first ticket: the fourth canned ticket is the fourth of the
    chain whose text another of it has (A, B, A, B all do)."""
    at, made = T0, [Opened(T0, "first", False, T0, False)]
    stopped = []
    for n, text in enumerate(["A", "B", "A", "B", "A"], 1):
        at += timedelta(minutes=61)
        reason = opening_reason(text, False, at, made)
        stopped.append(reason is not None)
        made.insert(0, Opened(at, text, False, None if reason else at, False))
        if reason:
            assert (
                f"{n}-е новое обращение с одним из 2 повторяющихся текстов в цепочке из 5" in reason
            )
            break
    assert stopped == [False, False, False, True]


def test_a_mail_with_no_canned_text_never_counts() -> None:
    at, before = robot_chain(2)
    assert opening_reason("", False, at, before) is None
    empty = [o._replace(canned="") for o in before]
    assert opening_reason(CANNED, False, at, empty) is None  # the earlier ones none
    # those without one never make a repeated text of their own: two of them and two
    # canned make no run of three
    quick = timedelta(minutes=5)
    t0 = before[-1].opened_at
    mixed = [
        Opened(t0 + 3 * quick, "", False, t0 + 3 * quick, False),
        Opened(t0 + 2 * quick, "", False, t0 + 2 * quick, False),
        Opened(t0 + quick, CANNED, False, t0 + quick, False),
    ]
    assert opening_reason(CANNED, False, t0 + 4 * quick, mixed) is None
    # one without a canned text between does not break the chain, nor count
    at, before = robot_chain(3)
    assert opening_reason(
        CANNED, False, at, [before[0], before[1]._replace(canned=""), *before[2:]]
    )


def test_a_ticket_with_a_file_ends_the_chain() -> None:
    at, before = robot_chain(4)
    assert opening_reason(CANNED, False, at, [before[0]._replace(files=True), *before[1:]]) is None
    assert opening_reason(CANNED, False, at, [*before[:2], before[2]._replace(files=True)])


def test_opening_text_is_the_subject_and_own_words() -> None:
    words = "Здравствуйте! Ваше письмо получено под номером 5001.\nКомпания Vendor"
    text = opening_text("Ваше письмо получено", words)
    assert len(text) == 16
    assert text == opening_text(
        "RE: ваше  письмо получено [TID#2611-0042]", words.replace("1", "7")
    )
    assert text != opening_text("Не приходит счёт", words)
    assert text != opening_text("Ваше письмо получено", "Добрый вечер! Письмо получено.")
    assert OPENING_CHAIN == 2 * OPENING_RUN and CANNED_MIN_WORDS == 3
    assert opening_text("Не приходит счёт за ноябрь", "") == ""
    assert opening_text("Ошибка 500", "\n\n") == ""
    assert opening_text("Ошибка 500", "Спасибо, Ольга\n> цитата нашего письма") == ""
    assert opening_text("Ошибка 500", "Письмо получено, спасибо")


@given(
    st.lists(
        st.tuples(st.sampled_from(["", "x", "y", CANNED]), st.booleans(), st.integers(0, 200)),
        max_size=9,
    )
)
def test_a_robot_is_the_opening_run_th_repeated_text_of_a_chain_of_quick_tickets(spec):
    """spec: the earlier tickets, newest first: (its canned text, whether it brought a
    file, minutes from its confirmation, sent as it opened, to the next ticket)."""
    at = T0 + timedelta(days=1)
    before, cur = [], at
    for text, files, gap in spec:
        cur -= timedelta(minutes=gap)
        before.append(Opened(cur, text, files, cur, False))
    chain = [(CANNED, False)]  # this one's
    for text, files, gap in spec[:OPENING_CHAIN]:
        if chain[-1][1] or timedelta(minutes=gap) > OPENING_WINDOW:
            break
        chain.append((text, files))
    texts = [t for t, f in chain if t and not f]
    repeated = [t for t in texts if texts.count(t) > 1]
    robot = CANNED in repeated and len(repeated) >= OPENING_RUN
    assert (opening_reason(CANNED, False, at, before) is not None) is robot


def test_a_new_ticket_bringing_a_file_accepted_is_a_persons_one_refused_is_no_news() -> None:
    """trust.opening_robot reads a new ticket's files as opening_reason does: a file
    accepted is a person's news (a customer sending a screenshot with each of their
    quick new tickets is no robot), a file refused is none (a robot's canned mail with
    a file we do not take is still a robot's, or it gets our confirmation each time)."""
    msg = _msg(sender=ROBOT, subject="Заявка", body="Ваше письмо получено и будет рассмотрено.")
    canned = opening_text(msg.subject, msg.text)
    at, made = T0, [Opened(T0, "first", False, T0, False)]
    for _ in range(2):
        at += timedelta(minutes=61)
        made.insert(0, Opened(at, canned, False, at, False))
    at += timedelta(minutes=61)
    ident = Identification("free", "none", None, "")
    snap = Snapshot("5555-0009", None, ident, False, opened_before=tuple(made))
    refused = AttachmentDecision("a.exe", "application/x-msdownload", 10, False, "нет", "other")
    taken = replace(refused, accepted=True, reason=None)
    assert opening_robot(msg, snap, at, [(refused, b"x")]) is not None
    assert opening_robot(msg, snap, at, [(taken, b"x")]) is None
