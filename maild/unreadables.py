"""Files of the store maild may not read: left by an older version run as root (which
did not switch to the storage's owner), or copied in by root (`cp` keeps root's owner
and a 0600 mode). Their content may be whole, so they are neither called corrupt nor
set aside: `maild fsck` names them with the chown that fixes them, `maild status` says
what it cannot count for them."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from maild.adapters.store.summaries import open_files
from maild.privileges import user_name

UNREADABLE = "cannot read it"  # how a why of OutQueue.broken starts for such a file


def chown_fix(root: Path, path: str | Path) -> str:
    """What lets maild read `path` again: the chown to the storage's owner when the
    file is someone else's, else its mode or the disk is at fault."""
    owner = root.stat().st_uid
    try:
        st = os.stat(path)
    except OSError:
        return "fix its mode, or the disk"
    if stat.S_ISDIR(st.st_mode):
        return f"a directory is in its place: move it out of {os.path.dirname(path)}"
    if st.st_uid != owner:
        return f"chown {user_name(owner)}: {path}"
    if st.st_mode & 0o600 != 0o600:  # its owner's own bits bar it (mode 000)
        return f"chmod u+rw {path}"
    return "fix its mode, or the disk"


def unreadable_spool(root: Path) -> list[dict[str, str]]:
    """Mail waiting in spool/new that this user may not read (root copied it in: mode
    0600, root's; a directory in its place): it waits, held back alone, until it is
    mended ({"path", "fix"} each)."""
    found = []
    for path, _why in unreadable_mail(root / "spool" / "new"):
        found.append({"path": str(path), "fix": chown_fix(root, path)})
    return found


def unreadable_mail(folder: Path) -> list[tuple[Path, str]]:
    """The files in `folder` this user may not read, and why."""
    found = []
    for name in sorted(os.listdir(folder)):
        path = folder / name
        try:
            with open(path, "rb") as f:
                f.read(1)
        except FileNotFoundError:  # taken meanwhile
            continue
        except OSError as e:
            found.append((path, str(e.strerror or e)))
    return found


def unreadable_mail_reasons(spool: dict[str, Any]) -> list[str]:
    """status's lines for them (degraded: the mail waits, the rest is processed)."""
    me = user_name(os.geteuid())
    return [
        f"cannot read {u['path']} (maild runs as {me}): that mail waits until it can: {u['fix']}"
        for u in spool.get("unreadable") or []
    ]


def unreadable_outbox(root: Path, broken: dict[str, str]) -> list[dict[str, str]]:
    """The queue files of the outbox's last listing (OutQueue.broken) that maild may
    not read (outfile.unreadable): the rest of the queue goes, their mail waits until
    it can ({"path", "fix"} each, as unreadable_spool's)."""
    found = [path for path, why in broken.items() if why.startswith(UNREADABLE)]
    return [{"path": path, "fix": chown_fix(root, path)} for path in sorted(found)]


def unreadable_files(root: Path) -> list[dict[str, str]]:
    """The registry and the parts of open/ this user may not read (status counts
    licenses and open tickets from them): {"path", "fix"} each."""
    found = []
    for path in [root / "registry.json", *open_files(root)]:
        if path.exists() and not os.access(path, os.R_OK):
            found.append({"path": str(path), "fix": chown_fix(root, path)})
    return found


def unreadable_reasons(tickets: dict[str, Any]) -> list[str]:
    """status's lines for them, from its tickets figures (degraded: what they hold is
    left out, not lost)."""
    me = user_name(os.geteuid())
    files = tickets.get("unreadable") or []
    return [f"cannot read {f['path']} (maild runs as {me}): {f['fix']}" for f in files]


def tickets_line(tickets: dict[str, Any]) -> str:
    """status's line of the open tickets: a count that leaves some out says so."""
    parts = sum(Path(u["path"]).parent.name == "open" for u in tickets.get("unreadable") or [])
    left = f" (and those in {parts} file(s) maild cannot read)" if parts else ""
    return f"tickets: {tickets['open']} open{left}, {tickets['overdue']} overdue"
