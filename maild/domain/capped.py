"""The word to a staff member that the customer notice their command caused (#level,
#consulting, #development, #take, #merge) did not go: the cap on automatic mail
(domain.caps) holds for every automatic mail, and the one who gave the command is
not to believe the customer was told (templates/staff_capped.txt)."""

from __future__ import annotations

from typing import Any

from maild.domain.decision import Context, Outgoing
from maild.domain.mailnames import NAMES


def if_capped(ctx: Context, notices: list[str], to: list[str], c: dict[str, Any]) -> Outgoing:
    """The mail to the staff member who wrote ``ctx.msg`` that the notices (names as
    staffreply's: "level_changed", ...) to the customers ``to`` did not go; outgoing.send
    sends it when the cap stops them, with the cap's own words as ``why``; ``c``: the
    notices' context (tid, subject, level)."""
    context = {
        **c,
        "unsent_notices": [NAMES.get(f"{n}.txt", n) for n in notices],
        "unsent_to": list(to),
        "why": "",
    }
    key = ctx.key("capped")
    return Outgoing(key, "notice", "staff_capped.txt", [ctx.msg.from_addr], context, record=True)
