"""Peak memory of the listener under parallel large transfers (bench/FINDINGS.md 19).

    python bench/listener_rss.py [--clients 20] [--mb 25] [--no-size] [--root DIR]

Starts `maild serve` (the code in --root, default this checkout) with an SMTP
listener and max_message_size 40 MB, sends --clients messages of --mb MB (lines of
78 bytes) at once from as many smtplib sessions, and prints the VmHWM of the
daemon process, which runs the listener. With --no-size the clients declare no
SIZE in MAIL FROM (smtplib's sendmail and postfix declare it)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3\r\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(home: Path, port: int) -> Path:
    sections = {
        "support": {
            "address": "support@example.com",
            "name": "Support",
            "staff": ["anna@example.com"],
            "head": "head@example.com",
            "reply_secret": "bench-listener-reply-secret-0123",
        },
        "storage": {"path": str(home / "data")},
        "outbound": {"host": "127.0.0.1", "port": free_port(), "timeout": 5},
        "smtp": {"listen": f"127.0.0.1:{port}", "max_message_size": 40_000_000},
    }
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
        lines.append("")
    config = home / "maild.toml"
    config.write_text("\n".join(lines))
    return config


def kib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def send(port: int, body: bytes, declare: bool, codes: list) -> None:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=3600) as c:
            c.ehlo()
            if declare:
                c.sendmail("ivan@shop.example", ["support@example.com"], body)
                codes.append(250)
            else:
                c.mail("ivan@shop.example")
                c.rcpt("support@example.com")
                codes.append(c.data(body)[0])
    except (OSError, smtplib.SMTPException) as e:
        codes.append(repr(e))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--mb", type=int, default=25)
    p.add_argument("--no-size", action="store_true")
    p.add_argument("--root", type=Path, default=ROOT)
    a = p.parse_args()
    home = Path(tempfile.mkdtemp(prefix="maild-rss-"))
    port = free_port()
    config = write_config(home, port)
    env = dict(os.environ, PYTHONPATH=str(a.root))
    with open(home / "serve.log", "wb") as logf:
        proc = subprocess.Popen(
            [sys.executable, "-m", "maild", "--config", str(config), "serve"],
            stdout=logf,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=a.root,
        )
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    if s.recv(100).startswith(b"220"):
                        break
            except OSError:
                time.sleep(0.1)
        before = kib(proc.pid, "VmRSS")
        header = b"From: ivan@shop.example\r\nTo: support@example.com\r\nSubject: big\r\n\r\n"
        body = header + LINE * (a.mb * 1_000_000 // len(LINE))
        codes: list = []
        threads = [
            threading.Thread(target=send, args=(port, body, not a.no_size, codes))
            for _ in range(a.clients)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - started
        peak = kib(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(60)
        shutil.rmtree(home, ignore_errors=True)
    size = "no SIZE" if a.no_size else "SIZE declared"
    print(
        f"{a.clients} x {a.mb} MB at once ({size}): listener RSS {before:.0f} MB before, "
        f"peak {peak:.0f} MB; {took:.1f} s; answers {sorted(set(map(str, codes)))}"
    )


if __name__ == "__main__":
    main()
