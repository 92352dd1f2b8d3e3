"""Erasing a person from a ticket (`maild forget`): pure, on the stored dicts.

What stays: the TID, status, level and every time (created, due, reactions,
closing), so the SLA report is unchanged. What goes: in a ticket the person
opened, the text, subject and attachments of every message (maild's own mail
quotes theirs, staff replies answer it); in another ticket, their own messages and
maild's mail about them (erase_mail).
Their address is replaced by PLACEHOLDER wherever it stands alone (mention: in
another's subject, text and requester's display name too), not inside another's
(forgetting an@shop.ru leaves ivan@shop.ru).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from maild.domain.addresses import comparable_address
from maild.domain.forgetmention import Mention, id_head, mention
from maild.domain.records import MessageRecord, Ticket

PLACEHOLDER = "forgotten@invalid"  # RFC 2606: .invalid never resolves
ERASED = "[удалено по запросу]"
# ERASED where a charset cannot write it (a text part in latin-1): ASCII, which they all can
ERASED_ASCII = "[erased on request]"


def scrub_bytes(data: bytes, pattern: Mention) -> bytes:
    """`data` with each match of `pattern` (mention) the placeholder: read as UTF-8,
    any other byte kept as it is (surrogateescape), so the rest comes back unchanged."""
    text = data.decode("utf-8", "surrogateescape")
    return pattern.sub(PLACEHOLDER, text).encode("utf-8", "surrogateescape")


def shown_address(address: str) -> str:
    """An address as pages and mail name a person: `maild forget`'s placeholder as
    the erased one it stands for (it is no one's)."""
    return ERASED if address == PLACEHOLDER else address


@dataclass
class Erasure:
    """What erasing one person changed in one ticket."""

    tid: str
    theirs: bool = False  # the person opened the ticket: all its mail is erased
    messages: int = 0  # messages whose text was erased
    attachments: list[str] = field(default_factory=list)  # sha256 of erased files
    spool_keys: list[str] = field(default_factory=list)  # spool copies to remove
    kept_keys: list[str] = field(default_factory=list)  # spool copies kept: scrub the address
    replaced: int = 0  # other places the address was replaced
    message_ids: list[str] = field(default_factory=list)  # of the messages erased (as kept)
    # Message-IDs that held the address: (the id received, the id kept instead)
    renamed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.messages or self.attachments or self.spool_keys or self.replaced)


def _same(value: Any, mine: str) -> bool:
    """Whether an address field's value is the person's (mine: comparable_address)."""
    return isinstance(value, str) and comparable_address(value) == mine


def _swap(values: Any, mine: str) -> tuple[Any, int]:
    if not isinstance(values, list):
        return values, 0
    n = sum(1 for v in values if _same(v, mine))
    if not n:
        return values, 0
    return [PLACEHOLDER if _same(v, mine) else v for v in values], n


def _erase_message(m: MessageRecord, e: Erasure) -> None:
    m["text"] = ERASED
    if m.get("folded_text"):  # the notices under a staff answer to them
        m["folded_text"] = ERASED
    if m.get("subject"):
        m["subject"] = ERASED
    m.pop("fast_words", None)  # a digest of a few words of theirs tells them: one guesses «спасибо»
    for a in m.get("attachments") or []:
        if sha256 := a.get("sha256"):
            e.attachments.append(sha256)
        a.update({"filename": ERASED, "sha256": None})
        if a.get("reason"):  # a refusal names the file («Файл «Паспорт.bmp» назван как BMP»)
            a["reason"] = ERASED
    if spool_key := m.get("spool_key"):
        e.spool_keys.append(spool_key)
        m["spool_key"] = None
    if m.get("message_id"):
        e.message_ids.append(m["message_id"])
    e.messages += 1


def erase_mail(
    messages: list[MessageRecord], ids: Collection[str], address: str, e: Erasure
) -> list[MessageRecord]:
    """In a ticket the person did not open, maild's mail about them, by the Message-ID
    of any of its copies (`ids`): the staff notice of a message of theirs, which quotes
    it and lists its files, and mail to them alone. It is erased as their messages
    are; mail to them and others (a closing to the requester and the Cc) stays."""
    out = []
    for original in messages:
        m = original
        copies = m.get("copies") or {}
        mail_ids = {m.get("message_id"), *copies.values()}
        to_others = m.get("kind") != "notice" and set(copies) - {address, PLACEHOLDER}
        if m.get("direction") == "out" and not mail_ids.isdisjoint(ids) and not to_others:
            m = {**m, "attachments": [a.copy() for a in m.get("attachments") or []]}
            _erase_message(m, e)
        out.append(m)
    return out


# where else a record may name the person: a staff reply's commands and their errors
# ("#cc ADDRESS"), the To/Cc text cut beyond limits.max_recipients
_LINES: tuple[Literal["commands", "command_errors"], ...] = ("commands", "command_errors")


def _scrub_lines(m: MessageRecord, pattern: Mention) -> int:
    n = 0
    for key in _LINES:
        if isinstance(m.get(key), list):
            lines = [pattern.subn(PLACEHOLDER, v) if isinstance(v, str) else (v, 0) for v in m[key]]
            m[key] = [v for v, _ in lines]
            n += sum(k for _, k in lines)
    if isinstance(m.get("recipients_cut"), str):
        m["recipients_cut"], k = pattern.subn(PLACEHOLDER, m["recipients_cut"])
        n += k
    return n


def _scrub_keyed(t: Ticket, mine: str) -> int:
    """The records keyed by address: a robot seen (robots.py) stays seen under the
    placeholder; a mark of refused for good (undeliverable.py) has nothing left to hold."""
    n = 0
    robots = t.get("robots") or {}
    if theirs := [a for a in robots if _same(a, mine)]:
        rest = {a: v for a, v in robots.items() if a not in theirs}
        t["robots"] = {**rest, PLACEHOLDER: robots[theirs[0]]}
        n += 1
    marks = t.get("undeliverable") or {}
    if any(_same(a, mine) for a in marks):
        t["undeliverable"] = {a: v for a, v in marks.items() if not _same(a, mine)}
        n += 1
    return n


def _scrub_copies(m: MessageRecord, mine: str) -> int:
    """The person's copy of a mail: its id goes (nothing to thread to); that it was
    withdrawn, never sent (domain.withdrawn), stays under the placeholder."""
    n = 0
    if any(_same(a, mine) for a in m.get("copies") or {}):
        m["copies"] = {a: i for a, i in m["copies"].items() if not _same(a, mine)}
        n += 1
    withdrawn = m.get("withdrawn_copies") or {}
    if theirs := [a for a in withdrawn if _same(a, mine)]:
        rest = {a: w for a, w in withdrawn.items() if a not in theirs}
        m["withdrawn_copies"] = {**rest, PLACEHOLDER: withdrawn[theirs[0]]}
        n += 1
    return n


def their_id_heads(messages: list[MessageRecord], address: str) -> set[str]:
    """The heads (id_head) of the Message-IDs of the person's messages made of their
    address (`<1700000000.ivan@shop.ru>`): those ids are theirs to rename."""
    mine = comparable_address(address)
    ids = (m.get("message_id") for m in messages if _same(m.get("from"), mine))
    return {h for i in ids if isinstance(i, str) and (h := id_head(i, address)) is not None}


def erase_person(
    ticket: Ticket,
    messages: list[MessageRecord],
    address: str,
    named: re.Pattern[str] | None = None,
    id_heads: Collection[str] = (),
) -> tuple[Ticket, list[MessageRecord], Erasure]:
    """The ticket and messages without `address` (copies), and what changed; `named`
    finds their display name (domain.forgetnames.names_pattern): ERASED where it stands
    in another's texts (a Cc, a quote's «Иван Петров <...> wrote:»). An address field
    is theirs when it is their address (comparable_address); in a text, their address
    stands alone (mention), or ends an id of theirs (`id_heads` of other tickets', and
    this one's: their_id_heads)."""
    address = address.strip().lower()
    mine = comparable_address(address)
    pattern = mention(address, {*id_heads, *their_id_heads(messages, address)})
    t: Ticket = {**ticket}
    theirs = _same(t.get("requester"), mine)
    e = Erasure(t["tid"], theirs)
    if theirs:
        t["requester"] = PLACEHOLDER
        t["subject"] = ERASED
        if t.get("requester_name"):  # their From display name
            t["requester_name"] = ""
        e.replaced += 1
    else:
        # another's subject that names them: every mail about the ticket repeats it;
        # the requester's display name («Коллега ivan@...»): saved answers greet by it
        e.replaced += _scrub_key(t, "subject", pattern, named)  # (not the requester's own
        e.replaced += _scrub_key(t, "requester_name", pattern, None)  # name: a namesake's)
    # removed: #uncc; humans: #human (humans.py); robots_unproven: trust.note_robot
    for key in ("participants", "removed", "humans", "robots_unproven"):
        if key in t:
            t[key], n = _swap(t[key], mine)
            e.replaced += n
    e.replaced += _scrub_keyed(t, mine)
    out = []
    for original in messages:
        m: MessageRecord = {
            **original,
            "attachments": [a.copy() for a in original.get("attachments") or []],
        }
        _rename_id(m, pattern, e)
        if theirs or _same(m.get("from"), mine):
            _erase_message(m, e)
        else:
            for key in ("subject", "text", "folded_text", "recipients_cut"):
                e.replaced += _scrub_key(m, key, pattern, named)
            if spool_key := m.get("spool_key"):
                e.kept_keys.append(spool_key)
        if _same(m.get("from"), mine):
            m["from"] = PLACEHOLDER
        # to, cc (a note has neither: no None); asked_to_join: people a Cc asked to add
        for key in [k for k in ("to", "cc", "asked_to_join") if k in m]:
            m[key], n = _swap(m[key], mine)
            e.replaced += n
        e.replaced += _scrub_copies(m, mine) + _scrub_lines(m, pattern)
        out.append(_rest(m, pattern, e))  # (a letter's part record, a fold's notice id)
    return _rest(t, pattern, e), out, e


def _rename_id(m: MessageRecord, pattern: Mention, e: Erasure) -> None:
    """A Message-ID that holds the address (`<1700000000.ivan@shop.ru>`: many mail
    clients make them so) is kept with the placeholder in its place, as the outbox's
    In-Reply-To and References get it; no reply threads by it any more."""
    old = m.get("message_id")
    if isinstance(old, str) and pattern.search(old):
        m["message_id"] = pattern.sub(PLACEHOLDER, old)
        e.renamed.append((old, m["message_id"]))
        e.replaced += 1


def _rest(record: Any, pattern: Mention, e: Erasure) -> Any:
    """The record with the address gone from any other string (_scrub_deep)."""
    record, n = _scrub_deep(record, pattern)
    e.replaced += n
    return record


def _scrub_deep(value: Any, pattern: Mention) -> tuple[Any, int]:
    """Any other string of a record (its keys too) without the address."""
    if isinstance(value, str):
        return pattern.subn(PLACEHOLDER, value)
    if isinstance(value, list):
        pairs = [_scrub_deep(v, pattern) for v in value]
        return [v for v, _ in pairs], sum(n for _, n in pairs)
    if isinstance(value, dict):
        out, total = {}, 0
        for k, v in value.items():
            (k2, n), (v2, m) = _scrub_deep(k, pattern), _scrub_deep(v, pattern)
            out[k2], total = v2, total + n + m
        return (out, total) if total else (value, 0)
    return value, 0


def _scrub_key(record: Any, key: str, pattern: Mention, named: re.Pattern[str] | None) -> int:
    """One text of another's record without the address (PLACEHOLDER) and then the
    name beside it or of several words (ERASED): how many were replaced."""
    value = record.get(key)
    if not isinstance(value, str):
        return 0
    value, n = pattern.subn(PLACEHOLDER, value)
    if named is not None:
        value, k = named.subn(ERASED, value)
        n += k
    if n:
        record[key] = value
    return n


# A list's lines that name a ticket (at the start of its entry): a reminder's,
# escalation's or refusal's list «[срочно] [TID#tid] subject», the digest's
# «  ПРОСРОЧЕНО [срочно] [TID#tid] до ..., level» (or «ответ дан (срока нет), level»,
# «до -, level» before) and «  [TID#tid] requester: subject».
_ENTRY = re.compile(
    rb"^(?P<indent>[ \t]*)(?:"
    + "ПРОСРОЧЕНО ".encode()
    + rb")?(?:"
    + re.escape("[срочно] ".encode())
    + rb")?\[TID#(?P<tid>[0-9A-Za-z-]+)\] (?P<rest>.*)$",
)
_DIGEST_HEAD = ("до ".encode(), "ответ дан ".encode())
# the digest's line under a ticket's head: «      requester: subject», then the
# assignee if any (an address or a name: no space, no parentheses)
_DIGEST_SUBJECT = re.compile(
    rb"^([ \t]+[^\s:]+: ).*?((?: \(" + "ответственный: ".encode() + rb"[^\s()]+\))?)$",
)
# the refusal list's line of a mail refused: «Ответ сотрудника «subject», отправлено ...»
_REFUSED = re.compile("«.*»(?=, отправлено )".encode())


def _body_start(mail: bytes) -> int:
    """Where the body begins (after the first empty line), 0 if none is found."""
    ends = [i + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := mail.find(sep)) >= 0]
    return min(ends) if ends else 0


@dataclass
class _Reading:
    """Where a list's reading is: in an entry of a ticket of theirs, under its head."""

    tids: set[bytes]
    theirs: bool = False
    head: bool = False  # the digest's line of the subject comes next


def _scrub_line(line: bytes, state: _Reading) -> bytes:
    """One body line (without its end) of a list, the subject of theirs erased."""
    erased = ERASED.encode()
    entry = _ENTRY.match(line)
    if entry is not None:
        state.theirs, state.head = entry["tid"] in state.tids, False
        if not state.theirs:
            return line
        keep = line[: entry.start("rest")]
        if not entry["indent"]:  # «[TID#tid] subject»
            return keep + erased
        if entry["rest"].startswith(_DIGEST_HEAD):  # the subject is on the next line
            state.head = True
            return line
        who, colon, _subject = entry["rest"].partition(b": ")  # the digest's waiting
        return keep + who + colon + erased if colon else keep + erased
    if not state.theirs:
        return line
    if state.head:
        state.head = False
        shown = _DIGEST_SUBJECT.match(line)
        if shown is not None:
            return shown[1] + erased + shown[2]
    return _REFUSED.sub("«".encode() + erased + "»".encode(), line)


def scrub_listed(mail: bytes, tids: Collection[str]) -> bytes:
    """A staff mail of several tickets names each in an entry of its own: a list
    (reminder_list.txt, escalation_list.txt, staff_refused_list.txt) on a line
    «[TID#tid] subject» (after «[срочно] »), the refusal list then each mail refused
    as «... «its subject», отправлено ...»; the morning digest (digest.txt) on an
    indented line «[TID#tid] до ...» (or «ответ дан ...») with «requester: subject»
    under it, or «[TID#tid] requester: subject» for a ticket waiting for the customer.
    Of a ticket the person opened (`tids`), the subject is erased there as in the
    ticket, as their single reminder is emptied; the entries of other tickets stay.
    Here its text is 8-bit UTF-8; one render sent as base64 (a line over 998 octets: a
    subject of limits.MAX_SUBJECT characters of 4 octets) the caller decodes for
    scrub_list_text. The address is the placeholder's by the caller's byte scrub."""
    if not tids or b"[TID#" not in mail:
        return mail
    start = _body_start(mail)
    return mail[:start] + scrub_list_text(mail[start:], tids)


def scrub_list_text(text: bytes, tids: Collection[str]) -> bytes:
    """scrub_listed on a list's text alone (UTF-8): a body sent as base64, decoded."""
    if not tids or b"[TID#" not in text:
        return text
    state = _Reading({t.encode() for t in tids})
    out = []
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip(b"\r\n")
        out.append(_scrub_line(line, state) + raw[len(line) :])
    return b"".join(out)
