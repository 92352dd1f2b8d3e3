"""Whether a `maild serve` runs on a storage now, for `maild status`: the one that
serves it holds a lock on run/serve.lock (serving.claim_storage) for as long as it
runs, and the lock goes with its process, however it ends.

Every installation needs `maild serve`: with a pipe or an IMAP mailbox too, its
scheduler sends the reminders, escalations and reports and its sender the outbox
(README, "postfix → pipe"). So one that does not run is failing at once, not only
once the scheduler's last run is 10 minutes old.
"""

from __future__ import annotations

import fcntl
import os
import struct
from pathlib import Path
from typing import Any

# struct flock of 64-bit Linux: l_type, l_whence, l_start, l_len, l_pid (and padding)
_FLOCK = "hhqqi4x"


def probe(root: Path, serving: bool = False) -> dict[str, Any]:
    """{"running", "pid", "error", "stopped"}: running True with the pid holding
    run/serve.lock (None when it cannot be told, e.g. a process of another PID
    namespace), and stopped True while that process is stopped (SIGSTOP, a debugger:
    it holds the lock and does nothing; what it forked goes on), False when
    no process holds it (or there is none: serve never ran here, or a restored backup),
    None with the error when this user cannot open it.

    The test only asks (F_OFD_GETLK): it takes no lock, so a serve starting meanwhile
    finds the storage free. `serving`: this process is the serve that holds the lock
    (its metrics endpoint); it is not opened then, as a process's POSIX locks on a file
    go when it closes any descriptor of that file: the probe would free the storage
    for a second serve. Another process's descriptor releases nothing of serve's."""
    if serving:
        return _said(True, os.getpid())
    getlk = getattr(fcntl, "F_OFD_GETLK", None)
    if getlk is None:  # not Linux (maild runs under systemd): cannot tell
        return _said(None, error="no F_OFD_GETLK on this system")
    try:
        fd = os.open(root / "run" / "serve.lock", os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return _said(False)
    except OSError as e:
        return _said(None, error=f"{e.filename}: {e.strerror}")
    try:
        asked = struct.pack(_FLOCK, fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0)
        kind, _, _, _, pid = struct.unpack(_FLOCK, fcntl.fcntl(fd, getlk, asked))
    except OSError as e:
        return _said(None, error=f"run/serve.lock: {e.strerror}")
    finally:
        os.close(fd)
    if kind == fcntl.F_UNLCK:
        return _said(False)
    held = pid if pid > 0 else None
    return _said(True, held, stopped=_stopped(held))


def _said(
    running: bool | None, pid: int | None = None, error: str | None = None, stopped: bool = False
) -> dict[str, Any]:
    return {"running": running, "pid": pid, "error": error, "stopped": stopped}


def _stopped(pid: int | None) -> bool:
    """Whether process `pid` is stopped by a signal or a tracer (its state in /proc)."""
    if pid is None:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:  # gone meanwhile, or no /proc: running as far as the lock tells
        return False
    return stat[stat.rfind(b")") + 2 :][:1] in (b"T", b"t")


def reasons(serve: dict[str, Any] | None) -> list[str]:
    """The line that says serve does not run and what to do (pure); none while it
    runs or when it cannot be told (the other figures then speak as before)."""
    if serve and serve.get("stopped"):
        pid = serve.get("pid")
        return [
            f"maild serve (pid {pid}) is stopped (SIGSTOP, or a debugger holds it): it "
            "answers no mail and runs no jobs until it goes on: kill -CONT " + str(pid)
        ]
    if not serve or serve.get("running") is not False:
        return []
    return [
        "maild serve is not running (no process holds run/serve.lock): no mail is "
        "taken, processed or sent and no reminders go; systemctl status maild says why "
        "(a config error: maild check-config), systemctl start maild starts it"
    ]


def line(serve: dict[str, Any] | None) -> str | None:
    """The figure's line in `maild status`'s text."""
    if not serve:
        return None
    if serve.get("stopped"):
        return f"serve: stopped (pid {serve.get('pid')})"
    if serve.get("running"):
        return "serve: running" + (f" (pid {serve['pid']})" if serve.get("pid") else "")
    if serve.get("running") is False:
        return "serve: not running"
    return f"serve: cannot be told ({serve.get('error')})"
