"""imapround.RoundWatch: what a round tells `maild status` (its notes are writes of the
status file, one per call)."""

from __future__ import annotations

import time

from maild.adapters.imapround import RoundWatch

EVERY = 0.2  # seconds (the daemon's is a minute); a round of 3 takes microseconds


def test_a_short_round_after_a_long_idle_tells_no_backlog():
    """The server sends a new mail after minutes of IDLE: that round of one message is
    shorter than `every`, so it tells status nothing but its contact at the end (no
    backlog «0 of 1 left», no note of the backlog ended). The wait counts from the
    round's start, not from the contact last told before the idle; and a round whose
    backlog was told clears it once, not at the end of every later round."""
    contacts, backlogs = [], []
    watch = RoundWatch(lambda: contacts.append(1), backlogs.append, every=EVERY)
    watch.started(3)  # the first round since start: told at once
    time.sleep(1.5 * EVERY)
    watch.delivered(2)  # a long round: its backlog told
    watch.ended()
    assert [b["left"] for b in backlogs[:-1]] == [2] and backlogs[-1] is None
    told = len(contacts), len(backlogs)
    watch.contacted()  # (the round's end, as the poller notes it)
    time.sleep(1.5 * EVERY)  # IDLE
    for _ in range(3):
        watch.started(1)
        watch.delivered(0)
        watch.ended()
    assert (len(contacts) - 1, len(backlogs)) == told
