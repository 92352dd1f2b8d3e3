"""Automatic replies that answer a customer without touching the ticket: the state
of the request ("статус?"), the thanks for a rating and the word that a closing
is rated already.

All go through the automatic-reply path (kind "confirmation"), so the caps on
automatic mail apply to them as to every confirmation.
"""

from __future__ import annotations

from maild.domain.decision import Context, Outgoing
from maild.domain.forget import shown_address
from maild.domain.mergedwait import wait_of
from maild.domain.message import ParsedMessage
from maild.domain.pageshown import mailed, shown_to
from maild.domain.pending import due_for
from maild.domain.policy import Policy
from maild.domain.quotes import trim_head
from maild.domain.records import MessageRecord, Ticket
from maild.domain.sla import LEVELS, passed
from maild.domain.status_query import QUESTION_LINES, is_status_question
from maild.domain.tid import shown_subject
from maild.domain.withdrawn import answer_reached

STATUS_RU = {
    "new": "зарегистрировано, ожидает ответа сотрудника",
    "open": "в работе",
    "waiting": "ожидаем вашего ответа",
    "closed": "закрыто",
}


def asks_status(msg: ParsedMessage) -> bool:
    """The mail's own text is only a status question (the quote does not count) and
    it brings no files: a screenshot is news for staff, under the customer's signature
    too (a customer's picture there is kept as a file, mimeparts.is_logo judges staff
    answers only). The files the ticket holds already, which a reply's quote or the
    signature's logo carries again, decide left out of ``msg`` (knownfiles.py).
    Only the own text's first lines are trimmed (trim_head): the rest tells nothing,
    and a text of a million short lines took seconds under the store's lock."""
    if msg.attachments:
        return False
    return is_status_question(trim_head(msg.text, QUESTION_LINES))


NOTICE_ACTIONS = {
    "started.txt": "работа начата",
    "level_changed.txt": "изменён уровень обслуживания",
    "resolved.txt": "обращение закрыто",
}


def got_by(ticket: Ticket, messages: list[MessageRecord], asker: str) -> list[bool]:
    """For each message, whether `asker`'s mail gave it to them: a staff answer as their
    page of the site shows it (`pageshown.shown_to`: not one that went to another
    customer alone, an answer written with #merge, nor one from before they joined), a
    notice when its record names them or no one."""
    shown = shown_to(ticket, messages, asker)
    return [
        seen if m.get("kind") == "staff" else not m.get("to") or mailed(m, asker)
        for m, seen in zip(messages, shown, strict=True)
    ]


def last_staff_action(
    policy: Policy, messages: list[MessageRecord], got: list[bool] | None = None
) -> str | None:
    """The latest thing staff did in the ticket, as the customer may read it: of the
    messages `got` marks (got_by: what the asker's mail gave them), all when None."""
    marks = got if got is not None else [True] * len(messages)
    for m, theirs in zip(reversed(messages), reversed(marks), strict=True):
        if m.get("direction") != "out" or m.get("withdrawn") or not theirs:
            continue  # what never went to them (withdrawn, another's) is nothing staff did for them
        if answer_reached(m):
            return f"ответ сотрудника, {policy.fmt_time(m['received_at'])}"
        if (template := m.get("template")) in NOTICE_ACTIONS:
            return f"{NOTICE_ACTIONS[template]}, {policy.fmt_time(m['received_at'])}"
    return None


def status_reply(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Outgoing:
    """The state, level, deadline and last staff action, to whoever asked."""
    policy = ctx.policy
    # a customer of a ticket merged in unreacted waits by their own deadline and level
    wait = wait_of(ticket, ctx.msg.from_addr)
    level = (LEVELS.get(wait["level"]) if wait else None) or LEVELS[ticket["level"]]
    due = due_for(ticket, ctx.msg.from_addr)
    c = {
        **ctx.common,
        "tid": ticket["tid"],
        "subject": shown_subject(ticket["subject"]),
        "status_ru": STATUS_RU.get(ticket["status"], ticket["status"]),
        "level_name": level.name_ru,
        "reaction": level.reaction_ru(),
        "due": policy.fmt_time(due),
        "overdue": passed(due, ctx.written_at),
        "last_action": last_staff_action(
            policy, messages, got_by(ticket, messages, ctx.msg.from_addr)
        ),
    }
    ctx.record["status_question"] = True
    return Outgoing(
        ctx.key("status"), "confirmation", "status.txt", [ctx.msg.from_addr], c, record=True
    )


def thanks(ctx: Context, ticket: Ticket, rating: int) -> Outgoing:
    """One short thank-you for a rating."""
    c = {**ctx.common, "tid": ticket["tid"], "subject": shown_subject(ticket["subject"])}
    return Outgoing(
        ctx.key("thanks"),
        "confirmation",
        "thanks.txt",
        [ctx.msg.from_addr],
        {**c, "rating": rating},
        record=True,
    )


def rated_already(ctx: Context, ticket: Ticket, given: int, rater: str | None) -> Outgoing:
    """A rating of a closing rated before (on the site, or by mail): the first stands,
    as the site's page says, and the customer is told so, not thanked again; `rater`:
    the address that gave it, named when it is another's (a Cc participant's)."""
    c = {**ctx.common, "tid": ticket["tid"], "subject": shown_subject(ticket["subject"])}
    another = rater and rater.lower() != ctx.msg.from_addr.lower()
    return Outgoing(
        ctx.key("rated"),
        "confirmation",
        "rated_already.txt",
        [ctx.msg.from_addr],
        {**c, "rating": given, "rater": shown_address(rater) if rater and another else None},
        record=True,
    )
