"""What a staff reply decides: its commands, saved answers, #merge, #charset, and
the one mail to the customer that carries the answer and the status change.

`decide_staff` is called by decide.decide for a verified staff reply; the tickets
#merge names and the raw mail #charset reads again come in the Snapshot; the rules
themselves live in commands, ticket, onemail, merge and recode; a reply that sends
the customer none of what was written is unsent's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from maild.domain import (
    capped,
    heard,
    humans,
    mergecmd,
    samereply,
    spammark,
    staffforward,
    subjectcmd,
)
from maild.domain import commands as cmds
from maild.domain import decision as dc
from maild.domain import staleview as sv
from maild.domain import ticket as tk
from maild.domain.answers import filled
from maild.domain.assignee import assign_errors, assigned
from maild.domain.closedcmd import closed_errors, idle_commands, level_errors, unasked_errors
from maild.domain.commands import Command, ParsedReply, holds_notice, parse_reply
from maild.domain.conflicts import without_conflicts
from maild.domain.decision import Context, Decision, Outgoing, level_ctx, saying
from maild.domain.direct import named, unchanged
from maild.domain.direct import told as direct_told
from maild.domain.leak import beyond_errors
from maild.domain.message import redecode
from maild.domain.onemail import fold
from maild.domain.participants import apply_participant_command, participant_errors
from maild.domain.policy import Policy
from maild.domain.recall import is_recall
from maild.domain.recharset import recharset
from maild.domain.records import MessageRecord, Ticket
from maild.domain.refused import conflicts_mail, staff_error
from maild.domain.said import Said
from maild.domain.signoff import without_greeting_to
from maild.domain.sla import followup_ended
from maild.domain.snapshot import Loaded, Snapshot
from maild.domain.staffmail import decide_recall
from maild.domain.staffquote import without_our_forward
from maild.domain.tid import shown_subject
from maild.domain.unsent import answer, no_customer, unsendable, unsent

MERGED = "merged"  # the customer notice of #merge (templates/merged.txt)


@dataclass
class Extras:
    """What the reply's #answer/#merge/#charset lines came to, checked before anything
    changes: errors stop the whole reply, as a bad command does. ``runs``, ``conflicts``:
    conflicts.without_conflicts of its commands (in run order), worked out once here."""

    runs: tuple[Command, ...]
    conflicts: list[str]
    body: str = ""
    errors: list[str] = field(default_factory=list)
    merge_into: Loaded | None = None
    recharset: tuple[int, str, str] | None = None  # (message index, codec, new text)


def check(policy: Policy, snap: Snapshot, reply: ParsedReply, ticket: Ticket) -> Extras:
    """Fill in saved answers; check what #merge, #charset, #assign, #cc/#uncc, #human name."""
    ex = Extras(*without_conflicts(reply.commands))
    ex.body, ex.errors = filled(policy, reply, ticket)  # an answer that fails: an error
    ex.errors += participant_errors(policy, ticket, reply.commands)
    ex.errors += humans.errors(ticket, reply.commands)
    ex.errors += assign_errors(policy, reply.commands)
    for cmd in reply.commands:
        if cmd.name == "merge" and cmd.arg:
            loaded = snap.merge_targets.get(cmd.arg)
            if error := mergecmd.target_error(loaded, ticket, cmd.arg, snap.merged_source):
                ex.errors.append(error)
            elif cmd in ex.runs:  # two targets: neither (conflicts)
                ex.merge_into = loaded
    if codecs := [c.arg for c in reply.commands if c.name == "charset" and c.arg]:
        _check_charset(snap.charset_source, codecs[-1], ex, policy)  # once: FINDINGS 63
    return ex


def _check_charset(src: tuple[int, bytes] | None, codec: str, ex: Extras, policy: Policy) -> None:
    if src is None:
        ex.errors.append("#charset: нет письма клиента, исходный текст которого сохранён")
        return
    index, raw = src
    ex.recharset = (index, codec, redecode(raw, codec, policy.inbound_banners))


def one_mail(policy: Policy, first: str, names: list[str], context: dict[str, Any]) -> str:
    """``first`` with the notices ``names`` (templates) folded under it."""
    return fold(first, [policy.render_text(f"{n}.txt", context)[1] for n in names])


# -- the decision ----------------------------------------------------------------------


def _answer(
    policy: Policy,
    reply: ParsedReply,
    extras: Extras,
    ticket: Ticket,
    messages: list[MessageRecord],
) -> str:
    """What of the reply goes to the customer (unsent.answer), without a greeting to
    support itself (The Bat!'s «Здравствуйте, Служба.»). A note goes to nobody: what it
    holds is kept, however it was typed."""
    body = answer(extras.body, "" if reply.note else reply.body, messages, reply.commands)
    if reply.note:
        return body
    return without_greeting_to(body, policy.support_name, ticket.get("requester_name") or "")


def decide_staff(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision:
    """A staff reply: commands anywhere in its own text, then one mail to the customer."""
    policy, record, tid = ctx.policy, ctx.record, ticket["tid"]
    text, reply = _reply_of(ctx, messages)
    record["kind"] = "staff"
    before = heard.reaction_of(ticket)  # a notice queued to no one leaves it so
    extras = check(policy, ctx.snapshot, reply, ticket)
    body = _answer(policy, reply, extras, ticket, messages)
    if stop := _stopped(ctx, text, reply, extras, body, ticket, messages):
        return stop
    reply, conflicts, idle, subject = _agreeing(ctx, reply, extras, ticket, messages)
    note_inline = next((c.arg for c in reply.commands if c.name == "note" and c.arg), "")
    if note_inline:  # "#note text" on one line: the text is the note
        body = f"{note_inline}\n{body}".strip()
    record["commands"] = [cmds.written(c) for c in assigned(policy, reply.commands)]
    if any(c.name == "spam" for c in reply.commands):  # to the quarantine, nothing sent
        return spammark.decide_spam(ctx, ticket, messages, reply.commands, body)
    outgoing: list[Outgoing] = []
    lines: list[Said] = []  # what it says (domain/said.py), in order
    replied = not reply.note and bool(body)
    ticket, notices = _apply_commands(ctx, ticket, messages, reply, replied)
    # who the reply goes to, after its #cc/#uncc: the one it adds reads the answer
    # that adds them, the one it removes no longer gets it
    customers = tk.customers(ticket, policy.internal, policy.support_address)
    if replied and not customers:  # nobody to answer: a note, and the staff member is told
        outgoing, lines, replied = *no_customer(ctx, ticket, messages, body), False
    sent = dict(ticket.get("sent") or {})
    if extras.merge_into is not None:  # the conversation goes on there: no rating request
        notices = [n for n in notices if n != tk.RESOLVED] + [MERGED]
    if extras.recharset is not None:
        out, read = recharset(ctx, ticket, messages, extras.recharset)
        outgoing, lines = [*outgoing, out], [*lines, read]
    notices = notices if customers else []  # nobody to tell: none mailed, none counted sent
    ticket, notices, held = capped.held(ctx, ticket, notices, None if replied else before)
    outgoing += held  # none to automatic mail: the staff member is told
    notices = _started(notices, sent, replied, ctx.received_at.isoformat())
    direct = named(ctx.msg, customers)  # got it from her mail system: not again from us
    again = unchanged(direct, reply.commands)  # (but with a saved answer maild's goes)
    if replied:  # "out", to the customers (robots.answered finds the last mail they got)
        record.update({"direction": "out", "text": body, "folded": notices, "to": list(customers)})
        record["sent_as"] = policy.message_id(ctx.key("relay"), tid)  # replies thread to it
    elif not record.get("unsent"):  # commands only: a note, as #merge below moves it too
        record.update({"kind": "note", "text": body or sv.ONLY_COMMANDS})
        if not reply.note:  # none of her text reaches the customer from maild
            mail, says = unsent(ctx, ticket, messages, reply.body, notices, direct)
            outgoing, lines = [*outgoing, *mail], [*lines, *says]
    ticket, merged, mix, line = mergecmd.merged(ctx, extras.merge_into, ticket, messages, customers)
    if replied or notices:
        c = _notice_ctx(ctx, ticket)
        ticket = tk.on_mail_to_customer(ticket, ctx.received_at)
        answer = (body, again) if replied else None
        outgoing += _to_customers(ctx, ticket, c, customers, notices, answer, before)
    ticket = {**ticket, "sent": sent}
    facts = {"note": reply.note, "notices": bool(notices), "resent": again != direct}
    ticket, told = direct_told(ctx, ticket, direct, **facts)
    errors, refused = conflicts_mail(ctx, ticket, conflicts, replied, idle, subject)
    outgoing += [*told, *mix, *errors]  # (mix: the merged customers differ)
    more: _More = {"also": [merged] if merged is not None else [], "withdraw": _uncc(reply, ticket)}
    decision = Decision("appended", tid, ticket, [*messages, record], record, outgoing, **more)
    return saying(decision, *lines, line, *refused)


class _More(TypedDict):
    """A staff reply's decision beyond the thread: #merge's ticket, #uncc's addresses."""

    also: list[tuple[Ticket, list[MessageRecord]]]
    withdraw: tuple[str, ...]


def _reply_of(ctx: Context, messages: list[MessageRecord]) -> tuple[str, ParsedReply]:
    """(the reply's own text, what it says): the notice attached as a forward is the mail
    answered (its files, the customer's own, the ticket holds: decide left them out, as
    every file it holds already); a line of the customers' mail copied into the answer
    is never a command mistyped."""
    text = without_our_forward(ctx.msg.text, ctx.policy.support_address)
    quoted = [m.get("text") or "" for m in messages if m["kind"] == "customer"]
    return text, parse_reply(text, quoted)


def _to_customers(
    ctx: Context,
    ticket: Ticket,
    c: dict[str, Any],
    customers: list[str],
    notices: list[str],
    answer: tuple[str, list[str]] | None,
    before: dict[str, Any],
) -> list[Outgoing]:
    """A staff reply's mail to the customers: the answer (``answer``: its text, who got it
    from the staff member's mail system) with the notices folded in, none to an address
    held (capped.parted); to who has it, the notices alone (heard.py); else the notices."""
    held, told = capped.parted(ticket, customers, notices)
    if answer is None:
        return [heard.if_queued(_customer_mail(ctx, told, c, notices), before, ticket)]
    body, direct = answer
    alone, relayed = ([a for a in group if a not in direct] for group in (held, told))
    mails = [_customer_mail(ctx, alone, c, [], body)] if alone else []
    if relayed:  # (after: what they read is the record's folded_text)
        mails = [*map(capped.answer_alone, mails), _customer_mail(ctx, relayed, c, notices, body)]
    if (direct := [a for a in direct if a in told]) and notices:
        mails.append(_customer_mail(ctx, direct, c, notices))
    return mails


def _started(notices: list[str], sent: dict[str, Any], replied: bool, at: str) -> list[str]:
    """The notices without «работа начата» where the answer itself says work has started
    or the customer was told so before; ``sent`` keeps when they learnt it."""
    if replied or sent.get(tk.STARTED):
        sent.setdefault(tk.STARTED, at)
        return [n for n in notices if n != tk.STARTED]
    if tk.STARTED in notices:
        sent[tk.STARTED] = at
    return notices


def _agreeing(
    ctx: Context,
    reply: ParsedReply,
    extras: Extras,
    ticket: Ticket,
    messages: list[MessageRecord],
) -> tuple[ParsedReply, list[str], list[str], list[str]]:
    """The reply without its commands that contradict each other (neither of two runs:
    Extras.runs) or change nothing (a #critical of a ticket marked so, a #close of one
    closed: closedcmd.idle_commands), and the errors that say so, of each kind, and of
    a command typed in its subject, which never runs (subjectcmd); the rest of it goes."""
    runs, idle = idle_commands(extras.runs, ticket, messages, ctx.policy.fmt_time)
    subject = subjectcmd.of_reply(ctx.msg.subject, reply.commands, ticket, messages)[1]
    return replace(reply, commands=runs), extras.conflicts, idle, subject


def _stopped(
    ctx: Context,
    text: str,
    reply: ParsedReply,
    extras: Extras,
    body: str,
    ticket: Ticket,
    messages: list[MessageRecord],
) -> Decision | None:
    """The reply stopped, its writer told why, or None: Outlook asking for an answer back
    (recall.py); errors (staff_error): written on a stale view of the ticket, or a #take
    of a ticket another holds (staleview), a bad command line, a check of #answer/#merge/
    #charset/#assign/#cc, a file the answer cannot carry (alone: «Ответ не отправлен»),
    #take/#wait/#critical/#assign on a closed ticket, #wait that asks nothing, #development on
    free support, a command beside #merge that changes a ticket (mergecmd), #spam beyond
    the spammer (spammark), a command in the quote, #note or #spam typed in the subject
    alone (subjectcmd.of_reply: the text is no answer); or, instead of all, a text that
    cannot be told from the notice it quotes (``text``: the reply's own, no notice
    attached); without errors, an answer she sent before word for word (samereply)."""
    if is_recall(ctx.msg):  # Outlook asks for the answer back: no answer, nothing relayed
        return decide_recall(ctx, ticket, messages)
    if holds_notice(text):  # its "errors" are the cheat sheet's lines, not typed
        return staff_error(ctx, ticket, messages, [cmds.UNSEPARATED])
    view = sv.check(ctx, reply.commands, ticket, messages)
    files = unsendable(ctx, reply, body)
    errors = [*view.errors, *reply.errors, *extras.errors, *files]
    errors += closed_errors(reply.commands, ticket, messages, ctx.policy.fmt_time)
    judged = staffforward.cc_level(ctx, ticket, messages)  # a first customer's, by #cc
    errors += level_errors(reply.commands, judged) + mergecmd.beside_errors(extras.runs)
    errors += spammark.errors_of(ctx, ticket, messages, extras.runs)
    errors += beyond_errors(ctx.msg, ctx.policy, ticket, reply.commands, ctx.snapshot.merged_source)
    errors += unasked_errors(extras.runs, bool(body) and not reply.note, messages, ticket)
    in_quote = cmds.in_quote(text, messages, reply.commands, reply.own_end)
    held, subject = subjectcmd.of_reply(ctx.msg.subject, reply.commands, ticket, messages)
    errors += [cmds.IN_QUOTE.format(line=s) for s in in_quote] + held
    stopped = errors == files  # for what it carries, not a command
    if errors:  # (a command typed in the subject is told with them: subjectcmd)
        return staff_error(
            ctx, ticket, messages, errors + subject, view.resend, text=text, stopped=stopped
        )
    return samereply.held(ctx, reply, body, ticket, messages)


def _uncc(reply: ParsedReply, ticket: Ticket) -> tuple[str, ...]:
    """Whom this reply's #uncc took off the ticket (and no later #cc brought back): mail
    queued to them before (an answer, a notice waiting for the relay) is not to go."""
    removed = set(ticket.get("removed") or ())
    named = [(c.arg or "").lower() for c in reply.commands if c.name == "uncc"]
    return tuple(sorted({a for a in named if a in removed}))


def _notice_ctx(ctx: Context, ticket: Ticket) -> dict[str, Any]:
    """What the customer notices of a staff reply's commands read."""
    return {
        **ctx.common,
        **level_ctx(ctx.policy, ticket),
        # the ticket's own subject, not the reply's (often only "Re: [TID#...]")
        "subject": shown_subject(ticket["subject"]),
        "keep_days": ctx.policy.credentials_keep_days,
        "head": ctx.policy.head or None,  # the closing letter names whom to write (regulation)
        "merged_into": ticket.get("merged_into"),
    }


def _apply_commands(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord], reply: ParsedReply, replied: bool
) -> tuple[Ticket, list[str]]:
    """The answer (``replied``), then each command in order: (the ticket after them, the
    customer notices they cause; of a ticket that ends closed, no level change: #level
    vip then #close is #close then #level vip, and a closed ticket's level corrected
    tells the customer nothing). A follow-up's deadline they end is counted for the SLA
    report (sla.followup_ended), under the level it was set by."""
    notices: list[str] = []
    level, found = ticket["level"], ticket
    # a #cc of the first customer of a ticket staff opened: his level first (staffforward)
    ticket = staffforward.cc_level(ctx, ticket, messages)
    if replied:
        # the reply is the reaction; a #level after it leaves no deadline (none pending)
        ticket = tk.on_staff_reply(ticket, ctx.received_at)
    for cmd in assigned(ctx.policy, reply.commands):  # (#assign as support.staff spells)
        if cmd.name in ("cc", "uncc"):
            # checked with the other commands (check): an error stopped the reply
            ticket, _ = apply_participant_command(ctx.policy, ticket, cmd.name, cmd.arg)
            continue
        if cmd.name == "human":  # checked as #cc is; the note: humans.noted
            ticket, _ = humans.vouch(ticket, cmd.arg)
            continue
        ticket, more = tk.apply_command(
            ticket, cmd.name, cmd.arg, ctx.received_at, ctx.policy.due, ctx.msg.from_addr
        )
        notices += [n for n in more if n not in notices]
    if ticket["status"] == "closed":  # a level set on a ticket that ends closed corrects
        # the SLA report: no deadline to tell the customer of, whatever the lines' order
        notices = [n for n in notices if n != tk.LEVEL_CHANGED]
        if ticket["level"] != level:
            ticket = tk.level_corrected(ticket, ctx.policy.due)
    return followup_ended(found, ticket, ctx.received_at), notices


def _customer_mail(
    ctx: Context, to: list[str], c: dict[str, Any], notices: list[str], answer: str | None = None
) -> Outgoing:
    """The one mail a staff reply sends the customer: the answer (or, without one, the
    first notice) with the other notices folded under it. With #merge's notice, either
    carries the tag of the ticket merged into, where the notice says to write on."""
    merged = c.get("merged_into") if MERGED in notices else None
    if answer is not None:  # signed by the desk, as every mail the customer gets
        _, signed = ctx.policy.render_text("staff_reply.txt", {**c, "text": answer.strip("\n")})
        body = one_mail(ctx.policy, signed, notices, c)
        # what the customer reads under the answer (the notices, the signature): a
        # quote of it in their reply is not theirs (typedlines.for_site)
        ctx.record["folded_text"] = body.removeprefix(answer.strip("\n")).strip()
        return Outgoing(
            ctx.key("relay"),
            "staff",
            None,
            to,
            c,
            record=False,
            auto=False,
            body=body,
            attach=dc.accepted_files(dc.answer_files(ctx)),
            subject_tid=merged,
        )
    subject, first = ctx.policy.render_text(f"{notices[0]}.txt", c)
    body = one_mail(ctx.policy, first, notices[1:], c)
    return Outgoing(
        ctx.key(notices[0]),
        "notice",
        f"{notices[0]}.txt",
        to,
        c,
        record=True,
        body=body,
        subject=subject,
        in_target=MERGED in notices,
        if_capped=capped.if_capped(ctx, notices, to, c),
        subject_tid=merged,
    )
