"""Real file-system faults for the fault tests: a read-only bind mount over a
folder, and a small loop-mounted ext4 image that can be filled. Both need root and
mount(8); a test skips with the reason when the machine cannot do them."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

# ext4's journal committed only when asked (fsync, syncfs) in a test's time: a power
# cut then keeps only what was made durable (power_cut)
LAZY = "commit=600"


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def need_mount() -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount(8) for a real file-system fault")


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` read-only (EROFS, for root too) until the block ends."""
    need_mount()
    p = _run("mount", "--bind", str(folder), str(folder))
    if p.returncode != 0:
        pytest.skip(f"bind mount not possible here: {p.stderr.strip()}")
    try:
        p = _run("mount", "-o", "remount,bind,ro", str(folder))
        assert p.returncode == 0, p.stderr
        yield
    finally:
        _run("umount", "-l", str(folder))


@contextlib.contextmanager
def ext4(
    image: Path,
    mountpoint: Path,
    size_mb: int = 8,
    options: str = "",
    reserved: int = 0,
    inodes: int = 0,
) -> Iterator[Path]:
    """A fresh ext4 file system of `size_mb` MB, loop-mounted at `mountpoint` (with
    the mount `options`, e.g. LAZY), `reserved` % of its blocks kept for root, room
    for about `inodes` files (0: mkfs's default)."""
    need_mount()
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("mkfs.ext4 (e2fsprogs) is not installed")
    with open(image, "wb") as f:
        f.truncate(size_mb << 20)
    sized = ["-N", str(inodes)] if inodes else []
    p = _run("mkfs.ext4", "-q", "-F", "-m", str(reserved), *sized, str(image))
    assert p.returncode == 0, p.stderr
    mountpoint.mkdir(parents=True, exist_ok=True)
    p = _run(
        "mount", "-o", ",".join(["loop", *filter(None, [options])]), str(image), str(mountpoint)
    )
    if p.returncode != 0:
        pytest.skip(f"loop mount not possible here: {p.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        _run("umount", "-l", str(mountpoint))
        image.unlink(missing_ok=True)


def fill(folder: Path) -> Path:
    """Fill the file system of `folder` to the last block; the file to delete."""
    ballast = folder / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (1 << 20, 64 << 10, 4 << 10, 512):  # big steps, then the last blocks
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
    return ballast


@contextlib.contextmanager
def power_cut(image: Path, mountpoint: Path) -> Iterator[Path]:
    """What a power loss now would leave of the ext4 `image` (mounted with LAZY): its
    device as written so far (what the file system wrote to the loop device, not
    what it keeps in memory), its journal replayed (e2fsck, as a mount after the
    loss), mounted read-only at `mountpoint` until the block ends."""
    copy = image.with_suffix(".cut")
    shutil.copyfile(image, copy)
    try:
        p = _run("e2fsck", "-fy", str(copy))
        assert p.returncode in (0, 1), p.stdout + p.stderr  # (1: errors fixed: the journal)
        mountpoint.mkdir(parents=True, exist_ok=True)
        p = _run("mount", "-o", "loop,ro", str(copy), str(mountpoint))
        assert p.returncode == 0, p.stderr
        try:
            yield mountpoint
        finally:
            _run("umount", "-l", str(mountpoint))
    finally:
        copy.unlink(missing_ok=True)
