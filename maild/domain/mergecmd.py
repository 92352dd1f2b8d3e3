"""#merge in a staff reply: the ticket it names, and what may stand beside it.

The ticket named. A #merge of a ticket merged before goes where that one went
(merge.final_target), and a merge is never undone: «#merge 2222-2222», 2222-2222
merged into 1111-1111 meanwhile, merged this ticket into 1111-1111 without a word, and
its customer was told of 1111-1111, which the staff member never named. It stops the
reply, and the staff member is told where 2222-2222 went and how to merge into it. A
reply to a ticket merged away comes to the ticket it was merged into: «#merge
1111-1111» on 2222-2222 merged into 1111-1111 was told «нельзя объединить обращение с
самим собой»; it is told that 2222-2222 is merged into 1111-1111 already. And
«#merge 3333-3333» written to 2222-2222, merged into 1111-1111, merged all of
1111-1111 (its own customer's mail too) into 3333-3333 without a word, while the staff
member meant 2222-2222: it stops the reply, and the staff member is told that
2222-2222 is in 1111-1111 and how to move 1111-1111, a reply on its own mail.

Beside it. The merged ticket is closed and its conversation goes on in the target:
«#close» beside #merge was dropped without a word (and no rating request went),
«#level vip» gave the merged-away ticket VIP and told its customer so, a deadline
nobody would keep. What changes a ticket (its state, level, mark, assignee, #spam)
belongs to the ticket that goes on, so such a command beside #merge stops the reply,
and the staff member is told to send it on the target. What goes with the merge stands
beside it: the answer (#answer, #note), who gets it and moves with the ticket (#cc,
#uncc, #human), and #charset.

The merge done (`merged`). Its answers go to the customers of both tickets, each one's
copy addressed to them all, and each reads the other's mail on the site. When the two
tickets' customers differ (another company's, a colleague who never wrote in this
one), the staff member who merged them is told so at once, naming them («Внимание:
объединены обращения разных клиентов», templates/staff_merged.txt): nothing else says
so before the next answer reaches them all, and a merge is never undone.

Pure: the commands and the tickets in, the errors (Russian) and mail out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from maild.domain import merge as mg
from maild.domain import said
from maild.domain.addresses import comparable_address
from maild.domain.commands import Command, ParsedReply, written
from maild.domain.decision import Context, Outgoing, writer_notice
from maild.domain.records import MessageRecord, Ticket
from maild.domain.said import Said
from maild.domain.snapshot import Loaded
from maild.domain.ticket import customers as customers_of

__all__ = ["BESIDE", "beside_errors", "merge_targets", "merged", "target_error"]

LOG = "maild.staffmail"

# What may stand beside #merge: what goes with the merge, not what changes a ticket.
BESIDE = frozenset({"merge", "answer", "note", "cc", "uncc", "human", "charset"})


def merge_targets(reply: ParsedReply) -> list[str]:
    """The tickets a reply's #merge lines name (the gatherer loads where each ends)."""
    return [c.arg for c in reply.commands if c.name == "merge" and c.arg]


def target_error(loaded: Loaded | None, ticket: Ticket, arg: str, via: str | None) -> str | None:
    """The error of «#merge ``arg``» in a reply to ``ticket`` (``loaded``: where ``arg``
    ends, merge.final_target; ``via``: the ticket merged into ``ticket`` the reply was
    written to, Snapshot.merged_source), or None: it merges into ``arg``."""
    if loaded is None:
        return f"#merge: обращения {arg} нет"
    into, tid = loaded[0]["tid"], ticket["tid"]
    if into == tid and arg != tid:  # merged here before
        return f"#merge: обращение {arg} уже объединено с этим обращением"
    if into == tid and via:
        return (
            f"#merge: обращение {via} уже объединено с обращением {tid}: письма по {via}\n"
            f"    приходят в {tid}, объединять их больше не нужно."
        )
    if into == tid:
        return "#merge: нельзя объединить обращение с самим собой"
    if via:  # the reply answered mail of ``via``, merged into this ticket since
        return (
            f"#merge {arg} не выполнена: обращение {via}, на письмо по которому вы ответили,\n"
            f"    уже объединено с обращением {tid}, и ответ относится к обращению {tid}:\n"
            f"    #merge {arg} перенесла бы в {into} всё обращение {tid}. Если его и нужно\n"
            f"    перенести, ответьте на письмо по обращению {tid} (с меткой [TID#{tid}]\n"
            f"    в теме) строкой #merge {into}."
        )
    if into != arg:
        return (
            f"#merge: обращение {arg} уже объединено с обращением {into}, переписка идёт там.\n"
            f"    Чтобы объединить это обращение с ним, напишите #merge {into}."
        )
    return None


def beside_errors(runs: Iterable[Command]) -> list[str]:
    """The error of the commands beside a #merge that change a ticket; [] when none
    does. ``runs``: the reply's commands that run (conflicts.without_conflicts: of two
    different #merge, neither, nor of two contradicting commands beside it)."""
    runs = tuple(runs)
    into = next((c.arg for c in runs if c.name == "merge" and c.arg), None)
    others = list(dict.fromkeys(written(c) for c in runs if c.name not in BESIDE))
    if into is None or not others:
        return []
    one = len(others) == 1
    return [
        f"{', '.join(others)} не {'выполнена' if one else 'выполнены'}: в письме с #merge {into}"
        " выполняются только\n"
        "    ответ клиенту, #answer, #note, #cc, #uncc, #human и #charset. После объединения\n"
        f"    переписка продолжается в обращении {into}: отправьте "
        f"{'эту команду' if one else 'эти команды'}\n"
        f"    отдельным письмом по нему (с меткой [TID#{into}] в теме)."
    ]


def merged(
    ctx: Context,
    into: Loaded | None,
    ticket: Ticket,
    messages: list[MessageRecord],
    customers: list[str],
) -> tuple[Ticket, tuple[Ticket, list[MessageRecord]] | None, list[Outgoing], Said | None]:
    """Apply the #merge of the reply ``ctx.record`` to ``ticket`` (``messages``: its
    thread before the reply; ``customers``: its customers after the reply's #cc/#uncc)
    into ``into``: (the closed source ticket, the target to save beside it, the
    warning to the staff member when the customers differ, the line that says it was
    merged). Nothing without a #merge."""
    if into is None:
        return ticket, None, [], None
    at, last = ctx.received_at, ctx.msg.message_id  # the staff reply that merged
    source, target, target_messages = mg.merge(ticket, [*messages, ctx.record], *into, at)
    line = said.info(LOG, "%s [TID#%s] merged into [TID#%s]", last, ticket["tid"], target["tid"])
    return source, (target, target_messages), _told(ctx, ticket, customers, into[0]), line


def _told(ctx: Context, ticket: Ticket, customers: list[str], target: Ticket) -> list[Outgoing]:
    """The mail telling the staff member that the merged tickets' customers differ,
    naming those of each (under the target's tag, where a reply goes on; kept in the
    thread of both); none when
    they are the same people (in any spelling), or either ticket has none."""
    theirs = customers_of(target, ctx.policy.internal, ctx.policy.support_address)
    same = {comparable_address(a) for a in customers} == {comparable_address(a) for a in theirs}
    if same or not customers or not theirs:
        return []
    context = {
        "merged_into": target["tid"],
        "source_customers": customers,
        "target_customers": theirs,
    }
    mail = writer_notice(ctx, ticket["tid"], ticket, "staff_merged", context)
    # in the thread of both: `maild ticket show` of either lists it
    return [replace(mail, subject_tid=target["tid"], in_target=True)]
