"""«Команды не выполнены»: the mail to a staff member whose reply's commands did not
run. Bad command lines stop the whole reply (staff_error); commands that contradict
each other stop only themselves (conflicts_mail, conflicts.without_conflicts).
"""

from __future__ import annotations

import logging

from maild.domain.decision import Context, Decision, Outgoing
from maild.domain.logid import logged_id
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
    it was written on a stale view, and answering this mail sends it."""
    msg, tid = ctx.msg, ticket["tid"]
    ctx.record["command_errors"] = errors
    decision_log.warning(
        "%s [TID#%s] staff commands refused: %s", logged_id(msg.message_id), tid, "; ".join(errors)
    )
    c = {"tid": tid, "subject": ticket["subject"] or "(без темы)", "errors": errors}
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
        },
        record=True,
    )
