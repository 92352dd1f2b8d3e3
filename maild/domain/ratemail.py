"""A customer's mail to a closed ticket that rates its closing («5», «Оценка: 4»), opens
with a rating and says more («Оценка: 4. Но вот ещё вопрос»), or only thanks («Спасибо,
всё работает!»): ratingtext.py reads the text, this records what it means for the
ticket (customer.decide_followup asks).

Pure: the ticket and its thread in, the decision out.
"""

from __future__ import annotations

from maild.domain import said, statusmail
from maild.domain import ticket as tk
from maild.domain.addresses import comparable_address
from maild.domain.closingrating import closing_rated_by, rating_of_closing
from maild.domain.decision import Context, Decision, saying
from maild.domain.knownfiles import posted_on_site
from maild.domain.logid import logged_id
from maild.domain.quotes import trim_reply
from maild.domain.ratingtext import only_thanks, rating_beside, rating_of
from maild.domain.records import MessageRecord, Ticket
from maild.domain.said import Said
from maild.domain.sla import unattended
from maild.domain.trust import proven

__all__ = ["rated_beside", "rating_decision", "thanks_only"]

LOG = "maild.pipeline"


def rating_decision(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> Decision | None:
    """A rating of a closed ticket: recorded with one thank-you; a closing rated already
    (by mail or on the site) is rated once, so the first stands: the mail stays in the
    thread and the customer is told so; unless the first came in mail that proved nothing
    of its From and this one proves it (`_replaces`). None when the mail is no rating."""
    msg = ctx.msg
    closed = ticket["status"] == "closed"
    site = posted_on_site(msg)  # its reply form's text is no rating: a follow-up
    rating = rating_of(trim_reply(msg.text), _names(msg.from_name), site=site) if closed else None
    if rating is None:
        return None
    appended = [*messages, ctx.record]
    if not _rates_here(ctx, ticket, messages):  # text in the thread: no thanks, no reopening
        line = said.info(
            LOG,
            "%s [TID#%s] rating %d of a merged ticket's closing: kept as text",
            logged_id(msg.message_id),
            ticket["tid"],
            rating,
        )
        return Decision("appended", ticket["tid"], ticket, appended, ctx.record, [], said=(line,))
    # this closing's own rating: not one #merge moved in with another ticket's thread
    given = rating_of_closing(ticket, messages)
    if given is not None and not _replaces(ctx, ticket):
        line = said.info(
            LOG, "%s [TID#%s] rated already: %d", logged_id(msg.message_id), ticket["tid"], given
        )
        rated_by = closing_rated_by(ticket, messages)
        by = rated_by.get("from") if rated_by else None
        told = [statusmail.rated_already(ctx, ticket, given, by)] if ctx.scr.may_answer else []
        return Decision("appended", ticket["tid"], ticket, appended, ctx.record, told, said=(line,))
    ticket, line = _rated(ctx, ticket, rating)
    thanks = [statusmail.thanks(ctx, ticket, rating)] if ctx.scr.may_answer else []
    decision = Decision("appended", ticket["tid"], ticket, appended, ctx.record, thanks)
    return saying(decision, line)


def _rated(ctx: Context, ticket: Ticket, rating: int) -> tuple[Ticket, Said]:
    """``ticket`` with its closing rated ``rating`` (the mail's record keeps it too),
    the closing kept with the rating: one rating per closing (closingrating.py);
    and the line that says so."""
    ctx.record["rating"] = rating
    line = said.info(
        LOG, "%s [TID#%s] rated %d", logged_id(ctx.msg.message_id), ticket["tid"], rating
    )
    t: Ticket = {**ticket, "rating": rating, "rated_closing": ticket.get("closed_at") or ""}
    t.pop("rated_unproven", None)
    if not _proven(ctx):
        t["rated_unproven"] = True
    return t, line


def _proven(ctx: Context) -> bool:
    """The mail proves its From (trust.proven; the site's post: its signed link or
    reply address)."""
    return proven(ctx.snapshot, ctx.msg, ctx.policy)


def _replaces(ctx: Context, ticket: Ticket) -> bool:
    """Whether this mail's rating replaces the closing's rating given already: that
    came in mail proving nothing of its From (`rated_unproven`: anyone who knows a TID
    and the customer's address may send it), and this mail proves its From. Not the
    other way: the customer's proven rating stands, a forger's «1» after it too is
    refused."""
    return bool(ticket.get("rated_unproven")) and _proven(ctx)


def rated_beside(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord]
) -> tuple[Ticket, Said | None]:
    """A rating that opens a mail saying more («Оценка: 4. Но вот ещё вопрос: …»:
    ratingtext.rating_beside) is recorded as a rating alone is (`_rated`), and the mail
    goes on as news: it reopens the ticket, staff are told, its acknowledgement thanks
    for the rating. A closing rated already keeps its rating; one of a merged ticket
    (`_rates_here`) is not this one's to rate: the mail is news only then. With the
    ticket, the line that says it was rated (None: it was not)."""
    msg = ctx.msg
    if ticket["status"] != "closed" or unattended(ctx.scr):
        return ticket, None
    rating = rating_beside(trim_reply(msg.text), _names(msg.from_name), site=posted_on_site(msg))
    if rating is None or not _rates_here(ctx, ticket, messages):
        return ticket, None
    if rating_of_closing(ticket, messages) is not None and not _replaces(ctx, ticket):
        return ticket, None
    return _rated(ctx, ticket, rating)


def thanks_only(ctx: Context, ticket: Ticket) -> bool:
    """A person's reply to a closed ticket whose own text only thanks («Спасибо, всё
    работает!»: ratingtext.only_thanks) and that brings no file: it asks staff for
    nothing, so it reopens nothing, starts no deadline and pages no one, and a mail
    back would thank for thanks. A file makes it news, as it does a status question
    (the files the ticket holds already are left out of ``ctx.msg``: knownfiles.py)."""
    if ticket["status"] != "closed" or unattended(ctx.scr) or ctx.msg.attachments:
        return False  # (a site form's thanks too: a person's, as it reopens with news)
    return only_thanks(trim_reply(ctx.msg.text), _names(ctx.msg.from_name))


def _names(display_name: str) -> frozenset[str]:
    """The words of the sender's display name, as a signature gives them («Иван»)."""
    return frozenset(w.lower().replace("ё", "е") for w in display_name.split())


def _rates_here(ctx: Context, ticket: Ticket, messages: list[MessageRecord]) -> bool:
    """Whether a rating in this mail may rate this ticket's closing: only its own people
    rate it. A mail that threads to a ticket #merge moved in here (a reply to that
    ticket's closing letter) or from someone the merge brought in (their first mail in
    the thread is a moved one) rated that ticket's closing: taken here, it gave this
    closing a rating its customer never gave, under his subject, and refused his. It
    stays in the thread as text. Their mail in either spelling of a Cyrillic domain is
    theirs (comparable_address: olga@окна.рф's moved mail, her olga@xn--80atjc.xn--p1ai
    rating)."""
    if ctx.snapshot.merged_source:
        return False
    sender = ctx.msg.from_addr
    if tk.is_requester(ticket, sender):
        return True
    mine = comparable_address(sender)
    first = next((m for m in messages if comparable_address(m["from"] or "") == mine), None)
    return first is None or not first.get("merged_from")
