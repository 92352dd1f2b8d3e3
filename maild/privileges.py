"""Whose files maild writes, and how a file-system error is told to the admin.

Every file under storage.path must belong to the user the service runs as: a
root-owned registry.json or open/*.json left by `sudo maild license add` makes
the service fail every later mail. So a command run as root switches to the owner
of storage.path (uid and gid) before it touches anything; when the storage does
not exist yet, to the owner of its nearest existing parent (root for /var/lib:
then root is the owner, and stays it). Any other user who cannot write there is
refused with one line naming the owner.
"""

from __future__ import annotations

import errno
import os
import pwd
from pathlib import Path

# errors that trying again later will not fix: the admin has to act
PERMANENT_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR, errno.EISDIR}
)


class WrongUser(Exception):
    """The storage belongs to someone else and this user may not write it."""


def existing_ancestor(path: Path) -> Path:
    """`path` itself if it exists, else its nearest existing parent."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def become_storage_owner(storage: Path) -> str | None:
    """As root, become the owner of `storage` (see the module's docstring); the
    owner's name when it switched, else None. As anyone else, raise WrongUser if
    that user cannot write the storage."""
    where = existing_ancestor(storage)
    st = where.stat()
    if os.geteuid() != 0:
        if where == storage.absolute() and not os.access(where, os.W_OK | os.X_OK):
            name = user_name(st.st_uid)
            raise WrongUser(
                f"{storage} belongs to {name} and {user_name(os.geteuid())} may not write it: "
                f"run maild as {name} (sudo -u {name} maild ...)"
            )
        return None
    if st.st_uid == 0:
        return None
    name = user_name(st.st_uid)
    try:
        os.initgroups(name, st.st_gid)
    except (KeyError, OSError):  # a uid without a passwd entry: no supplementary groups
        os.setgroups([])
    os.setgid(st.st_gid)
    os.setuid(st.st_uid)
    return name


def is_permanent(e: OSError) -> bool:
    return e.errno in PERMANENT_ERRNOS


def describe(e: OSError) -> str:
    """One line for the admin: what went wrong, on which path, and whether waiting helps."""
    path = e.filename or "?"
    what = e.strerror or type(e).__name__
    if e.errno in (errno.EACCES, errno.EPERM):
        owner = ""
        try:
            owner = f" (it belongs to {user_name(existing_ancestor(Path(path)).stat().st_uid)})"
        except (OSError, TypeError):
            pass
        return (
            f"permanent error: {what}: {path}{owner}; "
            f"maild runs as {user_name(os.geteuid())}: fix the owner or run as the storage owner"
        )
    if is_permanent(e):
        return f"permanent error: {what}: {path}"
    return f"storage unavailable, try again later: {what}: {path}"
