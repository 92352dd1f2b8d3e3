"""How many examples the slowest property tests draw: a count that keeps the suite
within its time by default, MAILD_EXAMPLES times it for a deep run
(`MAILD_EXAMPLES=10 ./test.sh tests/unit`)."""

from __future__ import annotations

import os

SCALE = max(1, int(os.environ.get("MAILD_EXAMPLES", "1")))


def examples(n: int) -> int:
    return n * SCALE
