"""A staff reply written on a stale view of its ticket: the mail it answers is older
than what happened since.

Three staff get each notice and answer from their mail clients, each on what the
notice they opened showed. Anna closed the ticket with her answer, and Boris, replying
to the same notice a minute later, asked the customer for a log: the customer got the
closing, the rating request and then the question. The customer sent the log, and Anna,
replying to the first notice, asked for it with #wait: the log waited for no one, and
the ticket was closed for want of an answer. Two staff answered one new ticket in the
same second: the customer got both answers.

So a reply stops, as a bad command does (nothing goes to the customer, no command
runs), and its writer is told what happened since the mail they answered, when after
that mail (its In-Reply-To: the staff member's copy of a notice, or any mail of the
thread):
 - another staff member answered the customer, closed the ticket, took it (#take,
   #assign) or merged it: whatever the reply says, it was written without that;
 - the customer wrote, and the reply has #wait or #close: it leaves that mail
   unanswered.
The writer's own actions never make their reply stale. A reply that names no mail of
the thread (no In-Reply-To, a mail of another desk) is never stale: nothing says what
its writer saw. To send anyway, the writer answers the «Ответ не отправлен» mail,
which is newer than all that.

And #take on a ticket another staff member holds (its assignee) stops the reply, whatever
mail it answers: the assignee stayed, and the writer believed the ticket theirs; they
are told who has it since when, and that #assign with their own address takes it over.

Pure: the thread, the ticket and the reply's commands in, the errors (Russian) out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from maild.domain.commands import Command
from maild.domain.decision import Context, copy_key
from maild.domain.limits import figures
from maild.domain.records import MessageRecord, Ticket
from maild.domain.replyaddr import message_id_parts
from maild.domain.withdrawn import answer_reached

__all__ = ["View", "answered_ids", "check", "replied_to", "stale_view", "taken_errors"]

# Another staff member's commands that change what a reply would say or do.
NEWS = frozenset({"#close", "#take", "#assign", "#merge"})
# What a customer's new mail leaves unanswered, by the command that presumes none came.
UNANSWERED = {
    "wait": "#wait не выполнена: клиент уже написал, и его письмо осталось бы без ответа.",
    "close": "#close не выполнена: обращение закрылось бы, а новое письмо клиента"
    " осталось бы без ответа.",
}
LISTED = 5  # the latest events named; older ones are counted
WORDS = 80  # characters of an event's first words
ONLY_COMMANDS = "(только команды)"  # a reply's record with no text of its own


@dataclass(frozen=True)
class View:
    """What stops a reply written on a stale view: its errors, and whether answering
    the «Ответ не отправлен» mail sends it (resend: not for #take alone)."""

    errors: list[str]
    resend: bool


def check(
    ctx: Context, commands: Iterable[Command], ticket: Ticket, messages: list[MessageRecord]
) -> View:
    """What stops a staff reply (``ctx``) with ``commands`` on ``ticket``, whose thread
    before it is ``messages``: its stale view, its #take of a ticket another holds."""
    commands = list(commands)
    policy, writer = ctx.policy, ctx.msg.from_addr
    answered = answered_ids(ctx.msg.in_reply_to, ctx.msg.references)
    replied = replied_to(messages, answered, policy.message_id)
    view = stale_view(commands, messages, replied, writer, policy.fmt_time)
    taken = taken_errors(commands, ticket, messages, writer, policy.staff, policy.fmt_time)
    return View([*view.errors, *taken], view.resend)


def answered_ids(in_reply_to: tuple[str, ...], references: tuple[str, ...]) -> tuple[str, ...]:
    """The ids of the mail a reply answers: its In-Reply-To, else the last of its
    References (RFC 5322 3.6.4: the parent's id ends them; some clients write only
    References)."""
    return in_reply_to or references[-1:]


def replied_to(
    messages: list[MessageRecord],
    in_reply_to: Iterable[str],
    message_id: Callable[[str, str], str],
) -> int | None:
    """The place in ``messages`` of the mail a reply answers (its In-Reply-To): a
    record's own id, a relayed answer's, a customer's copy, or a staff member's copy of
    maild's mail (outgoing.copy_ids: the n-th copy signs copy_key(key, n));
    ``message_id``: (key, TID) -> our signed id. None when it names none of them."""
    where: dict[str, int] = {}
    for i, m in enumerate(messages):
        for mid in (m.get("message_id"), m.get("sent_as"), *(m.get("copies") or {}).values()):
            if mid:
                where[mid] = i
    found = [_place(ref, where, messages, message_id) for ref in in_reply_to]
    return max((i for i in found if i is not None), default=None)


def _place(
    ref: str,
    where: dict[str, int],
    messages: list[MessageRecord],
    message_id: Callable[[str, str], str],
) -> int | None:
    """The record ``ref`` names: by its id, or as a later copy of one of ours."""
    if ref in where:
        return where[ref]
    parts = message_id_parts(ref)
    if parts is None:
        return None
    key, tid = parts
    base, _, n = key.rpartition("-")
    copy = figures(n)
    if not base or not copy or copy_key(base, copy) != key:
        return None
    if message_id(key, tid) != ref:  # not signed by us
        return None
    i = where.get(message_id(base, tid))
    if i is None or copy >= len(messages[i].get("to") or ()):
        return None
    return i


def stale_view(
    commands: Iterable[Command],
    messages: list[MessageRecord],
    replied: int | None,
    writer: str,
    fmt_time: Callable[[str], str],
) -> View:
    """The error of a reply to ``messages[replied]`` (replied_to) that what happened
    since makes stale; no errors when nothing did, or when it names no mail (None)."""
    if replied is None:
        return View([], False)
    names = {c.name for c in commands}
    presumes = [n for n in UNANSWERED if n in names]
    events = [m for m in messages[replied + 1 :] if _is_news(m, writer, bool(presumes))]
    if not events:
        return View([], False)
    when = fmt_time(messages[replied]["received_at"])
    lines = [f"Письмо, на которое вы отвечаете ({when}), устарело: после него по обращению было:"]
    if len(events) > LISTED:
        lines.append(f"    (и ещё раньше: {len(events) - LISTED})")
    lines += [f"    {_event(m, fmt_time)}" for m in events[-LISTED:]]
    if any(_by_customer(m) for m in events):
        lines += [f"    {UNANSWERED[n]}" for n in presumes]
    return View(["\n".join(lines)], True)


def _by_customer(m: MessageRecord) -> bool:
    """A customer's own mail (not an automatic reply: nothing new to answer)."""
    return m["direction"] == "in" and m["kind"] == "customer" and not m.get("automated")


def _ran(m: MessageRecord, writer: str) -> list[str]:
    """The commands of ``m`` in NEWS, but an #assign to the writer: being handed the
    ticket (no mail tells the assignee) changes nothing their reply says."""
    ran = [c.split(" ", 1) for c in m.get("commands") or ()]
    return [
        " ".join(c)
        for c in ran
        if c[0] in NEWS and not (c[0] == "#assign" and c[1:] and c[1].lower() == writer.lower())
    ]


def _is_news(m: MessageRecord, writer: str, presumes: bool) -> bool:
    """Whether ``m`` is what a reply written before it misses: another's answer to the
    customer or command in NEWS; the customer's mail when the reply presumes none."""
    if _by_customer(m):
        return presumes
    if m["from"] == writer:
        return False
    return answer_reached(m) or bool(_ran(m, writer))


def _event(m: MessageRecord, fmt_time: Callable[[str], str]) -> str:
    """«05.12.2026 10:01, boris@example.com — ответ клиенту, #close: «Иван, ...»»."""
    if _by_customer(m):
        what = ["письмо клиента"]
    else:
        answered = ["ответ клиенту"] if answer_reached(m) else []
        what = answered + list(m.get("commands") or ())
    words = _first_words(m.get("text") or "")
    said = f": «{words}»" if words else ""
    return f"{fmt_time(m['received_at'])}, {m['from']} — {', '.join(what)}{said}"


def _first_words(text: str) -> str:
    """The text's start on one line, cut at a word; "" for a reply of commands only."""
    flat = " ".join(text[: WORDS * 8].split())  # a long text costs no more
    if flat == ONLY_COMMANDS or len(flat) <= WORDS:
        return "" if flat == ONLY_COMMANDS else flat
    cut = flat[:WORDS].rsplit(" ", 1)[0] or flat[:WORDS]
    return cut.rstrip(",;:—-– ") + "…"


def taken_errors(
    commands: Iterable[Command],
    ticket: Ticket,
    messages: list[MessageRecord],
    writer: str,
    staff: Collection[str],
    fmt_time: Callable[[str], str],
) -> list[str]:
    """The error of a #take on a ticket another staff member holds (its assignee), that
    the same reply does not settle with an #assign; [] otherwise."""
    commands = list(commands)
    holder = ticket.get("assignee")
    if not holder or holder == writer or holder not in staff:
        return []
    if not any(c.name == "take" for c in commands) or any(c.name == "assign" for c in commands):
        return []
    since = _held_since(holder, messages)
    when = f" с {fmt_time(since)}" if since else ""
    return [
        f"#take не выполнена: обращение уже ведёт {holder}{when}.\n"
        f"    Чтобы взять его себе, добавьте в ответ строку #assign {writer}"
        " (сообщите об этом коллеге)."
    ]


def _held_since(holder: str, messages: list[MessageRecord]) -> str | None:
    """When ``holder`` got the ticket: the last #take of theirs or #assign of them."""
    for m in reversed(messages):
        ran = m.get("commands") or ()
        if f"#assign {holder}" in ran or ("#take" in ran and m["from"] == holder):
            return m["received_at"]
    return None
