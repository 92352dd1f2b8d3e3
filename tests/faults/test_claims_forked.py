"""A forked child lets go of its copy of the parent's claim-folder lock (else a dead
parent's claims stay held while the child runs, once its pid is another process's),
whether the child is told (Spool.after_fork, as maild serve's children are) or first
claims; two spools of one process share its claimed/ folder (one does not take the
other's claims back as a dead process's)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from maild.adapters.claimers import claimer_alive
from maild.adapters.spool import Spool


def _orphaned_folder(root: Path, in_child: str) -> tuple[Path, int]:
    """A process claims a message, forks a child that does `in_child` and stays, and
    dies: its folder, and the child's pid (to end it)."""
    r, w = os.pipe()
    claimer = os.fork()
    if claimer == 0:
        try:  # (never back into pytest)
            spool = Spool(root)
            assert spool.claim(spool.add(b"Subject: x\n\nx\n"))
            child = os.fork()
            if child == 0:
                try:
                    if in_child == "told":
                        spool.after_fork()
                    else:
                        spool.claim(spool.add(b"Subject: y\n\ny\n"))
                    os.write(w, str(os.getpid()).encode().rjust(10))
                    time.sleep(60)
                finally:
                    os._exit(0)
        finally:
            os._exit(0)
    os.waitpid(claimer, 0)
    os.close(w)
    child = int(os.read(r, 10) or 0)  # (nothing: the child failed)
    os.close(r)
    assert child
    return root / "claimed" / str(claimer), child


@pytest.mark.parametrize("in_child", ["told", "claims"])
def test_a_forked_child_keeps_no_copy_of_the_parents_claim_lock(tmp_path, in_child):
    folder, child = _orphaned_folder(tmp_path / "spool", in_child)
    try:
        # the dead claimer's pid is a live process's now (pids are reused): the
        # folder's lock alone says it is gone
        assert not claimer_alive(str(folder), os.getpid())
        assert Spool(tmp_path / "spool").recover() == []  # (its pid: no one's now)
        assert not folder.exists()
    finally:
        os.kill(child, 9)  # (not ours to reap: its parent died)


def test_two_spools_of_one_process_share_its_claims(tmp_path):
    one, two = Spool(tmp_path / "spool"), Spool(tmp_path / "spool")
    key = one.add(b"Subject: x\n\nx\n")
    assert one.claim(key)
    other = two.add(b"Subject: y\n\ny\n")
    assert two.claim(other)
    assert sorted(one.claimed()) == sorted([key, other]) and list(one.pending()) == []


def test_a_spool_closed_leaves_the_folder_another_spool_of_the_process_holds(tmp_path):
    """`close` of one spool removed the process's claimed/ folder while another spool
    of the process held it: that one's next claim found no folder and took nothing."""
    one, two = Spool(tmp_path / "spool"), Spool(tmp_path / "spool")
    first = one.add(b"Subject: x\n\nx\n")
    assert one.claim(first)
    one.done(first)
    second = two.add(b"Subject: y\n\ny\n")
    assert two.claim(second)
    two.done(second)
    two.close()
    third = one.add(b"Subject: z\n\nz\n")
    assert one.claim(third) and one.claimed() == [third]
