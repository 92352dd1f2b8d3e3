"""Whether the process that claimed spool mail still runs: each claimed/<pid>/ folder's
.lock is flocked by its process for as long as it lives (`hold`), so a dead claimer is
told by the lock, not by its pid alone, which another process may have now."""

from __future__ import annotations

import fcntl
import os

from maild.adapters.durable import flock_held

LOCK = ".lock"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (a reaped one does not)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # (a file named by 20 figures: no pid)
        return False
    except PermissionError:
        return True
    return True


def claimer_alive(folder: str, pid: int) -> bool:
    """Whether the process that made claimed/<pid>/ (`folder`) still runs: it holds
    the flock of the folder's .lock while it lives. A pid alone is no proof (another
    process may have it now); a folder without a .lock (one being made, or an older
    maild's) is told by its pid."""
    return pid_alive(pid) and locked(folder) is not False


def locked(folder: str) -> bool | None:
    """Whether `folder`'s .lock is flocked now (durable.flock_held); None: it has no
    .lock."""
    return flock_held(f"{folder}/{LOCK}")


def hold(folder: str) -> int:
    """Flock `folder`'s .lock for as long as this process lives (or until close()):
    made and locked under a temp name first, so that whoever finds a .lock finds it
    locked while its maker runs. Its descriptor."""
    tmp = f"{folder}/{LOCK}.tmp"
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(tmp, f"{folder}/{LOCK}")
    except BaseException:
        os.close(fd)
        raise
    return fd
