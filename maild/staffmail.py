"""What a staff reply does beyond plain commands: saved answers, #merge, #charset,
and the one mail to the customer that carries the answer and the status change.

Called by pipeline._decide_staff with what it looked up; the rules themselves
live in maild/domain (commands, onemail, merge, recode).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from maild.app import App
from maild.domain import merge as mg
from maild.domain.commands import ParsedReply
from maild.domain.layout import from_russian_layout
from maild.domain.onemail import fold
from maild.domain.recode import redecode
from maild.pipeline import _level_ctx

log = logging.getLogger("maild.staffmail")

MERGED = "merged"  # the customer notice of #merge (templates/merged.txt)


@dataclass
class Extras:
    """What the reply's #answer/#merge/#charset lines came to, checked before anything
    changes: errors stop the whole reply, as a bad command does."""

    body: str = ""
    errors: list[str] = field(default_factory=list)
    merge_into: tuple[dict[str, Any], list[dict[str, Any]]] | None = None
    recharset: tuple[int, str, str] | None = None  # (message index, codec, new text)


def answer_context(app: App, ticket: dict[str, Any]) -> dict[str, Any]:
    """What a saved answer may use: the ticket's TID, level, deadline, customer name."""
    return {
        **_level_ctx(app, ticket),
        "name": ticket.get("requester_name") or "",
        "requester": ticket["requester"],
    }


def find_answer(app: App, name: str) -> str | None:
    """The saved answer's name as typed, or as typed in the Russian layout."""
    names = app.renderer.answer_names()
    for candidate in (name, from_russian_layout(name)):
        if candidate in names:
            return candidate
    return None


def check(
    app: App, reply: ParsedReply, ticket: dict[str, Any], messages: list[dict[str, Any]]
) -> Extras:
    """Fill in saved answers and look up what #merge and #charset need."""
    ex = Extras()
    missing = [c.arg or "" for c in reply.commands if c.name == "answer"]
    missing = [n for n in missing if find_answer(app, n) is None]
    for n in dict.fromkeys(missing):
        known = ", ".join(app.renderer.answer_names()) or "(нет ни одного)"
        ex.errors.append(f"#answer: нет сохранённого ответа «{n}»; есть: {known}")
    if not missing:
        ctx = answer_context(app, ticket)
        ex.body = reply.fill(
            lambda n: app.renderer.answer(find_answer(app, n) or n, ctx).rstrip("\n") + "\n"
        )
    for cmd in reply.commands:
        if cmd.name == "merge" and cmd.arg:
            _check_merge(app, ticket, cmd.arg, ex)
        elif cmd.name == "charset" and cmd.arg:
            _check_charset(app, messages, cmd.arg, ex)
    return ex


def _check_merge(app: App, ticket: dict[str, Any], arg: str, ex: Extras) -> None:
    target = mg.final_target(arg, lambda t: (app.store.load(t) or ({},))[0].get("merged_into"))
    loaded = app.store.load(target)
    if loaded is None:
        ex.errors.append(f"#merge: обращения {arg} нет")
    elif target == ticket["tid"]:
        ex.errors.append("#merge: нельзя объединить обращение с самим собой")
    else:
        ex.merge_into = loaded


def _check_charset(app: App, messages: list[dict[str, Any]], codec: str, ex: Extras) -> None:
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m["direction"] == "in" and m["kind"] == "customer" and m.get("spool_key"):
            try:
                raw = app.spool.read(m["spool_key"])
            except FileNotFoundError:
                break
            ex.recharset = (i, codec, redecode(raw, codec))
            return
    ex.errors.append("#charset: нет письма клиента, исходный текст которого сохранён")


def merge_into(
    app: App,
    ex: Extras,
    ticket: dict[str, Any],
    messages: list[dict[str, Any]],
    at: Any,
) -> tuple[dict[str, Any], tuple[dict[str, Any], list[dict[str, Any]]] | None]:
    """Apply #merge: (the closed source ticket, the target to save beside it)."""
    if ex.merge_into is None:
        return ticket, None
    source, target, target_messages = mg.merge(ticket, messages, *ex.merge_into, at)
    last = messages[-1]["message_id"] if messages else "-"  # the staff reply that merged
    log.info("%s [TID#%s] merged into [TID#%s]", last, ticket["tid"], target["tid"])
    return source, (target, target_messages)


def one_mail(app: App, first: str, names: list[str], context: dict[str, Any]) -> str:
    """``first`` with the notices ``names`` (templates) folded under it."""
    return fold(first, [app.renderer.text(f"{n}.txt", context)[1] for n in names])
