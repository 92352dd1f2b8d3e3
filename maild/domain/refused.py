"""«Команды не выполнены»: the mail to a staff member whose reply's commands did not
run. Bad command lines stop the whole reply (staff_error); commands that contradict
each other stop only themselves (conflicts_mail, conflicts.without_conflicts).
"""

from __future__ import annotations

import logging

from maild.domain import limits
from maild.domain.decision import Context, Decision, Outgoing
from maild.domain.logid import logged_id
from maild.domain.plural import ru_count
from maild.domain.records import MessageRecord, Ticket

__all__ = ["conflicts_mail", "refused", "staff_error"]

decision_log = logging.getLogger("maild.pipeline")  # the decision's lines, as for all mail


def staff_error(
    ctx: Context,
    ticket: Ticket,
    messages: list[MessageRecord],
    errors: list[str],
    resend: bool = False,
) -> Decision:
    """Bad command lines stop the whole reply: staff are told why, the customer nothing;
    ``resend``: a reply on a stale view (staleview), which a reply to this mail sends."""
    ctx.record.update(kind="note")
    out = refused(ctx, ticket, errors, resend=resend)
    return Decision("appended", ticket["tid"], ticket, [*messages, ctx.record], ctx.record, [out])


def conflicts_mail(
    ctx: Context, ticket: Ticket, conflicts: list[str], answered: bool
) -> list[Outgoing]:
    """Commands that contradict each other did not run (conflicts.without_conflicts),
    the rest of the reply did: the staff member is told which, and what did go."""
    if not conflicts:
        return []
    ran = ctx.record.get("commands") or []
    return [refused(ctx, ticket, conflicts, partial=True, ran=ran, answered=answered)]


def refused(
    ctx: Context,
    ticket: Ticket,
    errors: list[str],
    partial: bool = False,
    ran: list[str] | None = None,
    answered: bool = False,
    resend: bool = False,
) -> Outgoing:
    """«Команды не выполнены» to the staff member: the whole reply stopped, or
    (``partial``) only its commands ``errors`` name, ``ran`` having run; ``resend``:
    it was written on a stale view, and answering this mail sends it. The first
    limits.MAX_LISTED_ERRORS errors are listed (in the mail, the record, the log), the
    rest counted: a reply of 200,000 bad lines made a 100 MB mail no relay takes."""
    msg, tid = ctx.msg, ticket["tid"]
    listed = [limits.cut(e, limits.MAX_ERROR_CHARS) for e in errors[: limits.MAX_LISTED_ERRORS]]
    more = len(errors) - len(listed)
    counted = [f"и ещё {ru_count(more, 'ошибка', 'ошибки', 'ошибок')}"] if more else []
    ctx.record["command_errors"] = listed + counted
    decision_log.warning(
        "%s [TID#%s] staff commands refused: %s",
        logged_id(msg.message_id),
        tid,
        "; ".join(listed + counted),
    )
    c = {"tid": tid, "subject": ticket["subject"] or "(без темы)", "errors": listed}
    return Outgoing(
        ctx.key("staff_error"),
        "notice",
        "staff_error.txt",
        [msg.from_addr],
        {
            **ctx.common,
            **c,
            "partial": partial,
            "ran": ran or [],
            "answered": answered,
            "stale": resend,
            "errors_more": more,
        },
        record=True,
    )
