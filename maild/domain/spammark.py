"""#spam: a staff reply that marks its ticket spam (decide_spam: a note, the ticket
marked for guard.mark_spam to move to the quarantine, the staff member told what was
blocked), when it may not (spam_errors: the ticket is not the spammer's alone), and
mail of a ticket so marked (decide_held: kept in the quarantine, never a ticket of
its own).

Pure: the facts come from the Snapshot (Snapshot.spammed, merged_source) and the Policy.
"""

from __future__ import annotations

from collections.abc import Iterable

from maild.domain.addresses import comparable_address
from maild.domain.commands import Command
from maild.domain.decision import Context, Decision, Outgoing
from maild.domain.forget import PLACEHOLDER
from maild.domain.ownside import People, is_internal
from maild.domain.records import MessageRecord, Ticket
from maild.domain.spam import BlockList, domain_blockable
from maild.domain.tid import shown_subject

# what the staff member is told when a #spam would reach beyond the spammer
_BLOCK = (
    "Чтобы заблокировать только отправителя спама, попросите администратора "
    "выполнить «maild block add АДРЕС» (или «maild block add ДОМЕН»): его письма "
    "будут попадать в карантин, а само обращение и письма остальных клиентов останутся"
)


def blocked_entry(requester: str, domain: bool) -> str:
    """The block-list entry «#spam» (``domain``: «#spam домен») adds for a ticket of
    ``requester``: the address, or its domain, which a free-mail service never is
    (domain_blockable: the whole of it is everybody's)."""
    if domain and domain_blockable(requester):
        return requester.rpartition("@")[2]
    return requester


def decide_spam(
    ctx: Context,
    ticket: Ticket,
    messages: list[MessageRecord],
    commands: tuple[Command, ...],
    body: str,
) -> Decision:
    """#spam in a staff reply (spam_errors found nothing against it): the reply is a
    note, the ticket is marked for effects (guard.mark_spam) to move to the quarantine
    and its entry to block; nothing is sent to anyone but the staff member, who is told
    whose ticket went and what was blocked, so that a mistake is seen at once."""
    spam = next(c for c in commands if c.name == "spam")
    requester = ticket["requester"]
    text = body or "#spam"
    entry = blocked_entry(requester, spam.arg == "domain")
    blocked_domain = "@" not in entry
    # «#spam домен» of a free-mail service: the sender alone (blocked_entry)
    free_mail = requester.rpartition("@")[2] if spam.arg == "domain" and not blocked_domain else ""
    if free_mail:
        text += f"\n(домен {free_mail} — бесплатная почта, заблокирован только адрес отправителя)"
    ctx.record.update({"kind": "note", "text": text})
    ticket = {**ticket, "spam": {"by": ctx.msg.from_addr, "entry": entry}}
    context = {
        **ctx.common,
        "tid": ticket["tid"],
        "subject": shown_subject(ticket["subject"]),
        "requester": requester,
        "blocked": entry,
        "blocked_domain": blocked_domain,
        "free_mail": free_mail,
        "spam_kept": sum(1 for m in messages if kept(m)),
    }
    done = Outgoing(
        ctx.key("spam_done"), "notice", "staff_spam_done.txt", [ctx.msg.from_addr], context, False
    )
    return Decision("spam", ticket["tid"], ticket, [*messages, ctx.record], ctx.record, [done])


def kept(m: MessageRecord) -> bool:
    """A message #spam moves to the quarantine (guard.quarantine_ticket): mail that came."""
    return m.get("direction") == "in" and m.get("kind") in ("customer", "notice")


def errors_of(
    ctx: Context, ticket: Ticket, messages: list[MessageRecord], runs: Iterable[Command]
) -> list[str]:
    """spam_errors of a staff reply (staffreply._stopped: an error stops the reply)."""
    policy, via = ctx.policy, ctx.snapshot.merged_source
    return spam_errors(ticket, messages, runs, policy.internal, policy.support_address, via)


def spam_errors(
    ticket: Ticket,
    messages: list[MessageRecord],
    runs: Iterable[Command],
    own: Iterable[str],
    support: str,
    via: str | None = None,
) -> list[str]:
    """Why a #spam of this reply may not run: it would quarantine the whole ticket and
    block its requester, so it runs only on a ticket that is the spammer's alone.
    ``via``: the ticket the reply answered when #merge sent it on to this one
    (Snapshot.merged_source): staff meant that ticket's sender, and this ticket is
    another's. Any customer besides those the #spam blocks (a participant, a customer
    of a ticket merged into it, anyone whose mail is in it) would lose their mail to
    the quarantine and have their later mail kept there without a word: the error
    names them; one who only gets the ticket's mail can be taken off (#uncc) first,
    one whose mail is in the ticket cannot, and the spammer is blocked by the admin's
    `maild block add` instead. ``runs``: the reply's commands that run; a #spam that
    does not (with «#spam домен» in the same reply: neither does,
    conflicts.without_conflicts) has none: the conflict is what the staff member is
    told, and the reply's answer goes."""
    spam = next((c for c in runs if c.name == "spam"), None)
    if spam is None:
        return []
    tid, requester = ticket["tid"], ticket["requester"]
    blocks = BlockList([blocked_entry(requester, spam.arg == "domain")])
    wrote = _writers(messages, own, support)
    listed = _others(ticket, wrote, own, support)
    others = {a: how for a, how in listed.items() if blocks.match(a) is None}
    if via is not None and via.lower() != tid.lower():
        return [_merged_error(via, tid, requester, blocks_what(blocks, requester), others)]
    if not others:
        return []
    text = (
        f"#spam: кроме клиента {requester}, в обращении есть и другие клиенты: "
        f"{_named(others)}. #spam поместил бы в карантин обращение со всеми их письмами, "
        "и их новые письма по нему тоже попадали бы в карантин, без уведомления."
    )
    if any(a not in wrote for a in others):
        text += (
            " Участника, которого обращение не касается и чьих писем в нём нет, "
            "сначала уберите командой «#uncc АДРЕС», затем отправьте #spam."
        )
    return [f"{text} {_BLOCK}."]


def _merged_error(via: str, tid: str, requester: str, blocked: str, others: dict[str, str]) -> str:
    """The reply answered mail of ticket ``via``, merged into ``tid`` since."""
    text = (
        f"#spam: обращение {via} объединено с обращением {tid} клиента {requester}, "
        f"и ваш ответ относится к обращению {tid}: #spam поместил бы в карантин всю его "
        f"переписку и заблокировал бы {blocked}, а не отправителя обращения {via}."
    )
    if not others:
        return f"{text} Если спам — всё обращение {tid}, ответьте на это письмо командой #spam."
    return (
        f"{text} Кроме {requester}, в обращении {tid} есть: {_named(others)}. {_BLOCK}; "
        f"приславшего спам уберите из обращения {tid} командой «#uncc АДРЕС»."
    )


def _named(others: dict[str, str]) -> str:
    return "; ".join(f"{a} ({how})" for a, how in others.items())


def blocks_what(blocks: BlockList, requester: str) -> str:
    """«ivan@shop.ru» or «весь домен shop.ru»: what the entry for ``requester`` blocks."""
    entry = blocks.match(requester) or requester
    return entry if "@" in entry else f"весь домен {entry}"


def _writers(messages: list[MessageRecord], own: Iterable[str], support: str) -> dict[str, str]:
    """The customers whose mail is in the ticket, each with the ticket it came in (a
    TID #merge brought it from, else "")."""
    ours = People(own)
    found: dict[str, str] = {}
    for m in messages:
        sender = m.get("from") or ""
        if m.get("direction") != "in" or m.get("kind") != "customer" or not sender:
            continue
        if is_internal(sender, support, ours):
            continue
        if sender != PLACEHOLDER:
            found.setdefault(sender, m.get("merged_from") or "")
    return found


def _others(
    ticket: Ticket, wrote: dict[str, str], own: Iterable[str], support: str
) -> dict[str, str]:
    """Everyone of the ticket's customer side but its requester, with how they are on
    it: participants (who get its mail) and those whose mail is in it."""
    ours = People(own)
    requester = comparable_address(ticket["requester"])
    # one person under either spelling of their domain (a participant boss@окна.рф who
    # wrote as boss@xn--80atjc.xn--p1ai) once: by what they wrote, if they did
    came = {comparable_address(a): tid for a, tid in wrote.items()}
    people = {*wrote, *(ticket.get("participants") or ())} - {"", PLACEHOLDER}
    out: dict[str, str] = {}
    seen: set[str] = set()
    for a in sorted(people, key=lambda a: (a not in wrote, a)):
        key = comparable_address(a)
        if key in seen or key == requester or is_internal(a, support, ours):
            continue
        seen.add(key)
        if key not in came:
            out[a] = "участник обращения, получает его письма"
        elif came[key]:
            out[a] = f"клиент объединённого с ним обращения {came[key]}, его письма — здесь"
        else:
            out[a] = "его письма есть в обращении"
    return out


def decide_held(ctx: Context, claims_staff: bool) -> Decision:
    """Mail of a ticket staff marked #spam (Snapshot.spammed): kept in the quarantine
    with the ticket's mail, never a ticket of its own (a staff reply would open one
    under the spammer's TID, with the staff member as its customer), nothing to
    anyone but a verified staff member, who is told that the ticket is spam, by whom
    and when, and how the admin brings it back with the reply (staff_spammed.txt)."""
    snap, msg = ctx.snapshot, ctx.msg
    mark, tid = snap.spammed, snap.tid
    assert mark is not None
    outgoing = []  # (the pipeline logs where it is kept)
    if claims_staff and snap.staff_verified:
        context = {
            **ctx.common,
            "tid": tid,
            "subject": mark.subject or ctx.common["subject"],
            "marked_by": mark.by,
            "marked_at": ctx.policy.fmt_time(mark.at) if mark.at else "",
            "blocked": mark.blocked,
            "entries": mark.entries,
        }
        outgoing.append(
            Outgoing(
                ctx.key("spammed"), "notice", "staff_spammed.txt", [msg.from_addr], context, False
            )
        )
    return Decision("held", tid, None, [], ctx.record, outgoing)
