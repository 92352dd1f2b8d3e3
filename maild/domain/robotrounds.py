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
- As new mail: an address that opens a new ticket with the same canned text, the
  OPENING_RUN-th time in a row, each right after (OPENING_WINDOW) our confirmation of
  its ticket before, is a robot that answers each confirmation with a new mail (a
  crude «Ваше письмо получено» with no In-Reply-To and no tag of ours): no
  confirmation (opening_reason; the ticket gets the robot mark, undone by #human).

Pure: the thread, and the address's earlier tickets as the snapshot read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from maild.domain.records import MessageRecord

__all__ = [
    "ACK_ROUNDS",
    "OPENING_RUN",
    "OPENING_WINDOW",
    "Opened",
    "acks_stopped",
    "opening_reason",
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
# went), and staff's notice says how to undo the mark (#human).
OPENING_RUN = 3
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
    words: str  # its first mail's robots.own_words
    files: bool  # its first mail brought a file accepted
    confirmed_at: datetime | None  # our last mail to the address there, when automatic
    vouched: bool  # staff said #human of the address there


def opening_reason(words: str, files: bool, at: datetime, before: Sequence[Opened]) -> str | None:
    """Why this new ticket's mail (its robots.own_words ``words``, whether it brings a
    file ``files``, arriving ``at``) is a robot's, or None: the OPENING_RUN-th in a row
    of the address's new tickets (``before``: its earlier ones, newest first) with
    these words and no file, each opened within OPENING_WINDOW of our automatic mail
    (the confirmation) of the ticket before it. A ticket staff vouched for the address
    on (#human) ends the run: they said a person writes there."""
    chain = [Opened(at, words, files, None, False), *before]
    n = 0
    for cur, prev in zip(chain, chain[1:], strict=False):
        if cur.words != words or cur.files or cur.vouched or prev.vouched:
            break
        if prev.confirmed_at is None or not (
            timedelta(0) <= cur.opened_at - prev.confirmed_at <= OPENING_WINDOW
        ):
            break
        n += 1
    if n < OPENING_RUN:
        return None
    return (
        f"ответ робота: {n}-е новое обращение подряд с одним и тем же текстом, каждое"
        " вскоре после нашего письма о регистрации предыдущего"
    )
