"""The site's per-visitor limits (maild/web/visitors.py): counted per key in a window,
idle keys forgotten, and a flood of keys kept to a bound."""

from __future__ import annotations

import time

from maild.web.visitors import RateLimit


def test_a_key_is_refused_at_the_limit_and_given_back_an_event() -> None:
    limit = RateLimit(3)
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.spent("a") and not limit.spent("b")
    limit.give_back("a")
    assert not limit.spent("a") and limit.allow("a")


def test_idle_keys_are_forgotten_and_a_flood_of_keys_stays_bounded() -> None:
    limit = RateLimit(5, window=0.05, max_keys=1000)
    for n in range(5000):
        limit.allow(f"k{n}")
    assert len(limit.events) <= 1000
    time.sleep(0.06)  # the window has passed: every key is idle
    limit.allow("fresh")
    assert list(limit.events) == ["fresh"]
