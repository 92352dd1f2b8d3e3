"""An aiosmtpd sink in its own process.

    python bench/sink.py --port P               bare: the handler returns 250, nothing else
    python bench/sink.py --port P --record F    relay sink: one line per message to F,
                                                "<arrival time> <rcpt> <In-Reply-To>"

Prints "ready" on stdout once listening; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
import time

from aiosmtpd.smtp import SMTP

IN_REPLY_TO = re.compile(rb"^In-Reply-To:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


class Bare:
    async def handle_DATA(self, server, session, envelope) -> str:
        return "250 OK"


class Recorder:
    def __init__(self, out) -> None:
        self.out = out

    async def handle_DATA(self, server, session, envelope) -> str:
        at = time.time()
        head = envelope.original_content.split(b"\r\n\r\n", 1)[0]
        m = IN_REPLY_TO.search(head)
        irt = m.group(1).decode("ascii", "replace") if m else "-"
        for rcpt in envelope.rcpt_tos:
            self.out.write(f"{at:.6f} {rcpt} {irt}\n")
        self.out.flush()
        return "250 OK"


async def serve(port: int, handler) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.example", decode_data=False, enable_SMTPUTF8=True),
        "127.0.0.1",
        port,
        backlog=256,
    )
    print("ready", flush=True)
    await stop.wait()
    server.close()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--record")
    a = p.parse_args()
    if a.record:
        with open(a.record, "a", buffering=1 << 16) as out:
            asyncio.run(serve(a.port, Recorder(out)))
    else:
        asyncio.run(serve(a.port, Bare()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
