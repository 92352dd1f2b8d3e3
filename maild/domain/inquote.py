"""Lines a staff member typed inside the quoted mail of an answer that went to the
customer, said to them (staff_quote_left.txt) so that nothing they typed disappears
silently. The customer gets the answer above the quote: under Outlook's
«От:/Отправлено:» block (or «... пишет:» over a quote) stands the notice with its
internal lines, and staffquote.for_customer sends none of it. unsent.answer holds the
whole answer back only when a line there is no run of the thread's words (the looser
rule, so as not to hold back good answers); a short «Да» under a question is a run of
the question's own words, so the answer above goes and the line is named here, by the
strict rule (typedlines.Thread.quotes: a whole line of the thread, or a run that goes on
from the line above it). Pure."""

from __future__ import annotations

from maild.domain import limits
from maild.domain.decision import Context, Decision, tell_writer
from maild.domain.direct import relayed
from maild.domain.quotes import trim_reply
from maild.domain.staffquote import without_our_forward
from maild.domain.typedlines import typed_lines
from maild.domain.unsent import thread_texts

__all__ = ["left_in_quote", "told"]


def left_in_quote(text: str, known: list[str]) -> list[str]:
    """The lines of a staff reply's ``text`` typed in its quoted history (below the
    quote header: what trim_reply leaves out) that no mail of ``known`` holds (the
    thread, the answer sent among them); quote headers aside."""
    own = trim_reply(text, fallback=False)
    return typed_lines(text[len(own) :], known, limit=limits.MAX_LISTED_FILES, strict=True)


def told(ctx: Context, decision: Decision) -> Decision:
    """``decision`` of a staff reply, with the mail that names to the staff member the
    lines they typed inside the quote that its answer to the customer went without;
    the same when there are none, or no answer went (unsent.py tells of that)."""
    record = decision.incoming
    if record is None or record.get("direction") != "out" or record.get("kind") != "staff":
        return decision
    if not relayed(decision):  # each customer got the mail as written (direct.py)
        return decision
    text = without_our_forward(ctx.msg.text, ctx.policy.support_address)
    lines = left_in_quote(text, thread_texts(decision.messages))
    if not lines:
        return decision
    return tell_writer(ctx, decision, "staff_quote_left", {"typed": lines})
