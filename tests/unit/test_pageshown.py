"""The rule of what a ticket's site page shows each customer (domain.pageshown)."""

from __future__ import annotations

from typing import Any

from maild.domain.pageshown import merge_moment, shown_to
from maild.web.pages import shown_at

IVAN, PETR, OLGA = "ivan@shop.ru", "petr@shop.ru", "olga@shop.ru"
TICKET: dict[str, Any] = {"tid": "1111-2222", "requester": IVAN, "participants": [IVAN, PETR]}


def _at(minute: int) -> str:
    return f"2026-12-01T10:{minute:02d}:00+03:00"


def customer(minute: int, sender: str, to=("support@example.com",), cc=(), **kw) -> dict:
    return {
        **{"message_id": f"<c{minute}@x>", "direction": "in", "kind": "customer"},
        **{"from": sender, "received_at": _at(minute), "text": f"c{minute}", "attachments": []},
        **{"to": list(to), "cc": list(cc)},
        **kw,
    }


def answer(minute: int, to, **kw) -> dict:
    return {
        **{"message_id": f"<s{minute}@x>", "direction": "out", "kind": "staff"},
        **{"from": "anna@example.com", "received_at": _at(minute), "text": f"s{minute}"},
        **{"attachments": [], "to": list(to), "cc": []},
        **kw,
    }


def note(minute: int) -> dict:
    return {
        **{"message_id": "", "direction": "in", "kind": "note", "from": "anna@example.com"},
        **{"received_at": _at(minute), "text": "note", "attachments": []},
    }


THREAD = [
    customer(1, IVAN, cc=[PETR]),  # the first mail: Petr in its Cc
    note(2),
    answer(3, [IVAN, PETR], copies={IVAN: "<a>", PETR: "<b>"}),
    customer(4, IVAN),  # to support alone: access data
    customer(5, PETR, cc=[IVAN]),  # Petr's reply to all
    customer(6, PETR),  # Petr's to support alone
]


def test_a_participant_sees_what_their_mail_gave_them_the_requester_all():
    assert shown_to(TICKET, THREAD, PETR) == [True, False, True, False, True, True]
    assert shown_to(TICKET, THREAD, IVAN) == [True, False, True, True, True, True]


def test_addresses_compare_as_mailboxes_do():
    assert shown_to(TICKET, THREAD, "Petr@Shop.RU") == shown_to(TICKET, THREAD, PETR)
    thread = [customer(1, IVAN, cc=["PETR@shop.ru"])]
    assert shown_to(TICKET, thread, PETR) == [True]
    # the requester kept as they first wrote it: still the requester, who sees all
    ticket = {**TICKET, "requester": "Ivan@Shop.RU"}
    assert shown_to(ticket, THREAD, IVAN) == shown_to(TICKET, THREAD, IVAN)


def test_one_added_by_cc_sees_from_the_answer_that_added_them():
    ticket = {**TICKET, "participants": [IVAN, OLGA, PETR]}
    thread = [*THREAD, answer(7, [IVAN, OLGA, PETR]), customer(8, OLGA, cc=[IVAN])]
    assert shown_to(ticket, thread, OLGA) == [False] * 6 + [True, True]


def test_an_answer_withdrawn_before_it_reached_them_is_not_theirs():
    withdrawn = answer(3, [IVAN, PETR], withdrawn_copies={PETR: "uncc"})
    assert shown_to(TICKET, [withdrawn], PETR) == [False]
    assert shown_to(TICKET, [withdrawn], IVAN) == [True]


def test_staff_mail_an_older_store_kept_as_forged_is_shown_to_no_one():
    """Mail in a staff member's name that failed the check, as stores older than
    `unverified_staff` kept it (kind "staff", `forged_staff`): an outsider's words
    under support's name, which no page shows, not even to the requester."""
    forged = answer(3, [IVAN, PETR], forged_staff=True)
    for who in (IVAN, PETR):
        assert shown_to(TICKET, [forged], who) == [False]
    inbound = {**customer(3, "anna@example.com"), "kind": "staff", "forged_staff": True}
    assert shown_to(TICKET, [inbound], IVAN) == [False]


def test_the_latest_merge_is_the_latest_instant_in_any_offset():
    """Records keep the desk's local time of when they were written: after its time
    zone changed, «08:00+00:00» is later than «10:07+03:00» though it sorts before
    it; the merge moment is the later instant."""
    moved = [
        customer(7, OLGA, merged_from="3333-4444"),  # 10:07+03:00, 07:07 UTC
        {**answer(8, [OLGA], merged_from="3333-4444"), "received_at": "2026-12-01T08:00:00+00:00"},
    ]
    assert merge_moment(moved) == "2026-12-01T08:00:00+00:00"


def test_an_answer_stored_before_records_named_its_customers_went_to_them_all():
    old = answer(3, ["support@example.com"])  # its To was the desk's
    assert shown_to(TICKET, [old], PETR) == [True]
    assert shown_to(TICKET, [answer(3, [IVAN])], PETR) == [False]  # one to Ivan alone


def test_a_merge_shows_both_threads_as_they_stood_then_to_everyone():
    moved = [
        customer(0, OLGA, merged_from="3333-4444"),
        answer(7, [OLGA], merged_from="3333-4444", commands=["#merge 1111-2222"]),
    ]
    thread = sorted([*THREAD, *moved], key=lambda m: m["received_at"])
    assert merge_moment(thread) == _at(7)
    ticket = {**TICKET, "participants": [IVAN, OLGA, PETR]}
    after = [customer(8, IVAN), answer(9, [IVAN, OLGA, PETR])]
    seen = shown_to(ticket, [*thread, *after], OLGA)
    assert seen == [True, True, False, True, True, True, True, True, False, True]
    seen = shown_to(ticket, [*thread, *after], PETR)
    # (the answer written with #merge went to Olga alone: not his, as no mail of it was)
    assert seen == [True, True, False, True, True, True, True, False, False, True]
    assert merge_moment(THREAD) is None


def test_the_merged_threads_earlier_answers_show_to_all_the_merge_answer_to_whom_it_went():
    """Before the merge, the merged ticket's own answers were its thread: everyone sees
    them, as the whole thread as it stood then. Only the answer the #merge was written
    with went to that ticket's people alone."""
    moved = [
        customer(0, OLGA, merged_from="3333-4444"),
        answer(1, [OLGA], merged_from="3333-4444"),  # an answer of Olga's ticket of its own
        answer(7, [OLGA], merged_from="3333-4444", commands=["#merge 1111-2222"]),
    ]
    thread = sorted([*THREAD, *moved], key=lambda m: m["received_at"])
    ticket = {**TICKET, "participants": [IVAN, OLGA, PETR]}
    earlier = thread.index(moved[1])
    merge = thread.index(moved[2])
    for who in (IVAN, PETR, OLGA):
        seen = shown_to(ticket, thread, who)
        assert seen[earlier] is True
        assert seen[merge] is (who == OLGA)


def test_a_file_or_whole_text_is_there_only_of_a_message_the_page_shows():
    """The page's downloads (a message's files, its whole text: views.Site.download,
    text_file) open only for a message its page shows the viewer: a participant's link
    with another message's number got the requester's files sent to support alone
    (access data, a contract), and an internal note's."""
    assert [shown_at(TICKET, THREAD, n, PETR) for n in range(6)] == shown_to(TICKET, THREAD, PETR)
    assert not shown_at(TICKET, THREAD, 3, PETR) and not shown_at(TICKET, THREAD, 1, IVAN)
    assert shown_at(TICKET, THREAD, 3, IVAN)
    assert not shown_at(TICKET, THREAD, 6, IVAN) and not shown_at(TICKET, THREAD, -1, IVAN)


def test_a_post_from_the_page_answers_the_last_message_that_page_shows():
    """A reply from Petr's page answers (In-Reply-To) the last message his page shows:
    not Ivan's later mail to support alone, which he never saw."""
    from maild.web.pages import last_shown

    assert last_shown(TICKET, THREAD[:4], PETR) == "<s3@x>"
    assert last_shown(TICKET, THREAD[:4], IVAN) == "<c4@x>"


def test_an_answer_is_shown_to_whom_its_copies_went():
    """A customer who got a staff answer as a copy of their own (the record's
    "copies"), though not in its "to", got it by mail: their page shows it."""
    copied = answer(3, [IVAN], copies={IVAN: "<a>", PETR: "<b>"})
    assert shown_to(TICKET, [copied], PETR) == [True]
    assert shown_to(TICKET, [answer(3, [IVAN], copies={IVAN: "<a>"})], PETR) == [False]


def test_the_last_message_a_merge_moved_is_part_of_the_thread_as_it_stood():
    """A merge written in a note (not shown): the last message it moved is at the
    merge moment itself, and is shown to everyone with the rest of that thread."""
    moved = [
        customer(0, OLGA, merged_from="3333-4444"),
        answer(5, [OLGA], merged_from="3333-4444"),
        {**note(7), "merged_from": "3333-4444", "commands": ["#merge 1111-2222"]},
    ]
    ticket = {**TICKET, "participants": [IVAN, OLGA, PETR]}
    assert shown_to(ticket, moved[:2], PETR) == [True, True]
    assert shown_to(ticket, moved, PETR) == [True, True, False]
