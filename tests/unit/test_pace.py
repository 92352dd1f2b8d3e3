"""The pace of reminders to one person (domain.pace), pure, with a fixed `now`: how
many go singly, when a list may go, and the marks that say who got a deadline's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from maild.domain.pace import (
    LIST_EVERY,
    Pace,
    deadline_marks,
    done_key,
    in_list,
    list_due,
    list_key,
    marked,
    single_key,
    singles_left,
    waiting_for,
)

NOW = datetime(2026, 11, 24, 13, 5, tzinfo=UTC)
MIN = timedelta(minutes=1)
DUE = "2026-11-25T13:00:00+03:00"
PEOPLE = ["anna@example.com", "boris@example.com"]
ANNA, BORIS = PEOPLE
AT = NOW.isoformat()


def minutes(*ago: int) -> tuple[datetime, ...]:
    return tuple(NOW - m * MIN for m in ago)


def test_up_to_the_limit_go_singly_in_any_hour():
    assert singles_left(5, Pace(), NOW) == 5
    assert singles_left(5, Pace(minutes(50, 30, 1)), NOW) == 2
    assert singles_left(5, Pace(minutes(5, 4, 3, 2, 1)), NOW) == 0
    assert singles_left(5, Pace(minutes(9, 8, 7, 6, 5, 4, 3)), NOW) == 0  # never below 0


def test_singles_over_an_hour_old_or_dated_ahead_count_for_none():
    assert singles_left(2, Pace(minutes(60, 61, 600)), NOW) == 2
    assert singles_left(2, Pace(minutes(-5)), NOW) == 2  # the clock set back since


def test_a_single_gone_at_this_very_moment_counts():
    """`maild jobs run --now T` run again at the same T: what the first run sent singly
    at T is within the hour, not five more on top of it."""
    assert singles_left(2, Pace(minutes(0)), NOW) == 1
    assert singles_left(2, Pace(minutes(0, 59)), NOW) == 0


def test_a_ticket_note_says_in_plain_words_why_its_mail_went_in_a_list():
    """Staff read the note: no config key and value, «... = 0»."""
    note = in_list("Напоминание", "<l@x>", 25, 0)
    assert note.endswith(": по отдельности такие письма не отправляются, только списком.")
    assert "=" not in note and "max_" not in note
    assert "не больше 5 таких писем в час" in in_list("Напоминание", "<l@x>", 25, 5)


def test_limit_zero_sends_everything_in_lists():
    assert singles_left(0, Pace(), NOW) == 0


def test_a_list_goes_at_most_once_per_ten_minutes():
    assert LIST_EVERY == 10 * MIN
    assert list_due(Pace(), NOW)
    assert not list_due(Pace(listed=NOW), NOW)
    assert not list_due(Pace(listed=NOW - 9 * MIN), NOW)
    assert list_due(Pace(listed=NOW - 10 * MIN), NOW)
    assert list_due(Pace(listed=NOW + 5 * MIN), NOW)  # dated ahead: holds nothing back


def never(person: str, at: str) -> bool:
    return False


def always(person: str, at: str) -> bool:
    return True


def test_who_still_waits_for_a_deadlines_reminder():
    assert waiting_for({}, "reminder", DUE, PEOPLE, always) == PEOPLE
    assert waiting_for({done_key("reminder", DUE): AT}, "reminder", DUE, PEOPLE, never) == []
    # another kind, another deadline: not this one's
    assert waiting_for({done_key("escalation", DUE): AT}, "reminder", DUE, PEOPLE, never) == PEOPLE
    assert waiting_for({done_key("reminder", "x"): AT}, "reminder", DUE, PEOPLE, never) == PEOPLE
    one = {single_key("reminder", DUE, ANNA): AT}
    assert waiting_for(one, "reminder", DUE, PEOPLE, never) == [BORIS]


def test_a_list_that_was_never_queued_leaves_its_people_waiting():
    """Marks saved, the list not queued (a crash in between): they get it again."""
    sent = {done_key("reminder", DUE): AT, list_key("reminder", DUE, BORIS): AT}
    asked = []

    def queued(person: str, at: str) -> bool:
        asked.append((person, at))
        return False

    assert waiting_for(sent, "reminder", DUE, PEOPLE, queued) == [BORIS]
    assert asked == [(BORIS, AT)]  # the run's time names the list's outbox id
    assert waiting_for(sent, "reminder", DUE, PEOPLE, always) == []


def test_gone_to_everyone_singly_at_once_is_one_mark_as_ever():
    step = ("reminder", DUE, PEOPLE)
    assert marked({"started": "x"}, step, PEOPLE, [], AT) == {
        "started": "x",
        done_key("reminder", DUE): AT,
    }


def test_gone_to_some_each_is_marked_until_everyone_has_it():
    step = ("reminder", DUE, PEOPLE)
    half = marked({}, step, [ANNA], [], AT)
    assert half == {single_key("reminder", DUE, ANNA): AT}
    later = (NOW + MIN).isoformat()
    whole = marked(half, step, [], [BORIS], later)
    # everyone has it now: the one mark, and the list's (its queueing is checked)
    assert whole == {done_key("reminder", DUE): later, list_key("reminder", DUE, BORIS): later}
    assert waiting_for(whole, "reminder", DUE, PEOPLE, always) == []


def test_sent_singly_after_its_list_was_lost_the_lost_lists_mark_goes():
    step = ("reminder", DUE, PEOPLE)
    lost = {done_key("reminder", DUE): AT, list_key("reminder", DUE, BORIS): AT}
    again = marked(lost, step, [BORIS], [], (NOW + MIN).isoformat())
    assert again == {done_key("reminder", DUE): AT}
    assert waiting_for(again, "reminder", DUE, PEOPLE, never) == []


def test_nothing_sent_marks_nothing():
    assert marked({}, ("escalation", DUE, ["head@example.com"]), [], [], AT) == {}


def test_a_deadlines_marks_are_carried_to_the_same_deadline_stored_another_way():
    """#merge gives a ticket another's deadline, and with these marks what went about
    it: for waiting_for the target owes nobody what the source's marks say went."""
    other = "2026-11-25T10:00:00+00:00"  # the same moment as DUE, another offset
    sent = marked({}, ("reminder", other, PEOPLE), PEOPLE, [], AT)
    sent = marked(sent, ("escalation", other, ["head@x"]), [], ["head@x"], AT)
    sent["reminder:2026-11-24T13:00:00+03:00"] = AT  # another deadline's: stays behind
    sent["started"] = AT
    carried = deadline_marks(sent, other, DUE)
    listed = {done_key("escalation", DUE): AT, list_key("escalation", DUE, "head@x"): AT}
    assert carried == {done_key("reminder", DUE): AT, **listed}
    assert waiting_for(carried, "reminder", DUE, PEOPLE, lambda p, at: True) == []
    assert waiting_for(carried, "escalation", DUE, ["head@x"], lambda p, at: True) == []
    single = marked({}, ("reminder", other, PEOPLE), [ANNA], [], AT)
    assert deadline_marks(single, other, DUE) == {single_key("reminder", DUE, ANNA): AT}
    assert deadline_marks(sent, DUE, DUE) == {}  # none stored under that text
