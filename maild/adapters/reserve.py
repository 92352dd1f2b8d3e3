"""Space kept back on a file system, for the writes that must not fail on a full
disk: the outbox records "sent" only after the relay took a mail, and a record
that cannot be written means the mail goes again (4 mails went 43 times each).
When such a write fails, the reserve is given up and the write tried once more;
the outbox sends nothing until the reserve can be made again."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

RESERVE_BYTES = 1 << 20  # a few thousand records (a rename, a log line each)


class Reserve:
    def __init__(self, path: Path, size: int = RESERVE_BYTES) -> None:
        self.path = path
        self.size = size

    def ensure(self) -> str | None:
        """Make sure the reserve is there (made now if it was not); None when it is,
        else why it cannot be made (e.g. "No space left on device")."""
        try:
            if os.stat(self.path).st_blocks * 512 >= self.size:
                return None
        except FileNotFoundError:
            pass
        except OSError as e:
            return e.strerror or str(e)
        tmp = f"{self.path}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                allocate(fd, self.size)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return e.strerror or str(e)
        return None

    def release(self) -> None:
        """Give the space back to the file system, for the write that needs it."""
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def allocate(fd: int, size: int) -> None:
    """Blocks for the first `size` bytes of the file `fd` (at least), taken from the
    file system now; OSError (ENOSPC, EDQUOT) when it has not that much room."""
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as e:
        if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system without it
            raise
        block = b"\0" * 65536
        for _ in range(-(-size // len(block))):  # rounded up: a small size is a block too
            os.write(fd, block)
        os.fsync(fd)
