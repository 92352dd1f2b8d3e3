"""Staff mail a customer of the ticket got directly: named in its To or Cc.

A staff member answers the notice "reply all", or adds the customer to the copy out of
habit: the customer's mail system delivers them her mail as she wrote it, quote
included (a quoted notice shows the ticket's level, deadline and internal lines), and
support's copy reaches maild. maild does not send them the answer again
(staffreply.decide_staff): it is still the answer (the reaction, the record "out" to
all customers), and what maild adds to it (the notices of its commands) still goes to
them, without the text they have. The staff member is told once per ticket
(`told`, templates/staff_direct.txt): the customer got her mail directly, and a
reply to the notice without the customer in copy keeps internal text internal; of a
#note, that the customer got the note.

A staff address's mail that is not verified (staffmail.decide_unverified) names the
customers that got it too (`named`): its notice says so instead of «клиенту ничего
не отправлено».

Pure: addresses compared as the block list and the caps compare them
(spelling.routed_address: any case, either spelling of a Cyrillic domain).
"""

from __future__ import annotations

from collections.abc import Iterable

from maild.domain.commands import Command
from maild.domain.decision import Context, Decision, Outgoing, writer_notice
from maild.domain.message import ParsedMessage
from maild.domain.records import Ticket
from maild.domain.spelling import routed_address

__all__ = ["named", "relayed", "told", "unchanged"]


def named(msg: ParsedMessage, customers: Iterable[str]) -> list[str]:
    """The ``customers`` (of the ticket: ticket.customers) ``msg`` names in To or Cc,
    in their order: their mail system delivered it to them, not maild."""
    seen = {routed_address(a) for a in (*msg.to, *msg.cc) if a}
    return [c for c in customers if routed_address(c) in seen]


def unchanged(direct: list[str], commands: Iterable[Command]) -> list[str]:
    """Of the customers who got a staff reply directly (``direct``), those who have it as
    maild would send it: all, unless it has #answer (what they got holds its command
    line, maild's answer the saved answer: that goes to them too)."""
    return [] if any(c.name == "answer" for c in commands) else direct


def relayed(decision: Decision) -> bool:
    """Whether the decision's answer goes from maild to a customer: not when each got it
    directly. What it went without (lines typed in the quote: inquote.told; files:
    leftout.told) is then no one's to tell: they got the mail as it was written."""
    return any(o.kind == "staff" for o in decision.outgoing)


def told(
    ctx: Context,
    ticket: Ticket,
    direct: list[str],
    *,
    note: bool,
    notices: bool,
    resent: bool = False,
) -> tuple[Ticket, list[Outgoing]]:
    """``ticket`` marked, and the mail telling the staff member that ``direct`` got her
    mail directly (``note``: it is a #note; ``notices``: the customers get the notices
    of its commands from maild; ``resent``: maild's answer went to them too, a saved
    answer in it where theirs has the #answer line): once per ticket and member for an
    answer or commands, once for a note; nothing when no customer got it, or she was
    told before, or the mail sent her none of it (the record's "unsent": the
    mail that tells her so names them: one mail, not two). Whether it is the answer,
    the record says (direction "out")."""
    sender = ctx.msg.from_addr
    mark = f"{'direct_note' if note else 'direct'}:{sender}"
    sent = dict(ticket.get("sent") or {})
    if not direct or sent.get(mark) or ctx.record.get("unsent"):
        return ticket, []
    sent[mark] = ctx.received_at.isoformat()
    answered = ctx.record.get("direction") == "out"
    facts = {"note": note, "answered": answered, "notices": notices, "resent": resent}
    context = {"direct": direct, **facts}
    out = writer_notice(ctx, ticket["tid"], ticket, "staff_direct", context, kind="direct")
    return {**ticket, "sent": sent}, [out]
