"""How reminders reach one person: singly while there are few, the rest in one list.

A flood of tickets coming due together (a spam wave the filter let through, a night's
mail whose deadlines all start at the opening) would otherwise put a reminder per ticket
into every staff member's inbox within a minute, and an escalation per ticket into
the head's. So no person gets more than `limit`
(support.max_reminders_per_person_per_hour) single reminders (or escalations) in any
hour; those past it go as one list mail, at most one per LIST_EVERY, and wait for
the next list meanwhile. Reminders and escalations are paced apart (`kind`).

A ticket's `sent` marks say who got a deadline's reminder (`kind` "reminder" or
"escalation", `due` the deadline as stored): "<kind>:<due>" once everyone has it (as
ever), and per person when it went to some only: "<kind>:<due>:to:<person>" singly,
"<kind>:<due>:list:<person>" in the list of the run at that time (its value: the
list's outbox id comes from it, so a list that was never queued, a crash between the
marks and the list, is known and the ticket is listed again).

Pure: the times of what went are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from maild.domain.plural import ru_count

__all__ = [
    "KINDS",
    "LIST_EVERY",
    "PACE_WINDOW",
    "Pace",
    "customer_due",
    "deadline_marks",
    "done_key",
    "in_list",
    "list_ctx",
    "list_due",
    "list_key",
    "marked",
    "single_key",
    "singles_left",
    "waiting_for",
]

PACE_WINDOW = timedelta(hours=1)  # what the limit on single mails counts
LIST_EVERY = timedelta(minutes=10)  # the least time between two lists to one person
KINDS = ("reminder", "escalation")  # the deadline mail the marks are of


@dataclass(frozen=True)
class Pace:
    """What one person got lately of one kind (reminders; escalations): when single
    mails went (those older than PACE_WINDOW may be left out), when the last list."""

    singles: tuple[datetime, ...] = ()
    listed: datetime | None = None


def in_list(subject: str, message_id: str, total: int, limit: int) -> str:
    """How a ticket's note names the list its mail went in, and why not singly
    (Russian): «в письме-списке «…» (<id>), в нём N обращений: …»."""
    count = ru_count(total, "обращение", "обращения", "обращений")
    if limit:
        why = f"по отдельности одному адресату уходит не больше {limit} таких писем в час"
    else:
        why = "по отдельности такие письма не отправляются, только списком"
    return f"в письме-списке «{subject}» ({message_id}), в нём {count}: {why}."


def list_ctx(shown: list[dict[str, Any]], total: int, limit: int) -> dict[str, Any]:
    """What every list mail's template gets beside its own lines: the tickets it names
    (`shown`, the first of `total`), how many it only counts, and the pace's figures."""
    return {
        "tid": shown[0]["tid"],
        "tickets": shown,
        "total": total,
        "more": total - len(shown),
        "limit": limit,
        "every": int(LIST_EVERY.total_seconds() // 60),
    }


def singles_left(limit: int, pace: Pace, now: datetime) -> int:
    """How many more may go to the person singly now: `limit` in any hour."""
    since = now - PACE_WINDOW
    return max(0, limit - sum(1 for t in pace.singles if since < t <= now))


def list_due(pace: Pace, now: datetime) -> bool:
    """Whether a list may go to the person now: none went within LIST_EVERY (one
    dated after `now`, the clock set back since, holds none back)."""
    return pace.listed is None or not pace.listed <= now < pace.listed + LIST_EVERY


def done_key(kind: str, due: str) -> str:
    """The mark of a deadline's `kind` once everyone has it."""
    return f"{kind}:{due}"


def single_key(kind: str, due: str, person: str) -> str:
    """The mark of a deadline's `kind` gone singly to one person, the others not yet."""
    return f"{kind}:{due}:to:{person}"


def list_key(kind: str, due: str, person: str) -> str:
    """The mark of a deadline's `kind` put in a list to one person."""
    return f"{kind}:{due}:list:{person}"


def customer_due(due: str, tid: str) -> str:
    """What the marks of a merged customer's deadline are keyed by (as `due` above) in
    the ticket it went into: "<due>:for:<TID>", TID the merged ticket's, `due` the moment
    as that ticket stores it. #merge keys so what went about that customer in their own
    ticket (domain.merge), apart from the moment's own marks ("<kind>:<due>": its mail,
    naming every customer due then, went): a moment is sent for the customers its mail
    named, and the survivor's own customer due then is reminded (reminders.py)."""
    return f"{due}:for:{tid}"


def deadline_marks(sent: Mapping[str, str], due: str, as_due: str) -> dict[str, str]:
    """The marks of `sent` about the deadline `due` (who got its reminder and its
    escalation, singly or in a list), keyed for `as_due`, the same deadline as another
    ticket stores it: #merge gives the target the source's deadline, and with it what
    already went about that deadline, which is not to go again (domain.merge)."""
    out = {}
    for kind in KINDS:
        mine, theirs = done_key(kind, due), done_key(kind, as_due)
        for key, at in sent.items():
            if key == mine or key.startswith(f"{mine}:to:") or key.startswith(f"{mine}:list:"):
                out[theirs + key[len(mine) :]] = at
    return out


def waiting_for(
    sent: Mapping[str, str],
    kind: str,
    due: str,
    people: list[str],
    list_queued: Callable[[str, str], bool],
) -> list[str]:
    """Who of `people` is still to get the `kind` of deadline `due`, from the ticket's
    marks: nobody once everyone has it, but one marked for a list that
    `list_queued(person, mark)` says was never queued (its run stopped before it
    was, the marks saved) is to get it again."""
    everyone = done_key(kind, due) in sent
    left = []
    for person in people:
        listed = sent.get(list_key(kind, due, person))
        if listed is not None:
            if not list_queued(person, listed):
                left.append(person)
        elif not everyone and single_key(kind, due, person) not in sent:
            left.append(person)
    return left


def marked(
    sent: Mapping[str, str],
    step: tuple[str, str, list[str]],
    singly: list[str],
    listed: list[str],
    at: str,
) -> dict[str, str]:
    """The ticket's marks once, at `at`, the `step` (kind, deadline, its people) went
    `singly` to some of them and in a list to those `listed`. Gone to every one singly
    at once, one mark says so, as ever; else each person's, until everyone has it."""
    kind, due, people = step
    out = dict(sent)
    everyone = done_key(kind, due)
    at_once = bool(singly) and set(singly) == set(people)
    for person in singly:
        out.pop(list_key(kind, due, person), None)  # a list that never went: it went so
        if everyone not in out and not at_once:
            out[single_key(kind, due, person)] = at
    for person in listed:
        out[list_key(kind, due, person)] = at
    has = [single_key(kind, due, p) in out or list_key(kind, due, p) in out for p in people]
    if everyone not in out and (at_once or all(has)):
        out[everyone] = at
        for person in people:  # the one mark says it now (a list's stays: see waiting_for)
            out.pop(single_key(kind, due, person), None)
    return out
