"""The CPU of a `maild` process's start in two checkouts, alternating (FINDINGS.md, 54).

    python bench/startcpu.py A_TREE B_TREE [--runs 20]

Each tree runs, in turn and as the suite does, `maild --help`, `maild ingest` of a short
mail, `maild ticket list`, and `maild serve` started and stopped at once (tests.helpers'
Daemon) on a desk without and with [smtp]. Printed: the median and the least CPU (user
and system, of the process and its children) of each. The order of the trees swaps each
run: the VM drifts by more than the differences looked for.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

MAIL = (
    b"From: c@example.org\r\nTo: support@example.com\r\nSubject: hello %d\r\n"
    b"Message-ID: <%d@startcpu>\r\n\r\nbody\r\n"
)


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def commands(tree: Path) -> dict[str, Callable[[int], object]]:
    """Each command of `tree` as a call taking the run's number."""
    import tests.helpers as helpers

    root = Path(tempfile.mkdtemp(prefix="startcpu-"))
    (root / "plain").mkdir()
    (root / "smtp").mkdir()
    plain = helpers.Desk(root / "plain", helpers.dead_port())
    listen = {"listen": f"127.0.0.1:{helpers.free_port()}"}
    smtp = helpers.Desk(root / "smtp", helpers.dead_port(), smtp=listen)
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as test.sh runs it

    def maild(*args: str, mail: bytes | None = None) -> None:
        cmd = [sys.executable, "-m", "maild", *args]
        subprocess.run(cmd, env=env, input=mail, capture_output=True, check=False)

    def serve(desk: helpers.Desk) -> None:
        helpers.ROOT = tree  # the daemon's PYTHONPATH
        helpers.Daemon(desk).start().stop()

    return {
        "--help": lambda i: maild("--help"),
        "ingest": lambda i: maild("--config", str(plain.config), "ingest", mail=MAIL % (i, i)),
        "ticket list": lambda i: maild("--config", str(plain.config), "ticket", "list"),
        "serve": lambda i: serve(plain),
        "serve [smtp]": lambda i: serve(smtp),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("trees", nargs=2, type=Path)
    p.add_argument("--runs", type=int, default=20)
    a = p.parse_args()
    trees = [t.resolve() for t in a.trees]
    sys.path.insert(0, str(trees[0]))  # tests.helpers (its Desk and Daemon)
    calls = {t: commands(t) for t in trees}
    names = list(calls[trees[0]])
    cpu: dict[tuple[str, Path], list[float]] = {(n, t): [] for n in names for t in trees}
    for t in trees:
        for n in names:
            calls[t][n](0)  # bytecode written, the store made
    for i in range(1, a.runs + 1):
        for n in names:
            for t in trees if i % 2 else trees[::-1]:
                before = children_cpu()
                calls[t][n](i)
                cpu[n, t].append(children_cpu() - before)
    for n in names:
        cells = (
            f"{t.name}: {statistics.median(cpu[n, t]) * 1000:4.0f} ({min(cpu[n, t]) * 1000:4.0f})"
            for t in trees
        )
        print(f"{n:13s} CPU ms, median (least): " + "   ".join(cells))


if __name__ == "__main__":
    main()
