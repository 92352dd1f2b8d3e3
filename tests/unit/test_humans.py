"""#human (domain.humans): staff take the robot mark off a sender on a ticket, and
robot_check never marks that sender there again; one rule each."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from maild.domain.attachments import AttachmentDecision
from maild.domain.commands import Command, parse_reply
from maild.domain.decision import Decision
from maild.domain.humans import errors, marked_ctx, noted, vouch
from maild.domain.merge import merge
from maild.domain.robots import own_words
from maild.domain.trust import note_robot, robot_check
from tests.unit.test_decide import NOW, POLICY, _msg

IVAN, PETR = "ivan@shop-example.ru", "petr@shop-example.ru"
WHY = "ответ робота: 3-й ответ подряд на автоматическое письмо быстрее чем через 5 минут"
TICKET = {"tid": "1111-2222", "requester": IVAN, "robots": {IVAN: WHY, PETR: WHY}}


def test_human_takes_the_mark_off_one_address_and_remembers_it() -> None:
    t, error = vouch(TICKET, "Ivan@Shop-Example.ru")
    assert error is None and t["robots"] == {PETR: WHY} and t["humans"] == [IVAN]
    t, error = vouch(t, PETR)
    assert error is None and "robots" not in t and t["humans"] == [IVAN, PETR]


def test_human_without_an_address_takes_every_mark_off() -> None:
    t, error = vouch(TICKET, None)
    assert error is None and "robots" not in t and t["humans"] == [IVAN, PETR]


def test_human_on_an_address_not_marked_is_an_error_that_changes_nothing() -> None:
    t, error = vouch(TICKET, "olga@shop-example.ru")
    assert t is TICKET and error == (
        "#human: olga@shop-example.ru не отмечен как робот в этом обращении;"
        f" отмечены: {IVAN}, {PETR}"
    )
    plain = {"tid": "1111-2222", "requester": IVAN}  # an old ticket: no robots, no humans
    t, error = vouch(plain, None)
    assert t is plain and error == "#human: в этом обращении нет отправителей, отмеченных как робот"
    # each line is checked after the ones above it: the same address twice is an error
    assert errors(TICKET, (Command("human", IVAN), Command("human", IVAN))) == [
        f"#human: {IVAN} не отмечен как робот в этом обращении (отметка снята ранее);"
        f" отмечены: {PETR}"
    ]
    assert errors(TICKET, (Command("human", IVAN), Command("human", PETR))) == []


def test_human_again_once_every_mark_is_off_says_that_address_was_lifted() -> None:
    """#human IVAN after the last mark on the ticket came off says his was lifted
    already, not that the ticket never had a robot: staff see their earlier #human
    worked; another address still gets the plain answer."""
    after, _ = vouch(TICKET, None)
    assert vouch(after, IVAN) == (after, f"#human: отметка «робот» с {IVAN} уже снята ранее")
    _, error = vouch(after, "olga@shop-example.ru")
    assert error == "#human: в этом обращении нет отправителей, отмеченных как робот"


def test_human_is_a_command_in_either_layout_with_or_without_an_address() -> None:
    for text, arg in (
        (f"#human {IVAN}", IVAN),
        ("#human", None),
        (f"#ргьфт {IVAN}", IVAN),
        ("№ргьфт", None),
        (f"#human Иван <{IVAN}>", IVAN),
    ):
        reply = parse_reply(f"{text}\nСпасибо")
        assert reply.commands == (Command("human", arg),) and not reply.errors, text
    assert parse_reply("#human ivan").errors == (
        "#human: «ivan» не похоже на адрес электронной почты",
    )


CANNED = "Спасибо, письмо получено."  # the same words each time, as a robot's


def _answer(n: int) -> tuple[dict, dict]:
    """Ivan's quick answer n to our automatic mail, and our acknowledgement of it."""
    at = NOW + timedelta(seconds=20 * n)
    inc = {"direction": "in", "from": IVAN, "received_at": at.isoformat(), "kind": "customer"}
    inc["text"] = CANNED
    ack = {
        "message_id": f"<ack{n}@example.com>",
        "direction": "out",
        "kind": "confirmation",
        "to": [IVAN],
        "received_at": at.isoformat(),
    }
    return {**inc, "fast_reply_to_auto": True, "message_id": f"<i{n}@x>"}, ack


def _third_answer() -> tuple[list[dict], object]:
    """Our confirmation, Ivan's two quick canned answers to it, and his third."""
    first = {
        "message_id": "<conf@example.com>",
        "direction": "out",
        "kind": "confirmation",
        "to": [IVAN],
        "received_at": NOW.isoformat(),
    }
    thread = [first]
    for n in (1, 2):
        thread += _answer(n)
    third = _msg(
        sender=IVAN,
        subject="Re: [TID#1111-2222] Заказ",
        body=CANNED,
        headers={"In-Reply-To": thread[-1]["message_id"]},
    )
    return thread, third


def test_robot_check_never_marks_a_sender_staff_vouched_for() -> None:
    thread, third = _third_answer()
    at = NOW + timedelta(minutes=1)
    ticket = {"tid": "1111-2222", "requester": IVAN, "subject": "Заказ"}
    # a fast reply: its record keeps its words, and that it was one
    marks = {"fast_words": own_words(CANNED), "fast_reply_to_auto": True}
    assert robot_check(POLICY, third, ticket, thread, at) == (WHY, marks)
    assert robot_check(POLICY, third, {**ticket, "humans": [IVAN]}, thread, at) == (None, marks)
    # another desk's tag does not mark them either: staff said it is a person
    tagged = _msg(
        sender=IVAN, subject="[#117904] Re: Заказ", headers={"In-Reply-To": "<ack2@example.com>"}
    )
    assert robot_check(POLICY, tagged, {**ticket, "humans": [IVAN]}, thread, at) == (
        None,
        {"fast_words": own_words(tagged.text), "fast_reply_to_auto": True},
    )


def test_a_slow_answer_to_our_automatic_mail_is_kept_as_none_of_the_fast_ones() -> None:
    """An answer to our automatic mail a person took their time over keeps its words
    (the slow run's) but not that it was fast: were it counted among the fast ones, a
    customer answering «спасибо» twice slowly and once at once would be taken for a
    robot after three and get no more automatic mail."""
    thread, third = _third_answer()
    ticket = {"tid": "1111-2222", "requester": IVAN, "subject": "Заказ"}
    late = NOW + timedelta(hours=2)
    assert robot_check(POLICY, third, ticket, thread, late) == (
        None,
        {"fast_words": own_words(CANNED)},
    )


def test_a_file_refused_is_no_news_that_breaks_a_robots_run() -> None:
    """Only a file accepted is a person's news (robots.canned_run): a robot whose every
    canned answer carries a file refused (too big, a type not taken) is still one, or
    it and our automatic mail would answer each other without end."""
    thread, third = _third_answer()
    ticket = {"tid": "1111-2222", "requester": IVAN, "subject": "Заказ"}
    at = NOW + timedelta(minutes=1)
    refused = AttachmentDecision("a.exe", "application/x-msdownload", 10, False, "нет", "other")
    taken = replace(refused, accepted=True, reason=None)
    marks = {"fast_words": own_words(CANNED), "fast_reply_to_auto": True}
    assert robot_check(POLICY, third, ticket, thread, at, [(refused, b"x")]) == (WHY, marks)
    assert robot_check(POLICY, third, ticket, thread, at, [(taken, b"x")]) == (None, marks)


def test_a_mark_unproven_mail_set_does_not_hold_for_mail_proving_its_sender() -> None:
    """A robot mark only mail proving nothing of its From set (a forger's, who knows a
    TID and the customer's address) does not silence the customer's proven mail: that
    is judged anew; unproven mail, or a mark proven mail set, is held by it."""
    msg = _msg(sender=IVAN, subject="Re: [TID#1111-2222] Заказ", body="Ошибка осталась.")
    forged = {"tid": "1111-2222", "requester": IVAN, "robots": {IVAN: WHY}}
    forged["robots_unproven"] = [IVAN]
    assert robot_check(POLICY, msg, forged, [], NOW, sender_proven=True) == (None, {})
    assert robot_check(POLICY, msg, forged, [], NOW, sender_proven=False) == (WHY, {})
    proven = {k: v for k, v in forged.items() if k != "robots_unproven"}
    assert robot_check(POLICY, msg, proven, [], NOW, sender_proven=True) == (WHY, {})


def test_a_robot_mark_keeps_whether_the_mail_that_set_it_proved_its_sender() -> None:
    ticket = {"tid": "1111-2222", "requester": IVAN}
    decision = Decision("appended", "1111-2222", ticket, [])
    by_proven = note_robot(decision, IVAN, WHY, NOW, sender_proven=True).ticket
    assert by_proven["robots"] == {IVAN: WHY} and "robots_unproven" not in by_proven
    by_unproven = note_robot(decision, IVAN, WHY, NOW, sender_proven=False).ticket
    assert by_unproven["robots_unproven"] == [IVAN]


def test_proven_mail_showing_a_robot_marked_by_unproven_mail_makes_the_mark_proven() -> None:
    """Once the robot's own proven mail shows it a robot again, the mark is no forger's:
    a later proven mail without a robot's signs no longer lifts it; no second note."""
    ticket = {"tid": "1111-2222", "requester": IVAN, "robots": {IVAN: WHY}}
    ticket["robots_unproven"] = [IVAN]
    again = note_robot(Decision("appended", "1111-2222", ticket, []), IVAN, WHY, NOW, True)
    assert again.ticket["robots"] == {IVAN: WHY} and "robots_unproven" not in again.ticket
    assert again.messages == []
    still = note_robot(Decision("appended", "1111-2222", ticket, []), IVAN, WHY, NOW, False)
    assert still.ticket["robots_unproven"] == [IVAN]


def test_the_robot_note_says_how_to_undo_the_mark() -> None:
    ticket = {"tid": "1111-2222", "requester": IVAN}
    decision = note_robot(Decision("appended", "1111-2222", ticket, []), IVAN, WHY, NOW)
    [note] = decision.messages
    assert f"«#human {IVAN}»" in note["text"] and WHY in note["text"]


def test_the_robot_note_of_mail_proving_nothing_says_proven_mail_lifts_the_mark() -> None:
    """A mark set by mail that proves nothing of its From (anyone knowing the TID can
    write it) is one the customer's proven mail lifts: the note tells staff so, and
    says nothing of it when the mail proved its sender."""
    ticket = {"tid": "1111-2222", "requester": IVAN}
    base = Decision("appended", "1111-2222", ticket, [])
    [unproven] = note_robot(base, IVAN, WHY, NOW, sender_proven=False).messages
    [proven] = note_robot(base, IVAN, WHY, NOW, sender_proven=True).messages
    assert "DKIM/SPF" in unproven["text"] and "DKIM/SPF" not in proven["text"]


def test_a_lifted_mark_is_noted_only_on_the_ticket_that_had_it() -> None:
    """«Отметка снята» is noted when the ticket the message found marked is the one
    decided without the mark; when the message went to another ticket (it opened a new
    one) the mark was lifted by no one, and staff would read a false note there."""
    before = {"tid": "1111-2222", "requester": IVAN, "robots": {IVAN: WHY}}
    same = Decision("appended", "1111-2222", {"tid": "1111-2222", "requester": IVAN}, [])
    other = Decision("appended", "3333-4444", {"tid": "3333-4444", "requester": IVAN}, [])
    [note] = note_robot(same, IVAN, None, NOW, before=before).messages
    assert "снята" in note["text"]
    assert note_robot(other, IVAN, None, NOW, before=before).messages == []


def test_the_note_of_human_names_who_took_the_mark_off() -> None:
    after, _ = vouch(TICKET, IVAN)
    decision = noted(Decision("appended", "1111-2222", after, []), TICKET, "anna@example.com", NOW)
    [note] = decision.messages
    assert note["kind"] == "note" and note["from"] == "anna@example.com"
    assert note["text"].startswith(
        f"Отметку «робот» с {IVAN} снял сотрудник anna@example.com (#human)"
    )
    unchanged = Decision("appended", "1111-2222", TICKET, [])
    assert noted(unchanged, TICKET, "anna@example.com", NOW) is unchanged
    # one vouched for before this reply gets no second note
    petr_first, _ = vouch(TICKET, PETR)
    both, _ = vouch(petr_first, IVAN)
    later = noted(Decision("appended", "1111-2222", both, []), petr_first, "anna@example.com", NOW)
    assert [IVAN in n["text"] for n in later.messages] == [True]


def test_the_notice_names_the_mark_only_of_the_message_that_made_it() -> None:
    assert marked_ctx(WHY, IVAN, {"tid": "1", "requester": IVAN}) == {"robot_marked": WHY}
    assert marked_ctx(WHY, IVAN, TICKET) == {"robot_marked": None}  # known already
    assert marked_ctx(None, IVAN, None) == {"robot_marked": None}


def test_merge_keeps_a_sender_staff_vouched_for_on_either_ticket_a_person() -> None:
    base = {"requester": IVAN, "created_at": NOW.isoformat(), "status": "open"}
    source = {**base, "tid": "1111-2222", "humans": [IVAN], "robots": {PETR: WHY}}
    target = {**base, "tid": "3333-4444", "robots": {IVAN: WHY}}
    _, t, _ = merge(source, [], target, [], NOW)
    assert t["humans"] == [IVAN] and t["robots"] == {PETR: WHY}


def test_merge_keeps_a_mark_only_unproven_mail_set_unproven_unless_either_proves_it() -> None:
    """A mark only unproven mail set (trust.note_robot) stays so through #merge, from
    whichever side it came; proven on either, it is proven in the target."""
    base = {"requester": IVAN, "created_at": NOW.isoformat(), "status": "open"}
    forged = {"robots": {IVAN: WHY}, "robots_unproven": [IVAN]}
    for src, tgt, unproven in (
        (forged, {}, [IVAN]),  # the source's alone
        ({}, forged, [IVAN]),  # the target's alone
        (forged, forged, [IVAN]),
        (forged, {"robots": {IVAN: WHY}}, None),  # proven on the target
        ({"robots": {IVAN: WHY}}, forged, None),  # proven on the source
    ):
        source = {**base, "tid": "1111-2222", **src}
        target = {**base, "tid": "3333-4444", **tgt}
        _, t, _ = merge(source, [], target, [], NOW)
        assert t["robots"] == {IVAN: WHY} and t.get("robots_unproven") == unproven, (src, tgt)
