"""The head's mail into a ticket (support.head): support's own side, as staff are, yet
no staff member, so it is a note of the ticket, never a customer's mail (a ticket of
his own, a confirmation to him, «Новое обращение» about him), and no command of it
runs. Sent to his signed reply address (an escalation's Reply-To), or proving its From
by DKIM/SPF, staff get it (staffmail.decide_head); from his address elsewhere (a new
mail to support@ naming the ticket, a reply his client sent to the escalation's From)
it is a note only, as an unverified staff member's mail is (staffmail.decide_unverified),
and he is told once per ticket how to write so that staff get it. Command lines in
his mail did not run: he is told so once per ticket, in the same mail (head_note.txt).
"""

from __future__ import annotations

from maild.domain import said
from maild.domain.commands import parse_reply, written
from maild.domain.decision import Context, Decision, Outgoing
from maild.domain.logid import logged_id
from maild.domain.records import MessageRecord, Ticket

LOG = "maild.trust"

TEMPLATE = "head_note.txt"


def decide_unsigned(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision:
    """The head's mail into a ticket, not to his reply address and not proven: a note
    (a forger may write his From), nothing relayed, no command run, no deadline
    changed; the head is told how his mail reaches staff, once per ticket, within the
    caps of automatic mail."""
    msg, record, tid = ctx.msg, ctx.record, ticket["tid"]
    line = said.warning(
        LOG,
        "%s [TID#%s] from the head %s, not to his reply address: kept as a note",
        logged_id(msg.message_id),
        tid,
        msg.from_addr,
    )
    record.update({"kind": "note", "unverified_staff": True})
    ticket, outgoing = told(ctx, ticket, relayed=False)
    return Decision("appended", tid, ticket, [*messages, record], record, outgoing, said=(line,))


def told(ctx: Context, ticket: Ticket, relayed: bool) -> tuple[Ticket, list[Outgoing]]:
    """(the ticket, the head's notice or none) for the head's mail into ``ticket``:
    ``relayed`` (staff got it) the notice only names command lines that did not run;
    else it also says how to write so that staff get it. Each once per ticket (its
    ``sent``): the head learns the rule once, not with every letter."""
    sent = dict(ticket.get("sent") or {})
    head = ctx.msg.from_addr
    commands = head_commands(ctx.msg.text)
    tell_how = not relayed and not sent.get(f"head-unsigned:{head}")
    tell_commands = bool(commands) and not sent.get(f"head-commands:{head}")
    if not (tell_how or tell_commands):
        return ticket, []
    at = ctx.received_at.isoformat()
    if not relayed:
        sent[f"head-unsigned:{head}"] = sent.get(f"head-unsigned:{head}") or at
    if commands:
        sent[f"head-commands:{head}"] = sent.get(f"head-commands:{head}") or at
    tid = ticket["tid"]
    context = {
        **ctx.common,
        "tid": tid,
        "subject": ticket.get("subject") or ctx.common["subject"],
        "relayed": relayed,
        "commands": commands,
        "reply_address": ctx.policy.reply_address(tid, head),
    }
    # anyone can write the head's From: capped as automatic mail is
    out = Outgoing(ctx.key("head-note"), "notice", TEMPLATE, [head], context, True, unverified=True)
    return {**ticket, "sent": sent}, [out]


def head_commands(text: str) -> list[str]:
    """The command lines of the head's own text, as written («#assign boris@...»):
    none of them runs. #note is none to name: his mail is a note anyway."""
    return [written(c) for c in parse_reply(text).commands if c.name != "note"]
