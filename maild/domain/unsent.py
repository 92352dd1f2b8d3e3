"""A staff reply that sends the customer none of what the staff member wrote: the
answer typed inside the quoted original, files without a text, an answer to a ticket
that has no customer (opened by mail from the support address itself, by a staff
member, or by a message whose From could not be read; or its customer was erased by
`maild forget`). The staff member is
told what did not go and why (staff_unsent.txt), never left to learn it from the
customer; the quote itself still never reaches the customer (staffquote.for_customer).

Called by staffreply.decide_staff; pure.
"""

from __future__ import annotations

from maild.domain import limits, oversize, said
from maild.domain.commands import Command, ParsedReply
from maild.domain.decision import Context, Outgoing, answer_files
from maild.domain.forget import PLACEHOLDER
from maild.domain.linktext import collapsed_links
from maild.domain.logid import logged_id
from maild.domain.mimeparts import is_logo
from maild.domain.records import MessageRecord, Ticket
from maild.domain.said import Said
from maild.domain.signoff import only_sign_off
from maild.domain.stafffiles import refusal
from maild.domain.staffquote import for_customer
from maild.domain.tid import shown_subject
from maild.domain.typedlines import typed_lines

__all__ = ["UNSENT", "answer", "no_customer", "thread_texts", "unsendable", "unsent"]

LOG = "maild.pipeline"  # the decision's lines, as for all mail

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
    "no_customer": (
        "у обращения нет клиента, которому можно ответить:\n{who}.\n"
        "Ответ сохранён в обращении как заметка."
    ),
}

# Why a ticket has no customer (no_customer): who opened it.
NO_CUSTOMER = {
    "support": "его открыло письмо с адреса самой службы поддержки ({requester})",
    "unknown": "отправителя письма, открывшего обращение, прочитать не удалось",
    "staff": "его открыл сотрудник поддержки ({requester}), а ответы по обращению\n"
    "уходят только клиентам, не сотрудникам",
    "forgotten": "данные клиента удалены по его запросу (maild forget), его адреса\n"
    "в обращении больше нет",
}


def answer(
    text: str, typed: str, messages: list[MessageRecord], commands: tuple[Command, ...] = ()
) -> str:
    """What of a staff reply's ``text`` (commands out, saved answers in) goes to the
    customer: never the quote as a fallback (commands + a quote send no quote), never
    a quoted line of support's own mail (staffquote.for_customer). Nothing goes when the
    staff member typed part of the answer inside the quote (``typed``: the reply as
    written; lines no mail of the thread holds and the answer lacks): iOS Mail, Apple
    Mail and webmail keep text typed in a quote quoted, Outlook sets the signature
    above the original, and the customer would get «Иван, здравствуйте.» or «С
    уважением, Анна» without the answer itself; unsent tells the staff member.
    Nor when a reply of ``commands`` holds only what the client added by itself (a
    signature, "Отправлено с iPhone": signoff): its commands' notices go alone. A
    #note keeps what it holds, whatever that is. Outlook's plain "URL<URL>" of a link
    goes as one URL (linktext.collapsed_links)."""
    texts = thread_texts(messages)
    body = for_customer(text, texts)
    if body and typed_lines(typed, [*texts, body], limit=1):
        return ""
    note = any(c.name == "note" for c in commands)
    if commands and not note and only_sign_off(body, texts):
        return ""
    return body if note else collapsed_links(body)


def unsendable(ctx: Context, reply: ParsedReply, body: str) -> list[str]:
    """The attachments an answer to the customer cannot carry (too big, a bare BMP, a
    disguised file), each named and why (stafffiles.refusal): sent without them, "see
    the file" would come without the file."""
    if (sizes := oversize.sizes_of(ctx.msg.header(oversize.FIELD))) is not None:
        return [oversize.staff_error(sizes)]  # the stand-in's note is no answer
    if not body or reply.note or any(c.name == "spam" for c in reply.commands):
        return []
    rules = ctx.policy.attachments
    return [refusal(d, rules) for d, _ in answer_files(ctx) if not d.accepted]


def unsent(
    ctx: Context,
    ticket: Ticket,
    messages: list[MessageRecord],
    typed: str,
    notices: list[str],
    direct: list[str] | None = None,
) -> tuple[list[Outgoing], list[Said]]:
    """For a reply that sends the customer none of its text (``typed``: the reply
    without its command lines): when the staff member evidently wrote some (lines no
    mail of the thread holds) or attached files (a signature's logo aside), the mail
    that tells them, and the note keeps the reply as it came. Nothing written: none.
    ``direct``: the customers who got her mail from her mail system (direct.named):
    the mail says so, and that it is not the ticket's answer. With the mail, the line
    that says it did not go."""
    # the reply's own text (a signature alone, see answer) is not what stands inside
    texts = thread_texts(messages)
    lines = typed_lines(typed, [*texts, for_customer(typed, texts)])
    files = [a.filename or "(без имени)" for a in ctx.msg.attachments if not is_logo(a)]
    if not lines and not files:
        return [], []
    record, tid, why = ctx.record, ticket["tid"], "in_quote" if lines else "files_only"
    record.update({"text": ctx.msg.text.strip(), "unsent": why})
    line = said.warning(
        LOG,
        "%s [TID#%s] staff reply not sent to the customer: %s",
        logged_id(ctx.msg.message_id),
        tid,
        "its text stands inside the quoted mail" if lines else "files without text",
    )
    c = {
        **ctx.common,
        "tid": tid,
        "subject": shown_subject(ticket["subject"]),
        "reason": UNSENT[why],
        "typed": lines,
        "files": files[: limits.MAX_LISTED_FILES],
        "files_more": max(0, len(files) - limits.MAX_LISTED_FILES),
        "commands": record.get("commands") or [],
        "notices": bool(notices),
        "no_customer": False,
        "direct": direct or [],
    }
    key = ctx.key("staff_unsent")
    mail = Outgoing(key, "notice", "staff_unsent.txt", [ctx.msg.from_addr], c, record=True)
    return [mail], [line]


def no_customer(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord], body: str
) -> tuple[list[Outgoing], list[Said]]:
    """A staff answer (``body``) to a ticket with no customer to send it to: maild never
    mails the support address (it would come straight back in), staff answers go to
    customers only, and a ticket whose sender could not be read has no one. The reply
    is kept as a note and the staff member is told why, with the way out: #cc the
    customer, or #close. With the line that says so."""
    requester = ticket.get("requester") or ""
    opener = _opener(requester, ctx.policy.staff)
    who = NO_CUSTOMER[opener].format(requester=requester)
    return _told(ctx, ticket, messages, body, "no_customer", who)


def _opener(requester: str, staff: tuple[str, ...]) -> str:
    """Why a ticket has no customer (NO_CUSTOMER's key), by who it names as opener."""
    if requester == PLACEHOLDER:
        return "forgotten"
    if requester in staff:
        return "staff"
    return "support" if requester else "unknown"


def _told(
    ctx: Context,
    ticket: Ticket,
    messages: list[MessageRecord],
    body: str,
    why: str,
    who: str,
) -> tuple[list[Outgoing], list[Said]]:
    """The note and the staff_unsent mail of an answer that has nobody to go to."""
    record, tid = ctx.record, ticket["tid"]
    record.update({"kind": "note", "text": body, "unsent": why})
    line = said.warning(
        LOG,
        "%s [TID#%s] staff reply not sent: the ticket has no customer (%s)",
        logged_id(ctx.msg.message_id),
        tid,
        ticket.get("requester") or "no sender",
    )
    files = [a.filename or "(без имени)" for a in ctx.msg.attachments if not is_logo(a)]
    c = {
        **ctx.common,
        "tid": tid,
        "subject": shown_subject(ticket["subject"]),
        "reason": UNSENT[why].format(who=who),
        "typed": typed_lines(body, thread_texts(messages)),
        "files": files[: limits.MAX_LISTED_FILES],
        "files_more": max(0, len(files) - limits.MAX_LISTED_FILES),
        "commands": record.get("commands") or [],
        "notices": False,
        "no_customer": True,
        "direct": [],
    }
    key = ctx.key("staff_unsent")
    mail = Outgoing(key, "notice", "staff_unsent.txt", [ctx.msg.from_addr], c, record=True)
    return [mail], [line]


def thread_texts(messages: list[MessageRecord]) -> list[str]:
    """The texts of a ticket's mails, as typed_lines knows them, and the commands they
    ran («#take», «#level vip», as records keep them): her reply on her own sent answer
    quotes its command lines, which no text keeps (the commands are taken out), and
    «> #level VIP» held the new answer back as a line typed inside the quote."""
    ran = [c for m in messages for c in m.get("commands") or ()]
    return [m.get("text") or "" for m in messages] + (["\n".join(ran)] if ran else [])
