"""The load generator: separate processes, smtplib, one message per SMTP session.

`run(port, mails, conns=8)` forks `conns` sender processes; sender k sends
messages k, k+conns, k+2*conns, ... each in its own session (connect, EHLO,
MAIL, RCPT, DATA, QUIT). Closed loop by default (each sender sends the next one
as soon as the previous session ends); with `rate` the load is open loop:
message i is due at start + i/rate and is sent then (or at once if the sender is
late), so the offered load is fixed whatever the server does.

Returns one Sent per message: times are time.time() in seconds, `eod` is when
the final "<CRLF>.<CRLF>" of DATA was handed to the socket, `done` when the
reply to it arrived.
"""

from __future__ import annotations

import multiprocessing as mp
import smtplib
import time
from dataclasses import dataclass

RCPT = "support@example.com"


@dataclass
class Sent:
    index: int
    start: float  # the session was opened
    eod: float  # end of DATA sent
    done: float  # reply to DATA received
    code: int  # 250 or the error code, -1 for a connection failure


class _Client(smtplib.SMTP):
    eod = 0.0

    def send(self, s):  # smtplib.data() sends the whole body ending in CRLF.CRLF at once
        if isinstance(s, bytes | bytearray) and s.endswith(b"\r\n.\r\n"):
            self.eod = time.time()
        return super().send(s)


def _send_one(
    port: int, sender: str, raw: bytes, timeout: float
) -> tuple[float, float, float, int]:
    start = time.time()
    try:
        c = _Client("127.0.0.1", port, local_hostname="loadgen.example", timeout=timeout)
        try:
            c.ehlo()
            code, _ = c.mail(sender)
            if code == 250:
                code, _ = c.rcpt(RCPT)
            if code in (250, 251):
                code, _ = c.data(raw)
            done = time.time()
            try:
                c.quit()
            except (OSError, smtplib.SMTPException):
                pass
        finally:
            c.close()
        return start, c.eod or done, done, code
    except (OSError, smtplib.SMTPException) as e:
        now = time.time()
        code = getattr(e, "smtp_code", -1)
        return start, now, now, code


def _worker(k, conns, port, mails, t0, rate, timeout, out) -> None:
    results = []
    for i in range(k, len(mails), conns):
        if rate:
            due = t0 + i / rate
            wait = due - time.time()
            if wait > 0:
                time.sleep(wait)
        else:
            wait = t0 - time.time()
            if wait > 0:
                time.sleep(wait)
        sender, _msgid, raw = mails[i]
        start, eod, done, code = _send_one(port, sender, raw, timeout)
        results.append((i, start, eod, done, code))
    out.send(results)
    out.close()


def run(
    port: int,
    mails: list[tuple[str, str, bytes]],
    *,
    conns: int = 8,
    rate: float | None = None,
    timeout: float = 60.0,
) -> list[Sent]:
    """Send all `mails` to 127.0.0.1:port; returns one Sent per message, by index."""
    ctx = mp.get_context("fork")  # the senders inherit `mails`: nothing to pickle
    t0 = time.time() + 0.3  # every sender starts at the same moment
    pipes, procs = [], []
    for k in range(min(conns, len(mails))):
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=_worker, args=(k, conns, port, mails, t0, rate, timeout, send))
        p.start()
        send.close()
        pipes.append(recv)
        procs.append(p)
    out: list[Sent] = []
    for recv in pipes:
        out += [Sent(*r) for r in recv.recv()]
    for p in procs:
        p.join()
    out.sort(key=lambda s: s.index)
    return out
