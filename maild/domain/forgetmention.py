"""Where a person's address stands in a text (`maild forget`): alone, not inside
another's address (forgetting an@shop.ru leaves ivan@shop.ru), or as the end of a
Message-ID of theirs (`<1700000000.ivan@shop.ru>`).

One pattern finds the address (any case) whatever the number of ids of theirs; a
place after a dot is then decided by what stands behind the last `<` before it, a set
lookup of their ids' heads: a scan is linear in the text however many messages the
person sent (bench/FINDINGS.md item 68).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator

from maild.domain.addresses import spellings

# Before the address, a letter, digit or a character people put inside an address
# (`.`, `-`, `_`, `+`) makes it part of a longer one; any other («'», «`», «=», «?», «/»,
# «{», «|», «#», «~», «!», a quote, a space) ends a word: erasure errs on erasing.
# After it, a letter, digit or hyphen (a dot before one) goes on with the domain.
# Forgetting an@shop.ru leaves ivan@shop.ru, an@shop.russia.com; «an@shop.ru» is one.
_BEFORE = r"(?<![\w+-])"  # (a dot before: decided by Mention._alone)
_AFTER = r"(?![\w-]|\.[\w-])"


class Mention:
    """The places of an address in a text: the subset of re.Pattern's methods forget
    uses (search, fullmatch, finditer, sub, subn), each match a re.Match of the address."""

    def __init__(self, address: str, id_heads: Collection[str] = ()) -> None:
        # each spelling of its domain: boss@окна.рф is boss@xn--80atjc.xn--p1ai
        forms = spellings(address)
        self.pattern = re.compile(f"{_BEFORE}(?:{'|'.join(map(re.escape, forms))}){_AFTER}", re.I)
        self.needles = tuple(f.encode() for f in forms)
        self.wide = tuple(f for f in forms if not f.isascii())  # (bytes.lower keeps Я)
        self.heads = frozenset(h.lower() for h in id_heads)
        self.longest = max((len(h) for h in self.heads), default=0)
        # a head is `<` and an id's left part, which holds no `<` (RFC 5322 msg-id): it
        # is looked for behind the last `<` alone, unless a head of theirs holds one
        self.odd = any("<" in h[1:] for h in self.heads)

    def _alone(self, text: str, m: re.Match[str]) -> bool:
        """After a dot the address is the end of a longer one (ivan.an@shop.ru), unless
        it ends a Message-ID of theirs: after one of the heads, before `>`."""
        at = m.start()
        if at == 0 or text[at - 1] != ".":
            return True
        if not text.startswith(">", m.end()):
            return False
        start = max(0, at - self.longest)
        head = text.rfind("<", start, at)
        while head >= 0:
            if text[head:at].lower() in self.heads:
                return True
            head = text.rfind("<", start, head) if self.odd else -1
        return False

    def in_bytes(self, data: bytes) -> bool:
        """Whether `data` may name the address in any spelling and case: a quick look
        before the pattern's (which decides whether it stands alone). A domain of
        Cyrillic letters is looked for in the text as UTF-8, lower-cased (IVAN@ОКНА.РФ)."""
        low = data.lower()
        if any(n in low for n in self.needles):
            return True
        return bool(self.wide) and any(
            w in data.decode("utf-8", "replace").lower() for w in self.wide
        )

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        at = 0
        while (m := self.pattern.search(text, at)) is not None:
            if self._alone(text, m):
                yield m
                at = m.end()
            else:  # (one that begins inside it may still be theirs)
                at = m.start() + 1

    def search(self, text: str) -> re.Match[str] | None:
        return next(self.finditer(text), None)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.pattern.fullmatch(text)

    def subn(self, repl: str | Callable[[re.Match[str]], str], text: str) -> tuple[str, int]:
        """`text` with each place `repl` (a literal text, or what it makes of the match)."""
        pieces, at, n = [], 0, 0
        for m in self.finditer(text):
            pieces += [text[at : m.start()], repl if isinstance(repl, str) else repl(m)]
            at, n = m.end(), n + 1
        return ("".join(pieces) + text[at:], n) if n else (text, 0)

    def sub(self, repl: str | Callable[[re.Match[str]], str], text: str) -> str:
        return self.subn(repl, text)[0]


# what the mail scrubs take: the address's places, or a names pattern (forgetnames)
Finds = Mention | re.Pattern[str]


def mention(address: str, id_heads: Collection[str] = ()) -> Mention:
    """Where `address` stands in a text, any case: alone (_BEFORE, _AFTER), or as the
    end of a Message-ID of theirs `<1700000000.ivan@shop.ru>`, after a head of one
    (`<1700000000.`: id_head) that erase_person renamed."""
    return Mention(address, id_heads)


def id_head(message_id: str, address: str) -> str | None:
    """The head of a Message-ID a client made of the (lower-case) address, its domain
    in either spelling: `<1700000000.` of `<1700000000.ivan@shop.ru>`, `<` of
    `<ivan@shop.ru>`; None if it is no such id."""
    heads = (_id_head(message_id, a) for a in spellings(address))
    return next((h for h in heads if h is not None), None)


def _id_head(message_id: str, address: str) -> str | None:
    head = message_id[: len(message_id) - len(address) - 1]
    if message_id[len(head) : -1].lower() != address or not message_id.endswith(">"):
        return None
    return head if head == "<" or (head.startswith("<") and head.endswith(".")) else None
