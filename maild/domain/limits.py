"""Caps that keep a hostile message's cost linear and its echo small (issue 18).

Every header field is read from at most MAX_HEADER_CHARS characters; a subject is
kept (and repeated in every mail about the ticket) up to MAX_SUBJECT characters; an
address list yields its first `max_recipients` addresses, the rest is kept as text
(never made participants); a mail about a message names its first MAX_LISTED_FILES
attachments and counts the rest (a mail about a message stays small, whatever
address its From names); a message with more than MAX_CONTAINERS multipart or
message/rfc822 containers is read as headers and raw text (the stdlib parser recurses
once per level, and too deep a nesting loses sender, subject and text), and so is one
with more than MAX_DELIMITER_LINES lines that could delimit a part (every part costs
CPU to parse and read). What these caps saved: README, «Hostile sizes».
"""

from __future__ import annotations

import re

MAX_RECIPIENTS = 100  # addresses of To and Cc together (config: limits.max_recipients)
MAX_SUBJECT = 300  # characters: "a few hundred", in storage and in every mail
MAX_NAME = 200  # characters of a display name
MAX_HEADER_CHARS = 16384  # characters of one header field looked at
MAX_CUT_TEXT = 4096  # characters kept of the addresses past the cap
MAX_REFERENCES = 50  # the newest Message-IDs of References looked up
MAX_CONTAINERS = 100  # multipart/message containers parsed as MIME
MAX_LISTED_FILES = 20  # attachments named one by one in a mail (the rest: a count)
MAX_DELIMITER_LINES = 5000  # lines starting "--" (part delimiters) parsed as MIME
MAX_DATA_IMAGES = 100  # data: URI pictures taken as files from one HTML part
MAX_TNEF_FILES = 1000  # files taken from one winmail.dat
MAX_UU_FILES = 100  # uuencoded files taken from one plain text part (domain.uufiles)
NAME_MAX = 255  # bytes of a file's name (ext4's): figures() reads any number one holds
MAX_CARRIED_FILES = 1000  # files taken from inside the parts of one message, in all
MAX_RTF_BYTES = 2 << 20  # bytes of compressed RTF one message unpacks (and reads) in all
MAX_NAMED = 100  # characters of a word staff typed (an answer's name) an error repeats
MAX_LISTED_ERRORS = 10  # a reply's command errors listed one by one (the rest: a count)
MAX_ERROR_CHARS = 2000  # characters of one listed error (one naming a value whole)
MAX_LISTED_NAMES = 30  # saved answers' names an error lists (the rest: a count)
MAX_NAMES_CHARS = 1500  # characters of those names: their error stays under MAX_ERROR_CHARS
MAX_QUOTED_CHARS = 4000  # characters of a stopped staff reply's own text its error quotes
# characters of an error's words a fault, its alert or a log line repeats: an error may
# hold what it was met on (a UnicodeEncodeError's repr: a record's whole JSON)
MAX_FAULT_CHARS = 1000

# the characters that change how an address list is split: quotes, comments,
# angle brackets, escapes, and the comma itself
_SPECIAL = re.compile(r'[",()<>\\]')
_CONTAINER = re.compile(rb"(?i)boundary\s*=|message/(?:rfc822|global)")


def cut(text: str, limit: int) -> str:
    """`text` of at most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def head_of(value: str, limit: int = MAX_HEADER_CHARS) -> str:
    """The part of a header field read at all: its start, cut at whitespace so
    that an encoded word is not split (when there is any near the cut)."""
    if len(value) <= limit:
        return value
    start = value[:limit]
    space = max(start.rfind(" "), start.rfind("\t"))
    return start[:space] if space > limit // 2 else start


def first_addresses(value: str, limit: int) -> tuple[str, str]:
    """(the part of an address list that holds its first `limit` entries, the rest).

    Top-level commas are counted, outside quotes, comments and angle brackets; the
    scan jumps from one special character to the next (in C) and stops at the
    limit, so 100,000 addresses cost as much as `limit` of them."""
    if limit <= 0:
        return "", value
    commas = depth = 0
    quoted = angle = False
    skip_at = -1  # the character a backslash escapes
    for m in _SPECIAL.finditer(value):
        ch, at = m.group(), m.start()
        if at == skip_at:
            continue
        if ch == "\\" and (quoted or depth):
            skip_at = at + 1
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth:
            continue
        elif ch == "<":
            angle = True
        elif ch == ">":
            angle = False
        elif ch == "," and not angle:
            commas += 1
            if commas >= limit:
                return value[:at], value[at + 1 :].strip()
    return value, ""


def too_many_parts(raw: bytes) -> bool:
    """More lines that could delimit a MIME part than a message is parsed with (one
    count: a delimiter line starts with "--"; text with as many lines so starting, an
    SQL script's comments say, is still kept whole as raw text)."""
    return raw.count(b"\n--") > MAX_DELIMITER_LINES


def too_nested(raw: bytes) -> bool:
    """More MIME containers than the parser is given (see the module docstring).
    Every container names "boundary" or "message/", so when those words occur at most
    MAX_CONTAINERS times in all there cannot be more (two counts, not a
    case-insensitive search of the whole message)."""
    lowered = raw.lower()
    if lowered.count(b"boundary") + lowered.count(b"message/") <= MAX_CONTAINERS:
        return False
    return any(n > MAX_CONTAINERS for n, _ in enumerate(_CONTAINER.finditer(raw), 1))


def figures(text: str, most: int = 9) -> int | None:
    """The number ``text`` writes in at most ``most`` ASCII figures, else None. What a
    mail, a file name or a damaged file says is never read by str.isdigit alone: it
    takes «²», which int() refuses, and int() refuses more than 4,300 figures (a field
    or a file name of thousands of them failed what read it)."""
    return int(text) if len(text) <= most and text.isascii() and text.isdigit() else None
