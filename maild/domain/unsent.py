"""A staff reply that sends the customer none of what the staff member wrote: the
answer typed inside the quoted original, files without a text. The staff member is
told what did not go and why (staff_unsent.txt), never left to learn it from the
customer; the quote itself still never reaches the customer (quotes.for_customer).

Called by staffreply.decide_staff; pure.
"""

from __future__ import annotations

import logging

from maild.domain import limits
from maild.domain.decision import Context, Outgoing
from maild.domain.logid import logged_id
from maild.domain.quotes import for_customer, only_signature, typed_lines
from maild.domain.records import MessageRecord, Ticket
from maild.domain.statusmail import is_logo

__all__ = ["UNSENT", "answer", "unsent"]

decision_log = logging.getLogger("maild.pipeline")  # the decision's lines, as for all mail

# Why none of a staff reply reached the customer: the record's "unsent" -> what the
# staff member reads (staff_unsent.txt).
UNSENT = {
    "in_quote": (
        "текст стоит внутри цитаты исходного письма: ниже шапки «От:» / «Отправлено:»\n"
        "(или «-----Original Message-----», «... пишет:») либо среди строк с «>».\n"
        "Всё, что ниже такой шапки, maild считает историей переписки и клиенту\n"
        "не отправляет: в ней внутренние строки уведомления."
    ),
    "files_only": (
        "в письме нет текста для клиента, только вложения. Письмо без текста\n"
        "maild считает служебным (команды и цитата) и клиенту его не пересылает."
    ),
}


def answer(text: str, typed: str, messages: list[MessageRecord]) -> str:
    """What of a staff reply's ``text`` (commands out, saved answers in) goes to the
    customer: never the quote as a fallback (commands + a quote send no quote), never
    a quoted line of support's own mail (quotes.for_customer). A signature alone is no
    answer when the staff member typed inside the quote (``typed``: the reply as
    written): Outlook sets the signature above the original, and the answer typed
    below would leave the customer with «С уважением, Анна» and nothing else."""
    body = for_customer(text)
    if only_signature(body) and typed_lines(typed, [*_texts(messages), body], limit=1):
        return ""
    return body


def unsent(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord], typed: str, notices: list[str]
) -> list[Outgoing]:
    """For a reply that sends the customer none of its text (``typed``: the reply
    without its command lines): when the staff member evidently wrote some (lines no
    mail of the thread holds) or attached files (a signature's logo aside), the mail
    that tells them, and the note keeps the reply as it came. Nothing written: none."""
    # the reply's own text (a signature alone, see answer) is not what stands inside
    lines = typed_lines(typed, [*_texts(messages), for_customer(typed)])
    files = [a.filename or "(без имени)" for a in ctx.msg.attachments if not is_logo(a)]
    if not lines and not files:
        return []
    record, tid, why = ctx.record, ticket["tid"], "in_quote" if lines else "files_only"
    record.update(text=ctx.msg.text.strip(), unsent=why)
    decision_log.warning(
        "%s [TID#%s] staff reply not sent to the customer: %s",
        logged_id(ctx.msg.message_id),
        tid,
        "its text stands inside the quoted mail" if lines else "files without text",
    )
    c = {
        **ctx.common,
        "tid": tid,
        "subject": ticket["subject"] or "(без темы)",
        "reason": UNSENT[why],
        "typed": lines,
        "files": files[: limits.MAX_LISTED_FILES],
        "files_more": max(0, len(files) - limits.MAX_LISTED_FILES),
        "commands": record.get("commands") or [],
        "notices": bool(notices),
    }
    key = ctx.key("staff_unsent")
    return [Outgoing(key, "notice", "staff_unsent.txt", [ctx.msg.from_addr], c, record=True)]


def _texts(messages: list[MessageRecord]) -> list[str]:
    return [m["text"] for m in messages]
