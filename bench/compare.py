"""Compare two checkouts of maild end to end, in alternating rounds (FINDINGS.md, 4).

    python bench/compare.py A_TREE B_TREE [--rounds 4] [--messages 1000]

Starts `maild serve` from each tree (its own relay sink and store, the bench's config),
then runs closed-loop rounds A, B, B, A, A, B, ... with the load generator of
bench/run.py, and prints per round and as medians: msgs/s end to end and CPU
milliseconds per message of the daemon, the workers, the sender, the relay and the
load generator. On this VM a single run of msgs/s does not show changes under ~5 %;
CPU per message, taken in the same minutes for both trees, does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run as bench  # noqa: E402
from mails import make_mails  # noqa: E402


def per_message(result: dict) -> dict[str, float]:
    """A round's msgs/s and CPU ms per message by role."""
    ms = {k: v / result["confirmed"] * 1000 for k, v in result["cpu_s"].items()}
    row = {
        "e2e": result["e2e_msgs_per_s"],
        "daemon": ms.get("maild daemon", 0.0),
        "workers": sum(v for k, v in ms.items() if "worker" in k),
        "sender": ms.get("maild-sender", 0.0),
        "relay": ms.get("relay", 0.0),
        "loadgen": ms.get("loadgen", 0.0),
    }
    row["maild"] = row["daemon"] + row["workers"] + row["sender"]
    return row


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("trees", nargs=2, type=Path)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--messages", type=int, default=1000)
    a = p.parse_args()
    (BENCH / "out").mkdir(exist_ok=True)  # on the store's file system, as bench/run.py
    work = Path(tempfile.mkdtemp(prefix="compare-", dir=BENCH / "out"))
    sides = []
    try:
        for tree in a.trees:
            home = work / f"{len(sides)}-{tree.resolve().name}"
            home.mkdir()
            relay = bench.Relay(home)
            serve = bench.Serve(home, home / "data", relay, root=tree.resolve())
            sides.append((tree.resolve().name, relay, serve, []))
            bench.send_and_confirm(sides[-1][2].port, relay, make_mails(100, run=f"w{len(sides)}"))
        for r in range(a.rounds):
            for name, relay, serve, rows in sides if r % 2 == 0 else sides[::-1]:
                mails = make_mails(a.messages, run=f"c{r}{len(rows)}{name}")
                rows.append(per_message(bench.e2e_round(serve, relay, mails)))
                print(f"{name:12} round {r + 1}: " + fmt(rows[-1]), flush=True)
        for name, _relay, _serve, rows in sides:
            medians = {k: statistics.median(row[k] for row in rows) for k in rows[0]}
            print(f"{name:12} median:  " + fmt(medians))
    finally:
        for _name, relay, serve, _rows in sides:
            serve.stop()
            relay.stop()
        bench.discard(work)
    return 0


def fmt(row: dict[str, float]) -> str:
    return f"{row['e2e']:.1f} msgs/s, CPU ms/msg " + " ".join(
        f"{k} {v:.2f}" for k, v in row.items() if k != "e2e"
    )


if __name__ == "__main__":
    sys.exit(main())
