"""CPU per message of the SMTP listener alone (FINDINGS.md, 18).

    python bench/listener_cpu.py [TREE] [--messages 2000]

The listener of TREE (default: this checkout) on uvloop in this process, its handler
spooling into a temporary folder under bench/out, driven by bench/loadgen.py (8
sender processes, one session per message, the mail mix of bench/mails.py). Prints
this process's CPU time per message: aiosmtpd's sessions, the listener's limits and
the spool's group commit, without workers, sender or relay.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("tree", nargs="?", type=Path, default=BENCH.parent)
    p.add_argument("--messages", type=int, default=2000)
    a = p.parse_args()
    sys.path[:0] = [str(a.tree.resolve()), str(BENCH)]
    import loadgen
    import uvloop
    from mails import make_mails

    from maild.adapters.listener import SupportHandler, make_protocol
    from maild.adapters.sessions import SessionLimits
    from maild.adapters.spool import Spool

    (BENCH / "out").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="listener-", dir=BENCH / "out"))
    mails = make_mails(a.messages, run="lc")

    async def run() -> float:
        loop = asyncio.get_running_loop()
        spool = Spool(work / "spool")
        handler = SupportHandler(spool, lambda r: r.startswith("support@"), lambda key: None)
        factory = make_protocol(
            handler, lmtp=False, max_size=30 << 20, hostname="mx.example", limits=SessionLimits()
        )
        server = await loop.create_server(factory, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        cpu = time.process_time()
        sent = await loop.run_in_executor(None, loadgen.run, port, mails)
        cpu = time.process_time() - cpu
        server.close()
        refused = sum(1 for s in sent if s.code != 250)
        if refused:
            print(f"{refused} messages not accepted", file=sys.stderr)
        return cpu

    try:
        cpu = uvloop.run(run())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    where = Path(sys.modules["maild"].__file__).parent.parent
    per = cpu / a.messages * 1000
    print(f"{where}: listener CPU {per:.3f} ms per message ({a.messages} messages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
