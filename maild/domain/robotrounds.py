"""Loops with robots that robots.py cannot tell by their words: each of our automatic
mails answered, however slowly and whatever the words, by mail that gets another.

- In the thread: a sender whose replies to our automatic mail follow each other with
  no staff answer between gets an acknowledgement of the first ACK_ROUNDS of them;
  the next ones are added to the ticket, staff are told, and no acknowledgement goes
  (acks_stopped) until staff reply (an answer, or commands alone) or the sender
  writes otherwise (not in reply to our automatic mail). A desk answering each of
  our mails in an hour with new words (a random article of its knowledge base)
  stayed under every cap on automatic mail for ever; now it gets ACK_ROUNDS
  acknowledgements and the loop ends.
- As new mail: an address whose new tickets follow each other, each right after
  (OPENING_WINDOW) our confirmation of its ticket before, the OPENING_RUN-th of them
  whose canned text (subject and words: opening_text) another of them has too, is a
  robot that answers each confirmation with a new mail (a crude «Ваше письмо
  получено» with no In-Reply-To and no tag of ours; its one text, or two or more in
  turn): no confirmation (opening_reason; the ticket gets the robot mark, undone by
  #human).

Pure: the thread, and the address's earlier tickets as the snapshot read them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from maild.domain import robots
from maild.domain.records import MessageRecord
from maild.domain.tid import clean_subject

__all__ = [
    "ACK_ROUNDS",
    "CANNED_MIN_WORDS",
    "OPENING_CHAIN",
    "OPENING_RUN",
    "OPENING_WINDOW",
    "Opened",
    "acks_stopped",
    "follows",
    "opening_reason",
    "opening_text",
]

# A person adds details to a ticket in a reply or two to our acknowledgements before
# staff answer, now and then three («вот скриншот», «и лог», «забыла: адрес сайта»):
# each of those three is acknowledged. The fourth and later in a row are added and
# told to staff, unacknowledged: the customer has three mails saying their letters
# reach the ticket; a robot that answers each of our mails gets three and stops.
ACK_ROUNDS = 3
# The same canned text opening a new ticket the third time in a row, each right after
# our confirmation of the one before: a person who sends their question again to be
# sure does it once, seldom twice; their third copy loses only its confirmation (two
# went), and staff's notice says how to undo the mark (#human). A robot with two texts
# in turn (a day one and a night one: A, B, A, B) is stopped at its fourth: of a chain
# of new tickets each right after our confirmation of the one before, the OPENING_RUN-th
# whose text another of the chain has too is a robot's.
OPENING_RUN = 3
# How far back such a chain is read (the address record keeps that many of its new
# tickets and this one: indexes.KEPT): a robot rotating up to OPENING_CHAIN - 1 texts
# is stopped (one text: at its third canned ticket; two: its fourth; five: its seventh);
# one with more is left to the caps on automatic mail.
OPENING_CHAIN = 2 * OPENING_RUN
# A mail with fewer words of its own (quotes cut: an empty body, «Спасибо», «Ок»)
# never counts: it is no canned answer, and a person who writes each request in the
# Subject sends the same empty body every time. A robot's canned answer is a sentence
# at least («Ваше письмо получено»).
CANNED_MIN_WORDS = 3
# «Right after»: a robot answers in seconds, or when its queue runs, within the hour;
# the audit's answered at 61 minutes, past every hourly cap. Two hours and not a day:
# a customer writing the same request again the next morning is no robot's answer.
OPENING_WINDOW = timedelta(hours=2)


def _rounds(sender: str, messages: list[MessageRecord]) -> int:
    """How many of the sender's latest messages in the thread, in a row, answered our
    automatic mail (their records keep robots.own_words: "fast_words"), with no staff
    reply after the first of them: an answer (kind "staff"), or commands alone (a
    note keeping them: staff saw the ticket, #human among them). Automatic mail of
    ours, maild's notes and others' mail between do not break the run."""
    n = 0
    for m in reversed(messages):
        if m.get("kind") == "staff" or m.get("commands"):
            break  # a person of staff answered or acted: the rounds start again
        if m.get("direction") == "out":
            continue
        if m.get("from") != sender or m.get("kind") != "customer":
            continue
        if "fast_words" not in m:
            break  # written otherwise (to a staff answer, a mail of its own)
        n += 1
    return n


def acks_stopped(sender: str, messages: list[MessageRecord], record: MessageRecord) -> int:
    """The round this message (its ``record``, the thread ``messages`` before it) makes
    when past ACK_ROUNDS: it answers our automatic mail, as the ACK_ROUNDS before it
    in a row did, with no staff answer between: no acknowledgement goes; 0 otherwise."""
    if "fast_words" not in record:
        return 0
    n = _rounds(sender, messages) + 1
    return n if n > ACK_ROUNDS else 0


class Opened(NamedTuple):
    """One of an address's earlier tickets, as opening_reason reads it."""

    opened_at: datetime
    canned: str  # its first mail's opening_text ("": no canned answer)
    files: bool  # its first mail brought a file accepted
    confirmed_at: datetime | None  # our last mail to the address there, when automatic
    vouched: bool  # staff said #human of the address there


def opening_text(subject: str | None, text: str) -> str:
    """A new ticket's first mail as opening_reason compares it: a digest of its subject
    (our tag and Re:/Fwd: runs cut: a robot's fixed subject) and its own words (quotes
    cut), numbers masked, case and spacing folded (robots.folded); "" when it has fewer
    than CANNED_MIN_WORDS words of its own: such a mail never counts. A person writing
    each request in the Subject, her body only a signature, sends other subjects."""
    words = robots.own_text(text)
    if len(words.split()) < CANNED_MIN_WORDS:
        return ""
    return robots.digest(f"{robots.folded(clean_subject(subject))}\n{words}")


def follows(newer: Opened, older: Opened) -> bool:
    """Whether ``older`` is the ticket before ``newer`` in a robot's chain: ``newer``
    brought no file (one that did is a person's news: the chain ends at it), staff did
    not vouch for the address on ``older`` (#human: a person writes there), and
    ``newer`` was opened within OPENING_WINDOW of our confirmation of ``older``."""
    if newer.files or older.vouched or older.confirmed_at is None:
        return False
    return timedelta(0) <= newer.opened_at - older.confirmed_at <= OPENING_WINDOW


def opening_reason(canned: str, files: bool, at: datetime, before: Sequence[Opened]) -> str | None:
    """Why this new ticket's mail (its opening_text ``canned``, whether it brings a file
    ``files``, arriving ``at``) is a robot's, or None: of the chain of the address's
    new tickets (``before``: its earlier ones, newest first) that follow each other
    (follows; OPENING_CHAIN of them at most) up to this one, this is the
    OPENING_RUN-th or later whose canned text another of the chain has too."""
    if not canned or files:
        return None
    chain = [Opened(at, canned, files, None, False)]
    for older in before[:OPENING_CHAIN]:
        if not follows(chain[-1], older):
            break
        chain.append(older)
    texts = Counter(o.canned for o in chain if o.canned and not o.files)
    repeated = {t: k for t, k in texts.items() if k > 1}
    n = sum(repeated.values())
    if canned not in repeated or n < OPENING_RUN:
        return None
    if len(repeated) == 1:
        which = f"{n}-е новое обращение подряд с одним и тем же текстом"
    else:  # (a chain of more tickets: one with a text of its own may be among them)
        which = (
            f"{n}-е новое обращение с одним из {len(repeated)} повторяющихся текстов"
            f" в цепочке из {len(chain)} обращений"
        )
    return f"ответ робота: {which}, каждое вскоре после нашего письма о регистрации предыдущего"
