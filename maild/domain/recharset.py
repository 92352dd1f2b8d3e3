"""#charset CODEC: the customer's latest message whose raw mail is kept read again in
that charset (staffreply.check finds it and decodes it: recode.redecode); its record
takes the new text and the staff member who asked gets it (staff_charset.txt).

Called by staffreply.decide_staff; pure.
"""

from __future__ import annotations

import logging

from maild.domain.decision import Context, Outgoing, level_ctx
from maild.domain.longtext import text_ctx
from maild.domain.records import MessageRecord, Ticket
from maild.domain.tid import shown_subject

decision_log = logging.getLogger("maild.pipeline")  # the decision's lines, as for all mail


def recharset(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord], found: tuple
) -> Outgoing:
    """#charset: the customer's message read again; staff get the new text."""
    index, codec, text = found
    messages[index] = dict(messages[index], text=text, recharset=codec)
    decision_log.info(
        "%s [TID#%s] re-read %s as %s",
        ctx.msg.message_id,
        ticket["tid"],
        messages[index]["message_id"],
        codec,
    )
    return Outgoing(
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
