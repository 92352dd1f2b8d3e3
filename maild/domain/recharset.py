"""#charset CODEC: the customer's latest message whose raw mail is kept read again in
that charset (staffreply.check finds it and decodes it: recode.redecode); its record
takes the new text and the staff member who asked gets it (staff_charset.txt).

Called by staffreply.decide_staff; which message it reads again, and whether a reply
asks for it, by the gatherer (snapshot.py). Pure.
"""

from __future__ import annotations

from maild.domain import said
from maild.domain.commands import ParsedReply
from maild.domain.decision import Context, Outgoing, level_ctx
from maild.domain.logid import logged_id
from maild.domain.longtext import text_ctx
from maild.domain.records import MessageRecord, Ticket
from maild.domain.said import Said
from maild.domain.tid import shown_subject

LOG = "maild.pipeline"  # the decision's lines, as for all mail


def charset_wanted(reply: ParsedReply) -> bool:
    """The reply asks to read a customer's message again (#charset CODEC)."""
    return any(c.name == "charset" and c.arg for c in reply.commands)


def charset_source(messages: list[MessageRecord]) -> tuple[int, str] | None:
    """(index, spool key) of the latest customer message whose raw mail is kept (`maild
    forget` erases it): the one #charset reads again; None when none kept it."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m["direction"] == "in" and m["kind"] == "customer" and (key := m.get("spool_key")):
            return i, key
    return None


def recharset(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord], found: tuple[int, str, str]
) -> tuple[Outgoing, Said]:
    """#charset: the customer's message read again; staff get the new text (the mail,
    and the line that says it was read again)."""
    index, codec, text = found
    messages[index] = {**messages[index], "text": text, "recharset": codec}
    line = said.info(
        LOG,
        "%s [TID#%s] re-read %s as %s",
        logged_id(ctx.msg.message_id),
        ticket["tid"],
        messages[index]["message_id"],
        codec,
    )
    out = Outgoing(
        ctx.key("recharset"),
        "notice",
        "staff_charset.txt",
        [ctx.msg.from_addr],
        {
            **ctx.common,
            **level_ctx(ctx.policy, ticket),
            "subject": shown_subject(ticket["subject"]),
            "codec": codec,
            **text_ctx(text),
        },
        record=True,
    )
    return out, line
