"""`maild forget` and the erased person's display name: pure.

Others' mail names the person by their name beside their address: a Cc «Иван Петров
<ivan@shop.ru>», a quote «Иван Петров <ivan@shop.ru> wrote:». Once the address is the
placeholder, the name goes too: ERASED where it stood, in the ticket's texts and in the
raw copies of others' mail. The names are the ones the person wrote or was written
under (the From of their mail, the ticket they opened, a To/Cc beside their address).
A name of one word («Иван») is a word of other people's text as well: it goes only
where it stands beside the address (an address field's mailbox, «Иван <...>» in a
text); a name of two or more words goes wherever it stands, but beside another's
address («ООО Ромашка <petr@shop.ru> писал:»: a company's name two people write
under, a namesake), which keeps it in a text as in an address field
(with_mailboxes_of).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator

from maild.domain.forget import ERASED, PLACEHOLDER

# the address fields whose mailboxes name people (RFC 5322 3.6.2, 3.6.3, 3.6.6)
ADDRESS_FIELDS = (
    "from", "sender", "reply-to", "to", "cc", "bcc",
    "resent-from", "resent-sender", "resent-to", "resent-cc", "resent-bcc",
    "disposition-notification-to",
)  # fmt: skip
_NAME_CHARS = 200  # a longer "name" is no display name a client wrote
# the placeholder as a text names a mailbox by it: «Name <...>», «Name [mailto:...]»
_BESIDE = r'(?="?\s*[<\[](?:mailto:)?' + re.escape(PLACEHOLDER) + r"[>\]])"
# ... and another's address after a name: «ООО Ромашка <petr@shop.ru> писал:» names Petr
_NOT_ANOTHERS = r'(?!"?\s*[<\[](?:mailto:)?(?!' + re.escape(PLACEHOLDER) + r"[>\]])[^\s<>\[\]@]+@)"
_ERASED_WORD = b"=?utf-8?b?" + base64.b64encode(ERASED.encode()) + b"?="


def usable_names(names: Iterable[str]) -> list[str]:
    """The display names worth looking for, whitespace made single, longest first: not
    empty, no address (the address is the placeholder's already), not ERASED."""
    out = set()
    for name in names:
        words = name.replace('"', " ").split()
        plain = " ".join(words)
        if 2 <= len(plain) <= _NAME_CHARS and "@" not in plain and plain != ERASED:
            out.add(plain)
    return sorted(out, key=lambda n: (-len(n), n))


def names_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """What names the person in a text (see the module docstring), any case; None when
    no name is known."""
    alternatives = []
    for name in usable_names(names):
        words = r"\s+".join(map(re.escape, name.split()))
        beside = _NOT_ANOTHERS if " " in name else _BESIDE
        alternatives.append(rf"(?<!\w){words}(?!\w){beside}")
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


def scrub_names(
    text: str, pattern: re.Pattern[str] | None, placeholder: str = ERASED
) -> tuple[str, int]:
    """The text with the person's names replaced by `placeholder`, and how many."""
    if pattern is None or not text:
        return text, 0
    return pattern.subn(placeholder, text)


_FIELDS = re.compile(rb"(\r?\n)(?![ \t])")  # a field goes on while its lines start blank


def _address_field(field: bytes) -> bool:
    name, colon, _value = field.partition(b":")
    return bool(colon) and name.strip().lower().decode("latin-1") in ADDRESS_FIELDS


def with_mailboxes_of(block: bytes, scrubbed: bytes) -> bytes:
    """`scrubbed`, the header block after a name was searched for in all of it, with
    its address fields as they are in `block`: another's mailbox («Иван Петров
    <petr@...>», a namesake, a company's name two people write under) keeps its name;
    the erased one's went in scrub_mailboxes."""
    old, new = _FIELDS.split(block), _FIELDS.split(scrubbed)
    if len(old) != len(new):  # (the scrub adds no field; a fold stays in its field)
        return scrubbed
    for i in range(0, len(new), 2):
        if _address_field(old[i]):
            new[i] = old[i]
    return b"".join(new)


def scrub_mailboxes(block: bytes) -> bytes:
    """A header block whose address fields name the placeholder's mailbox with a name
    («=?utf-8?b?...?= <forgotten@invalid>», «"Иван" <forgotten@invalid>»): that name
    is ERASED, written as an encoded word; every other byte stays (the other mailboxes,
    folds, the fields' order)."""
    needle = PLACEHOLDER.encode()
    if needle not in block.lower():
        return block
    lines = _FIELDS.split(block)  # field, its end, field, ...
    for i in range(0, len(lines), 2):
        name, colon, value = lines[i].partition(b":")
        if _address_field(lines[i]) and needle in value.lower():
            lines[i] = name + colon + _erase_names(value)
    return b"".join(lines)


def _erase_names(value: bytes) -> bytes:
    out = []
    for segment in _mailboxes(value):
        angle = segment.lower().find(b"<" + PLACEHOLDER.encode() + b">")
        if angle > 0 and segment[:angle].strip():
            head = segment[:angle]
            lead = head[: len(head) - len(head.lstrip())]
            colon = _group_colon(head)  # «Team: name <...>»: a group, its name kept
            keep = head[: colon + 1] if colon >= 0 else lead
            segment = keep + (b" " if colon >= 0 else b"") + _ERASED_WORD + b" " + segment[angle:]
        out.append(segment)
    return b",".join(out)


def _group_colon(head: bytes) -> int:
    """Where the colon ending a group's name is in what precedes an angle address (the
    first one outside quotes and comments: «Team: "Ivan: P"»), -1 if none is."""
    return next((i for i, c in _outside_quotes(head) if c == b":"), -1)


def _mailboxes(value: bytes) -> list[bytes]:
    """A field's value cut at each comma that parts its mailboxes (not one in a quoted
    name, a comment or an angle address)."""
    parts, start, angle = [], 0, False
    for i, c in _outside_quotes(value):
        if c in (b"<", b">"):
            angle = c == b"<"
        elif c == b"," and not angle:
            parts.append(value[start:i])
            start = i + 1
    return [*parts, value[start:]]


def _outside_quotes(value: bytes) -> Iterator[tuple[int, bytes]]:
    """Each byte of an address field's value that is outside its quoted strings and
    comments (a comment's parentheses, and escaped pairs, left out), with its index."""
    quoted, depth, i = False, 0, 0
    while i < len(value):
        c = value[i : i + 1]
        if c == b"\\":
            i += 2
            continue
        if quoted:
            quoted = c != b'"'
        elif c == b'"':
            quoted = True
        elif c == b"(":
            depth += 1
        elif c == b")" and depth:
            depth -= 1
        elif not depth:
            yield i, c
        i += 1
