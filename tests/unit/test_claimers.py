"""adapters.claimers: whether the process that claimed spool mail still runs. Mail a
living process holds, taken back, is processed twice (a ticket and its mail twice)."""

from __future__ import annotations

import os

from maild.adapters import claimers


def test_a_process_of_another_user_is_alive() -> None:
    """kill(pid, 0) on another user's process is refused, not "no such process": it
    runs (a maild run by hand as another user holds its claims). Asked by a child that
    is not root (root may signal anyone) of pid 1, root's."""
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            os.write(w, b"alive" if claimers.pid_alive(1) else b"dead")
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(child, 0)
    with os.fdopen(r, "rb") as answer:
        assert answer.read() == b"alive"


def test_a_claim_folder_without_its_lock_is_told_by_its_pid(tmp_path) -> None:
    """A folder whose .lock is not made yet (or an older maild's, which made none) is
    its living process's while that pid runs; one whose .lock no one holds is not."""
    folder = str(tmp_path)
    assert claimers.claimer_alive(folder, os.getpid()) is True
    (tmp_path / claimers.LOCK).touch()
    assert claimers.claimer_alive(folder, os.getpid()) is False
    fd = claimers.hold(folder)
    try:
        assert claimers.claimer_alive(folder, os.getpid()) is True
    finally:
        os.close(fd)
