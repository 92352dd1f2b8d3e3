"""domain.gate: the quarantine gate and the duplicate check, without a store. Each
branch of the rule gives its reason, and asks only the look-ups it reaches, in order
(whether a report is about our mail loads a ticket: never asked of other mail)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maild.config import SPAM_VERDICTS
from maild.domain.gate import GateFacts, SpamCheck, duplicate, quarantine_reason
from maild.domain.message import ParsedMessage, parse
from maild.domain.records import message_record, note_record
from maild.domain.screen import HUMAN, Screening
from maild.domain.sender import Identification
from maild.domain.ticket import new_ticket

NOW = datetime(2026, 11, 25, 10, 15, tzinfo=ZoneInfo("Europe/Moscow"))
TID = "2611-0001"
HEAD = b"From: a@b.ru\r\nTo: support@example.com\r\nSubject: s\r\nMessage-ID: <1@b.ru>\r\n"
PLAIN = parse(HEAD + b"\r\nhi")
FLAGGED = parse(HEAD + b"X-Spam-Flag: YES\r\n\r\nhi")
SPAM_ON = SpamCheck(True, SPAM_VERDICTS, None)
SPAM_OFF = SpamCheck(False, SPAM_VERDICTS, None)
BOUNCE = Screening(True, "bounce", bounce=True)
RECEIPT = Screening(True, "read receipt", bounce=True, receipt=True)
LOOKUPS = ("spammed", "released", "blocked", "about_ours")


class Asked:
    """The store's answers to the gate's look-ups, and which of them it asked, in order."""

    def __init__(self, **answers: object) -> None:
        self.answers = {"spammed": False, "released": False, "blocked": None, "about_ours": False}
        self.answers |= answers
        self.asked: list[str] = []

    def ask(self, name: str) -> Callable[[], Any]:
        def answer() -> Any:
            self.asked.append(name)
            return self.answers[name]

        return answer

    def facts(self, staff_ok: bool = False, resumed: str | None = None) -> GateFacts:
        return GateFacts(staff_ok, resumed, *map(self.ask, LOOKUPS))


EVERYTHING = {"spammed": True, "blocked": "b.ru", "about_ours": False}  # all but released

# (what the store says, staff_ok, resumed, message, screening, spam check, reason, asked)
CASES = {
    "resumed on a #spam ticket: back to the quarantine": (
        {"spammed": True}, False, TID, PLAIN, HUMAN, SPAM_ON,
        f"spam: #spam [TID#{TID}]", ["spammed", "released"],
    ),
    "resumed on a #spam ticket, released by staff": (
        {"spammed": True, "released": True}, False, TID, PLAIN, HUMAN, SPAM_ON,
        None, ["spammed", "released"],
    ),
    "resumed on its ticket: kept there, whatever else it is": (
        {**EVERYTHING, "spammed": False}, False, TID, FLAGGED, BOUNCE, SPAM_ON,
        None, ["spammed"],
    ),
    "staff's reply: never quarantined, nothing asked": (
        EVERYTHING, True, None, FLAGGED, BOUNCE, SPAM_ON, None, [],
    ),
    "released by staff: to the desk": (
        {**EVERYTHING, "released": True}, False, None, FLAGGED, BOUNCE, SPAM_ON,
        None, ["released"],
    ),
    "a blocked sender": (
        EVERYTHING, False, None, FLAGGED, BOUNCE, SPAM_ON, "blocked", ["released", "blocked"],
    ),
    "the MTA's verdict": (
        {}, False, None, FLAGGED, BOUNCE, SPAM_ON,
        "spam: X-Spam-Flag: YES", ["released", "blocked"],
    ),
    "the verdict with [spam] off: a person's mail": (
        {}, False, None, FLAGGED, HUMAN, SPAM_OFF, None, ["released", "blocked"],
    ),
    "a bounce of mail we never sent": (
        {}, False, None, PLAIN, BOUNCE, SPAM_ON,
        "bounce: not about our mail", ["released", "blocked", "about_ours"],
    ),
    "a read receipt of mail we never sent": (
        {}, False, None, PLAIN, RECEIPT, SPAM_ON,
        "read receipt: not about our mail", ["released", "blocked", "about_ours"],
    ),
    "a bounce of our mail": (
        {"about_ours": True}, False, None, PLAIN, BOUNCE, SPAM_OFF,
        None, ["released", "blocked", "about_ours"],
    ),
    "a person's mail: to the desk, no report look-up": (
        {"about_ours": True}, False, None, PLAIN, HUMAN, SPAM_ON, None, ["released", "blocked"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_branch_gives_its_reason_asking_only_what_it_reaches(case: tuple) -> None:
    answers, staff_ok, resumed, msg, scr, spam, reason, asked = case
    store = Asked(**answers)
    assert quarantine_reason(store.facts(staff_ok, resumed), msg, scr, spam) == reason
    assert store.asked == asked


@settings(max_examples=300)
@given(
    answers=st.fixed_dictionaries(
        {
            "spammed": st.booleans(),
            "released": st.booleans(),
            "blocked": st.none() | st.just("b.ru"),
            "about_ours": st.booleans(),
        }
    ),
    staff_ok=st.booleans(),
    resumed=st.none() | st.just(TID),
    msg=st.sampled_from([PLAIN, FLAGGED]),
    scr=st.sampled_from([HUMAN, BOUNCE, RECEIPT]),
    spam=st.sampled_from([SPAM_ON, SPAM_OFF]),
)
def test_the_gate_holds_what_the_regulation_says_and_asks_in_order(
    answers: dict, staff_ok: bool, resumed: str | None, msg: ParsedMessage, scr, spam
) -> None:
    store = Asked(**answers)
    reason = quarantine_reason(store.facts(staff_ok, resumed), msg, scr, spam)
    # each look-up asked once at most, in the rule's order
    assert store.asked == sorted(set(store.asked), key=LOOKUPS.index)
    if resumed is not None:  # its ticket's: only a #spam one not released holds it
        held = answers["spammed"] and not answers["released"]
        assert reason == (f"spam: #spam [TID#{TID}]" if held else None)
        assert "blocked" not in store.asked and "about_ours" not in store.asked
        return
    passed = not (staff_ok or answers["released"])  # a filter's mistake must not swallow it
    flagged = spam.enabled and msg is FLAGGED
    reported = passed and not answers["blocked"] and not flagged and scr.bounce
    assert ("about_ours" in store.asked) == reported  # the costly look-up: a report's alone
    if not passed:
        assert reason is None
    elif answers["blocked"]:
        assert reason == "blocked"
    elif flagged:
        assert reason == "spam: X-Spam-Flag: YES"
    elif reported and not answers["about_ours"]:
        assert reason == f"{'read receipt' if scr.receipt else 'bounce'}: not about our mail"
    else:
        assert reason is None


def _loaded() -> tuple:
    ident = Identification("standard", "license", "S-1", "лицензия S-1")
    ticket = new_ticket(TID, "a@b.ru", "Тема", ident, NOW, lambda lvl, at: at)
    first = message_record(
        PLAIN, direction="in", kind="customer", received_at=NOW, attachments=[], spool_key="k"
    )
    note = note_record(sender="anna@example.com", direction="out", text="#note", at=NOW)
    return ticket, [first, note]


def test_the_same_mail_again_is_a_duplicate_of_its_ticket_stored_once() -> None:
    ticket, messages = loaded = _loaded()
    got = duplicate(PLAIN.message_id, TID, loaded)
    assert got is not None
    assert (got.outcome, got.tid, got.ticket, got.messages) == ("duplicate", TID, ticket, messages)
    assert got.outgoing == [] and got.incoming is None  # nothing stored, nothing sent


@pytest.mark.parametrize(
    "message_id, loaded",
    [
        ("<other@b.ru>", _loaded()),  # a re-run after a crash: resumed in its ticket
        (PLAIN.message_id, None),  # the index names a ticket that is not there
    ],
)
def test_mail_its_ticket_does_not_hold_is_no_duplicate(message_id: str, loaded) -> None:
    assert duplicate(message_id, TID, loaded) is None


def test_staff_mail_a_spam_mark_names_is_a_duplicate_of_the_gone_ticket() -> None:
    """The reply that says #spam (or staff's answer before it), delivered again: its
    ticket is in the quarantine, the mark names it; stored once, nothing kept."""
    got = duplicate("<mark@example.com>", TID, None, ["<ans@example.com>", "<mark@example.com>"])
    assert got is not None and (got.outcome, got.tid, got.ticket) == ("duplicate", TID, None)
    assert got.messages == [] and got.outgoing == []
    assert duplicate("<new@example.com>", TID, None, ["<mark@example.com>"]) is None
