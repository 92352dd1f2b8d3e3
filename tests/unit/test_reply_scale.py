"""The passes over a long reply's text (trim_reply, a staff reply's command lines, what of
it goes to the customer, what stands in its quote) cost a little per line, and a line
more costs the same: a staff reply of 2.5 MB of short lines took 22 s under the
store's lock, each pass trying ten patterns on every line.

CPU time, with bounds several times what the passes take, and well under what they took.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from maild.domain.commands import holds_notice, in_quote, parse_reply
from maild.domain.inquote import left_in_quote
from maild.domain.quotes import trim_reply
from maild.domain.unsent import answer

KNOWN = ["Здравствуйте, вопрос про лицензию\n"]
MESSAGES = [{"text": KNOWN[0], "kind": "customer"}]


def _cpu(run: Callable[[str], object], lines: int, times: int = 1) -> float:
    """The least CPU time of ``times`` runs on a text of ``lines`` lines."""
    text = "Ответ\n" + "x\n" * lines
    spent = []
    for _ in range(times):
        started = time.process_time()
        run(text)
        spent.append(time.process_time() - started)
    return min(spent)


def _staff_passes(text: str) -> None:
    """What decide makes of a staff reply's text."""
    reply = parse_reply(text, KNOWN)
    in_quote(text, MESSAGES, reply.commands, reply.own_end)
    holds_notice(text)
    answer(reply.body, reply.body, MESSAGES, reply.commands)
    left_in_quote(text, [*KNOWN, reply.body])


def test_trimming_a_long_text_costs_little_a_line() -> None:
    small, large = _cpu(trim_reply, 200_000, 3), _cpu(trim_reply, 400_000, 3)
    assert large < 1.0  # 2.8 s when each line was tried for an attribution
    assert large < 3 * max(small, 0.1)


def test_a_long_staff_reply_costs_little_a_line() -> None:
    small, large = _cpu(_staff_passes, 100_000), _cpu(_staff_passes, 200_000)
    assert large < 4.0  # 11.5 s when each pass tried ten patterns on every line
    assert large < 3 * max(small, 0.1)
