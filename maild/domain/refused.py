"""«Команды не выполнены»: the mail to a staff member whose reply's commands did not
run. Bad command lines stop the whole reply (staff_error), and so does a file the
answer cannot carry («Ответ не отправлен»): the mail quotes the reply's own text back;
commands that contradict each other stop only themselves (conflicts_mail,
conflicts.without_conflicts).
"""

from __future__ import annotations

from collections.abc import Sequence

from maild.domain import limits, oversize, said
from maild.domain.decision import Context, Decision, Outgoing
from maild.domain.direct import named
from maild.domain.logid import logged_id
from maild.domain.plural import ru_count
from maild.domain.records import MessageRecord, Ticket
from maild.domain.said import Said
from maild.domain.staffquote import for_customer
from maild.domain.ticket import customers
from maild.domain.tid import shown_subject

__all__ = ["conflicts_mail", "quoted_back", "refused", "staff_error"]

LOG = "maild.pipeline"  # the decision's lines, as for all mail


def staff_error(
    ctx: Context,
    ticket: Ticket,
    messages: list[MessageRecord],
    errors: list[str],
    resend: bool = False,
    *,
    text: str = "",
    stopped: bool = False,
) -> Decision:
    """Bad command lines stop the whole reply: staff are told why, the customer nothing;
    ``resend``: a reply on a stale view (staleview), which a reply to this mail sends;
    ``stopped``: no error is a command's, the answer stopped for what it carries (a file
    it cannot: «Ответ не отправлен»). ``text``: the reply's own (the notice attached
    left out; "" when it cannot be told from the notice), quoted back (quoted_back)."""
    ctx.record.update({"kind": "note"})
    if oversize.sizes_of(ctx.msg.header(oversize.FIELD)) is not None:
        text = ""  # a stand-in's text is maild's note, not the staff member's
    own = quoted_back(text, messages)
    out, line = refused(ctx, ticket, errors, resend=resend, stopped=stopped, own=own)
    record = ctx.record
    return Decision(
        "appended", ticket["tid"], ticket, [*messages, record], record, [out], said=(line,)
    )


def quoted_back(text: str, messages: list[MessageRecord]) -> tuple[str, dict[str, int] | None]:
    """(what a stopped reply's writer reads of their ``text``, None or {"shown",
    "total"} characters when it is cut): their own lines, never a quoted line of the
    notice answered (staffquote.for_customer, knowing the thread ``messages``), up to
    limits.MAX_QUOTED_CHARS cut at a line break: a webmail user whose reply stopped
    had to find it among sent mail and type it again; a reply of 200,000 bad lines
    keeps the mail a few kilobytes."""
    own = for_customer(text, [m.get("text") or "" for m in messages]) if text.strip() else ""
    if len(own) <= limits.MAX_QUOTED_CHARS:
        return own, None
    end = own.rfind("\n", limits.MAX_QUOTED_CHARS // 2, limits.MAX_QUOTED_CHARS)
    shown = own[: end if end > 0 else limits.MAX_QUOTED_CHARS]
    return shown, {"shown": len(shown), "total": len(own)}


def conflicts_mail(
    ctx: Context,
    ticket: Ticket,
    conflicts: list[str],
    answered: bool,
    idle: Sequence[str] = (),
    in_subject: Sequence[str] = (),
) -> tuple[list[Outgoing], tuple[Said, ...]]:
    """Commands that contradict each other (``conflicts``: conflicts.without_conflicts)
    or would change nothing (``idle``: closedcmd.idle_commands) did not run, nor did one
    typed in the subject (``in_subject``: subjectcmd), the rest of the reply did: the
    staff member is told which, and what did go, the mail's first lines saying why of
    the kinds there are (one that changes nothing contradicts nothing). With the line
    that says so."""
    errors = [*conflicts, *idle, *in_subject]
    if not errors:
        return [], ()
    ran = ctx.record.get("commands") or []
    out, line = refused(
        ctx,
        ticket,
        errors,
        partial=True,
        ran=ran,
        answered=answered,
        contradict=bool(conflicts),
        idle=bool(idle),
        in_subject=bool(in_subject),
    )
    return [out], (line,)


def refused(
    ctx: Context,
    ticket: Ticket,
    errors: list[str],
    partial: bool = False,
    ran: list[str] | None = None,
    answered: bool = False,
    resend: bool = False,
    stopped: bool = False,
    own: tuple[str, dict[str, int] | None] = ("", None),
    contradict: bool = False,
    idle: bool = False,
    in_subject: bool = False,
) -> tuple[Outgoing, Said]:
    """«Команды не выполнены» to the staff member: the whole reply stopped, or
    (``partial``) only its commands ``errors`` name, ``ran`` having run, of them some
    that contradict each other (``contradict``), some that would change nothing
    (``idle``), some typed in the subject (``in_subject``); ``resend``:
    it was written on a stale view, and answering this mail sends it; ``stopped``: not
    for a command («Ответ не отправлен»); ``own``: the reply's text quoted back and
    how it was cut (quoted_back). The first limits.MAX_LISTED_ERRORS errors are listed
    (in the mail, the record, the log line that comes with it), the rest counted: a
    reply of 200,000 bad lines made a 100 MB mail no relay takes."""
    msg, tid, policy = ctx.msg, ticket["tid"], ctx.policy
    listed = [limits.cut(e, limits.MAX_ERROR_CHARS) for e in errors[: limits.MAX_LISTED_ERRORS]]
    more = len(errors) - len(listed)
    counted = [f"и ещё {ru_count(more, 'ошибка', 'ошибки', 'ошибок')}"] if more else []
    ctx.record["command_errors"] = told = listed + counted
    msgid = logged_id(msg.message_id)
    line = said.warning(LOG, "%s [TID#%s] staff commands refused: %s", msgid, tid, "; ".join(told))
    out = Outgoing(
        ctx.key("staff_error"),
        "notice",
        "staff_error.txt",
        [msg.from_addr],
        {
            **ctx.common,
            "tid": tid,
            "subject": shown_subject(ticket["subject"]),
            "errors": listed,
            "partial": partial,
            "contradict": contradict,
            "idle": idle,
            "in_subject": in_subject,
            "ran": ran or [],
            "answered": answered,
            "stale": resend,
            "answer_stopped": stopped,
            "errors_more": more,
            "text": own[0],
            "own_cut": own[1],
            # the customers named in its To/Cc: they have it from her mail system
            "direct": named(msg, customers(ticket, policy.internal, policy.support_address)),
        },
        record=True,
    )
    return out, line
