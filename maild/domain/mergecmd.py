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

Pure: the commands and the tickets in, the errors (Russian) out.
"""

from __future__ import annotations

from collections.abc import Iterable

from maild.domain.commands import Command, written
from maild.domain.records import Ticket
from maild.domain.snapshot import Loaded

__all__ = ["BESIDE", "beside_errors", "target_error"]

# What may stand beside #merge: what goes with the merge, not what changes a ticket.
BESIDE = frozenset({"merge", "answer", "note", "cc", "uncc", "human", "charset"})


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
