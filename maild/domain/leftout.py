"""What a mail into a ticket carried that maild left out of it, said to staff so that
nothing disappears silently: files the ticket holds already (knownfiles.py), and the
pictures of a staff answer taken as its signature's logo (logos.py, mimeparts.is_logo).

A file is named when its writer put it there: attached, or shown in their own text.
One shown in the quoted mail is the mail client's (Thunderbird and Outlook carry the
quoted mail's pictures in every reply), not named: a line with each reply tells
nothing.

A staff answer's logos are named to the staff member when the answer's text points at
a picture or a file that the answer does not otherwise carry («см. снимок экрана
ниже» with no picture of its own, «во вложении» with no file), or when one is not
the logo their earlier answer in this ticket carried (a signature's logo is the same
picture every time; a screenshot pasted under «С уважением» is a new one). Words of
a topic point at nothing («фото товаров пропали», «версии не ниже 8.1»): the first
answer of a staff member in a ticket that points at nothing has none named (the
logo of every Outlook signature would bring a mail with every first answer). Pure.
"""

from __future__ import annotations

import re
from typing import Any

from maild.domain import limits, logos
from maild.domain.attachments import AttachmentDecision
from maild.domain.decision import Context, Decision, answer_files, tell_writer
from maild.domain.direct import relayed
from maild.domain.mimeparts import RawAttachment
from maild.domain.records import MessageRecord

__all__ = ["names", "new_logo", "pointed_at", "points_past", "told"]

# A picture, by the words that name it: stems, any case.
_NAMED = r"(?:снимо?к|скрин|рисун|картинк|изображени|фото|screen\s?shot|picture|image)"
_PICTURE = re.compile(rf"\b{_NAMED}", re.IGNORECASE)
_BELOW = r"(?<!\bне\s)(?:ниже|below)\b(?!\s*\d)"  # «не ниже 8.1», «ниже 100 КБ»: no place
# Phrases of a text that point at a picture or a file it carries: «см. ниже», «см.
# рисунок», «на скриншоте ниже», «ниже скриншот», «во вложении», «прилагаю»,
# «прикрепила», «attached»; not a topic's words («фото товаров пропали», «версии не
# ниже 8.1»), nor asking for one («прикрепите снимок», «please attach»).
_POINTS_AT = re.compile(
    r"(?<!\d)(?<!\d\s)\b(?:см\.|смотрите|смотри)\s*(?:\w+\s+){0,2}?"
    rf"(?:{_BELOW}|вложени|приложени|{_NAMED})"
    rf"|\b{_NAMED}\w*(?:\s+\S+){{0,2}}?\s+{_BELOW}"
    rf"|\b{_BELOW}\s+(?:\S+\s+)?{_NAMED}"
    r"|\bво\s+вложени|\bв\s+приложении\s+к\s+(?:письму|сообщению)"
    r"|\bприлага(?:ю|ем|ется|ются)\b|\bприлож(?:ил|ила|или|ено|ены|ен|ена)\b"
    r"|\bприкреп(?:ляю|ляем|ил|ила|или|лено|лены|лен|лена|лён)\b|\bвкладыва(?:ю|ем)\b"
    r"|\battach(?:ed|ing)\b|\bsee\s+below\b",
    re.IGNORECASE,
)
# Where a sentence ends (not at «см.»'s dot), or a paragraph.
_SENTENCE_END = re.compile(r"(?<!\bсм)[.!?…]+(?=\s|$)|\n[ \t]*\n", re.IGNORECASE)


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


def pointed_at(text: str) -> set[str]:
    """What ``text`` points at as carried with it: "picture" when the sentence that
    points names one («см. снимок экрана ниже», «скриншот во вложении»), else "file"
    («во вложении», «прилагаю», «см. ниже»); empty when it points at nothing."""
    found: set[str] = set()
    for sentence in _SENTENCE_END.split(text):
        if _POINTS_AT.search(sentence):
            found.add("picture" if _PICTURE.search(sentence) else "file")
    return found


def points_past(text: str, carried: list[AttachmentDecision]) -> bool:
    """``text`` points at a picture or a file that the files it went with
    (``carried``) are not: a picture when none of them is one, a file when there are
    none («Инструкция и прайс во вложении» with the PDF and the table is told)."""
    wanted = pointed_at(text)
    if "picture" in wanted and not any(d.kind == "image" for d in carried):
        return True
    return "file" in wanted and not carried


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
    carried = [d for d, _ in answer_files(ctx) if d.accepted]  # what the customers got
    if shown and not (
        points_past(record.get("text") or "", carried) or new_logo(record, decision.messages)
    ):
        shown = []
    if not held and not shown:
        return decision
    n = limits.MAX_LISTED_FILES
    files = {"held_files": held[:n], "logo_files": shown[:n]}
    return tell_writer(ctx, decision, "staff_files_left", files)
