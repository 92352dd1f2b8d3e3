"""What of a customer's mail is their own: the text without the quoted history their
client appended (typedlines.for_site), told from a line typed inside the quote by the
thread's texts before it. The site shows a customer's mail so, and the staff notice
of a follow-up too: one rule, one cut, for both.

Pure: the thread comes in as records.
"""

from __future__ import annotations

from maild.domain.longtext import mailed_text
from maild.domain.records import MessageRecord
from maild.domain.typedlines import for_site

__all__ = ["QUOTED", "known_before", "own_text"]

# How far back a customer's quote is looked up: a reply quotes the mail it answers
# (which quoted the ones before it), among the few records each mail adds (the
# acknowledgement, staff notices). A line found in none shows the mail whole: a short
# look-back only ever shows more, and a page costs time linear in its messages.
QUOTED = 12


def known_before(messages: list[MessageRecord], n: int, relayed: str = "") -> list[str]:
    """What the customer writing ``messages[n]`` (or the next message, n ==
    len(messages)) may have quoted: the texts of the QUOTED records before it, and the
    notices folded under a staff answer (staffreply._customer_mail); of a long text its
    start as mail to staff and the site show it (a quote of the rest is then taken as
    typed: the mail shows whole). ``relayed``: the lines added under a staff answer on
    its way to the customer (the site's link, masked: Policy.relayed)."""
    texts = (
        t
        for m in messages[max(0, n - QUOTED) : n]
        for t in (m.get("text"), m.get("folded_text"))
        if t
    )
    return [relayed, *(mailed_text(t)[0] for t in texts)]


def own_text(text: str, before: list[MessageRecord], relayed: str = "") -> str:
    """``text`` (a customer's mail following ``before``, the ticket's thread) as the
    site and the staff notice show it: typedlines.for_site knowing that thread."""
    return for_site(text, known_before(before, len(before), relayed))
