"""What a mail into a ticket carried that maild left out of it, said to staff so that
nothing disappears silently: files the ticket holds already (knownfiles.py), and the
pictures of a staff answer taken as its signature's logo (logos.py, mimeparts.is_logo).

A file is named when its writer put it there: attached, or shown in their own text.
One shown in the quoted mail is the mail client's (Thunderbird and Outlook carry the
quoted mail's pictures in every reply), not named: a line with each reply tells
nothing.

A staff answer's logos are named to the staff member when the answer's text speaks of
a picture or a file («см. снимок экрана ниже», «во вложении»), or when one is not
the logo their earlier answer in this ticket carried (a signature's logo is the same
picture every time; a screenshot pasted under «С уважением» is a new one). The first
answer of a staff member in a ticket that says nothing of a picture: none named (the
logo of every Outlook signature would bring a mail with every first answer). Pure.
"""

from __future__ import annotations

import re
from typing import Any

from maild.domain import limits, logos
from maild.domain.decision import Context, Decision, tell_writer
from maild.domain.direct import relayed
from maild.domain.mimeparts import RawAttachment
from maild.domain.records import MessageRecord

__all__ = ["mentions_picture", "names", "new_logo", "told"]

# Words of a text that points at a picture or a file it carries («см. снимок экрана
# ниже», «скриншот во вложении», «см. рисунок», «прикрепляю фото»): stems, any case.
_POINTS_AT = re.compile(
    r"\b(?:ниже|вложени|приложени|прилага|прикреп|снимо?к|скрин|рисун|картинк|изображени"
    r"|фото|screenshot|attach|below)",
    re.IGNORECASE,
)


def names(gone: list[RawAttachment], dropped_logos: list[RawAttachment]) -> dict[str, Any]:
    """What mail about the message says was left out of it: ``held_files``, the files
    the ticket holds already that the writer put in (not those shown in the quoted
    mail), and ``logo_files``, a staff answer's pictures taken as logos."""
    return {
        "held_files": [_name(a) for a in gone if a.place != logos.QUOTE],
        "logo_files": [_name(a) for a in dropped_logos],
    }


def _name(a: RawAttachment) -> str:
    return a.filename or "(без имени)"


def mentions_picture(text: str) -> bool:
    """``text`` speaks of a picture or a file it carries."""
    return _POINTS_AT.search(text) is not None


def new_logo(record: MessageRecord, messages: list[MessageRecord]) -> bool:
    """A logo of the staff answer ``record`` is not one their earlier answer in this
    ticket (``messages``) carried; False for their first answer here."""
    earlier = [
        m
        for m in messages
        if m.get("kind") == "staff" and m.get("from") == record.get("from") and m is not record
    ]
    if not earlier:
        return False
    before = {d for m in earlier for d in m.get("logos") or ()}
    return any(d not in before for d in record.get("logos") or ())


def told(ctx: Context, decision: Decision) -> Decision:
    """``decision`` of a staff reply, with the mail that tells the staff member what
    its answer to the customer went without (staff_files_left.txt); the same when it
    went with all or was not sent (unsent.py tells of that)."""
    record = decision.incoming
    if record is None or record.get("direction") != "out" or record.get("kind") != "staff":
        return decision
    if not relayed(decision):  # each customer got the mail as written (direct.py)
        return decision
    held = ctx.common.get("held_files") or []
    shown = ctx.common.get("logo_files") or []
    if shown and not (
        mentions_picture(record.get("text") or "") or new_logo(record, decision.messages)
    ):
        shown = []
    if not held and not shown:
        return decision
    n = limits.MAX_LISTED_FILES
    files = {"held_files": held[:n], "logo_files": shown[:n]}
    return tell_writer(ctx, decision, "staff_files_left", files)
