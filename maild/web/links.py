"""The personal site link in customer mail: `base_url/t/<token>`.

Only a customer's copy of a ticket's mail gets one (never staff or the head),
bound to that customer alone: each recipient gets a copy of their own
(outgoing.send), so a Cc participant's link opens the site as the participant, never
as the requester. Renewed with every mail. The thread
kept in the store gets the mail's text with the link masked: `ticket show --json`
and the site itself never show a working token.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Any

from maild.domain import ticket as tk
from maild.domain.merge import final_target
from maild.domain.ownside import is_internal
from maild.domain.records import Ticket
from maild.web.tokens import ticket_token

MASK = "(персональная ссылка)"


def site_link(app: Any, tid: str | None, address: str, now: datetime) -> str | None:
    """The link in the copy to `address` of a mail about `tid`, bound to `address`;
    None without a site or a ticket, and for support's own side
    (domain.ownside.is_internal)."""
    web = app.config.web
    if web is None or not tid or not address or app.web_secret is None:
        return None
    support = app.config.support
    if is_internal(address, support.address, support.internal):
        return None
    token = ticket_token(app.web_secret, tid, address, now, web.link_days)
    return f"{web.base_url}/t/{token}"


def footer(link: str) -> str:
    """The lines added under a staff reply relayed to the customer."""
    return f"Вся переписка по обращению — на сайте поддержки:\n{link}\n"


def relayed_lines(web: Any) -> str:
    """The lines under a staff answer as the customer got it, as the thread keeps them:
    the link masked, as a customer's quote of it is (without_tokens); "" without a site
    (``web``: the [web] config or None). A customer's quote of them is not their text
    (domain.owntext)."""
    return footer(f"{web.base_url}/t/{MASK}") if web is not None else ""


def masked(text: str, link: str | None) -> str:
    """The text as kept in the thread: the token replaced by MASK."""
    if not link:
        return text
    return text.replace(link, link.rsplit("/", 1)[0] + "/" + MASK)


def without_tokens(app: Any, msg: Any) -> Any:
    """The message with every site token in its text masked: a customer who replies
    by mail quotes our mail, link and all, and that text is kept in the store and
    goes to staff."""
    web = app.config.web
    if web is None or f"{web.base_url}/" not in msg.text:
        return msg
    pattern = re.escape(web.base_url) + r"/([tc])/[A-Za-z0-9_.-]+"
    text = re.sub(pattern, lambda m: f"{web.base_url}/{m.group(1)}/{MASK}", msg.text)
    return dataclasses.replace(msg, text=text)


def link_holders(app: Any, ticket: Ticket) -> list[str]:
    """The addresses whose links open `ticket`'s page: its customers; of a ticket
    merged into another, only those who are still customers of the one it ends in.
    The merged ticket's people were frozen at the merge, while the conversation (and
    #uncc) goes on in the other: one removed there loses the old page too. Reads the
    store: call it off the event loop."""
    support = app.config.support
    people = tk.customers(ticket, support.internal, support.address)
    if not ticket.get("merged_into"):
        return people
    final = landing(app, ticket)
    loaded = app.store.load(final) if final != ticket["tid"] else None
    now = set(tk.customers(loaded[0], support.internal, support.address)) if loaded else set()
    return [p for p in people if p in now]


def landing(app: Any, ticket: Ticket) -> str:
    """The ticket whose page `ticket`'s people are sent on to: the one a chain of
    #merge ends at (where mail and posts about `ticket` land, snapshot._merged_into),
    or `ticket` itself. Reads the store: call it off the event loop."""
    if not ticket.get("merged_into"):
        return ticket["tid"]
    return final_target(ticket["tid"], app.store.merged_into)
