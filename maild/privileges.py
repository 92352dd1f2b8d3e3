"""Whose files maild writes, and how a file-system error is told to the admin.

Every file under storage.path must belong to the user the service runs as: a
root-owned registry.json or open/*.json left by `sudo maild license add` makes
the service fail every later mail. So a command run as root switches to the owner
of storage.path (uid and gid) before it touches anything; when the storage does
not exist yet, to the owner of its nearest existing parent (root for /var/lib: then
root is the owner, and stays it, unless the service's user exists: a command that may
make the store then makes it for that user, as the unit's StateDirectory= would). Any
other user who cannot write there is refused with one line naming the owner.
Where this Python and maild live must be readable by that owner: installreads.py.
"""

from __future__ import annotations

import errno
import os
import pwd
import stat
from pathlib import Path

from maild import fsattr
from maild.installreads import import_dirs, unreadable_install

# errors that trying again later will not fix: the admin has to act
PERMANENT_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EEXIST,  # a file where a folder of the storage belongs
    }
)


SERVICE_USER = "maild"  # the unit's User= (systemd/maild.sysusers); env MAILD_USER


class WrongUser(Exception):
    """The storage belongs to someone else and this user may not write it."""


def existing_ancestor(path: Path) -> Path:
    """`path` itself if it exists, else its nearest existing parent. One this user may
    not look into (a parent of mode 0600) counts as not there, as for os.path.exists:
    Path.exists raised PermissionError, and check-config ended in a traceback."""
    path = path.absolute()
    while not os.path.exists(path) and path != path.parent:
        path = path.parent
    return path


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def service_user(storage: Path) -> pwd.struct_passwd | None:
    """The user a store made by root at `storage` is for: MAILD_USER (default maild,
    the unit's User=), when it exists, is not root and may enter the nearest existing
    parent (a store it cannot reach would be no use to it). None else."""
    try:
        pw = pwd.getpwnam(os.environ.get("MAILD_USER") or SERVICE_USER)
    except KeyError:
        return None
    if pw.pw_uid == 0 or not _may_enter(pw, existing_ancestor(storage)):
        return None
    return pw


def _may_enter(pw: pwd.struct_passwd, folder: Path) -> bool:
    """Whether `pw` may pass through `folder` and every folder above it (by the bits)."""
    gids = set(os.getgrouplist(pw.pw_name, pw.pw_gid))
    for path in [folder, *folder.parents]:
        st = path.stat()
        shift = 6 if st.st_uid == pw.pw_uid else 3 if st.st_gid in gids else 0
        if not st.st_mode >> shift & 1:
            return False
    return True


def make_for_service(storage: Path) -> None:
    """As root, a storage that does not exist under a folder of root's (/var/lib before
    the unit's first start made it with StateDirectory=): made as the unit makes it,
    the service's user's, mode 0750, so that `sudo maild license add` before the first
    start leaves no store the service cannot write. Left alone otherwise."""
    where = existing_ancestor(storage)
    if os.geteuid() != 0 or where == storage.absolute() or where.stat().st_uid != 0:
        return
    pw = service_user(storage)
    if pw is None:
        return
    storage.mkdir(mode=0o750, parents=True)
    os.chown(storage, pw.pw_uid, pw.pw_gid)
    storage.chmod(0o750)  # whatever root's umask


def become_storage_owner(
    storage: Path, reads_only: bool = False, create: bool = False
) -> str | None:
    """As root, become the owner of `storage` (see the module's docstring); the
    owner's name when it switched, else None. Raise WrongUser if the user it runs
    as then cannot write the storage (a read-only mount: root as well), unless the
    command only reads (`reads_only`) and the storage's file system is read-only: a
    disk remounted read-only after errors is when the admin most needs to read the
    tickets, and nothing such a command does needs writing there. A command that may
    make the store (`create`) makes a missing one for the service first."""
    if create:
        make_for_service(storage)
    where = existing_ancestor(storage)
    st = where.stat()
    if os.geteuid() != 0 or st.st_uid == 0:
        _check_writable(storage, where, st, reads_only)  # (root too: a read-only mount bars it)
        return None
    name = user_name(st.st_uid)
    dirs = import_dirs()
    try:
        os.initgroups(name, st.st_gid)
    except (KeyError, OSError):  # a uid without a passwd entry: no supplementary groups
        os.setgroups([])
    os.setgid(st.st_gid)
    os.setuid(st.st_uid)
    unreadable = next((d for d in dirs if not os.access(d, os.R_OK | os.X_OK)), None)
    if unreadable is not None:
        blocked = next(
            (p for p in reversed(Path(unreadable).parents) if not os.access(p, os.X_OK)), None
        )
        said = unreadable_install(name, unreadable, blocked)
        raise WrongUser(f"switched to {name}, the owner of {storage}, and {said}")
    _check_writable(storage, where, st, reads_only)  # as the owner: the service's verdict
    return name


def _check_writable(storage: Path, where: Path, st: os.stat_result, reads_only: bool) -> None:
    """Raise WrongUser if this user cannot write the existing `storage` (`where`: it
    or its nearest existing parent, `st` its stat), unless `reads_only` and its file
    system is read-only (a mode that bars writing is still refused: the service
    would fail on it, so the admin hears of it from any command)."""
    if where != storage.absolute() or os.access(where, os.W_OK | os.X_OK):
        return
    if not (reads_only and is_read_only(storage)):
        raise WrongUser(not_writable(storage, st))


def is_read_only(storage: Path) -> bool:
    """Whether `storage`'s file system is mounted read-only."""
    return bool(os.statvfs(storage).f_flag & os.ST_RDONLY)


def not_writable(storage: Path, st: os.stat_result) -> str:
    """What to do when this user may not write `storage` (`st`: its stat): mount its
    file system read-write when it is not; else run as its owner, unless that is root
    (no pipe of an MTA runs as root: give the storage to the user maild runs as) or
    this user already (its mode is at fault)."""
    if is_read_only(storage):
        return read_only(storage)
    name, me = user_name(st.st_uid), user_name(os.geteuid())
    if st.st_uid == os.geteuid():
        mode = oct(st.st_mode & 0o777)
        return f"{storage} belongs to {me}, but its mode {mode} bars writing: chmod u+rwx {storage}"
    if st.st_uid == 0:
        # the service's user, if there is one: not whoever ran this (sudo -u nobody)
        svc = service_user(storage)
        user = svc.pw_name if svc is not None else me
        then = "" if user == me else f", and run maild as {user} (sudo -u {user} maild ...)"
        return (
            f"{storage} belongs to root and {me} may not write it: give it to the user maild "
            f"runs as (chown -R {user}: {storage}), as README's install does{then}"
        )
    return (
        f"{storage} belongs to {name} and {me} may not write it: run maild as {name} "
        f"(sudo -u {name} maild ...; postfix's pipe: user={name} in master.cf)"
    )


UNIT_STORAGE = Path("/var/lib/maild")  # the one folder the shipped unit lets maild write


def read_only(storage: Path) -> str:
    """What to do about a storage on a read-only file system. Under the shipped
    systemd unit (ProtectSystem=strict) every path but /var/lib/maild is one."""
    text = f"{storage} is on a read-only file system: mount it read-write"
    if not storage.absolute().is_relative_to(UNIT_STORAGE):
        text += (
            f"; under the shipped systemd unit the storage must be {UNIT_STORAGE} or listed "
            f"in ReadWritePaths= (systemctl edit maild: ReadWritePaths={storage})"
        )
    return text


def is_permanent(e: OSError) -> bool:
    return e.errno in PERMANENT_ERRNOS


def describe(e: OSError, storage: Path | None = None) -> str:
    """One line for the admin: what went wrong, on which path, and whether waiting helps
    (`storage`: the storage.path maild worked on, when known: a folder in it of another
    owner is given back to the storage's owner)."""
    path = e.filename or "?"
    what = e.strerror or type(e).__name__
    if e.errno in (errno.EACCES, errno.EPERM):
        path = _barred(e)
        refused = _refused(path)
        foreign = _foreign_at(refused, storage) or _foreign(e.filename2, storage)  # a rename's
        if foreign:
            return f"permanent error: {what}: {foreign}"
        whose, fix = _hint_at(*refused) if refused is not None else ("", _any_fix())
        me = user_name(os.geteuid())
        return f"permanent error: {what}: {path}{whose}; maild runs as {me}: {fix}"
    if is_permanent(e):
        return f"permanent error: {what}: {path}"
    return f"storage unavailable, try again later: {what}: {path}"


def _barred(e: OSError) -> str:
    """The path a permission error is about: a rename's error names its source, but
    when the folder it would go to bars this user (spool/tmp/KEY to spool/new), the
    destination is what to name."""
    target = e.filename2
    if target and not os.access(os.path.dirname(os.fsdecode(target)), os.W_OK | os.X_OK):
        return os.fsdecode(target)
    return e.filename or "?"


def said(e: BaseException, storage: Path | None = None) -> str:
    """An error of the store as a log line says it: an OSError by describe (not
    "[Errno 28] No space left on device: '/path'"), any other in its own words."""
    return describe(e, storage) if isinstance(e, OSError) else str(e) or type(e).__name__


def refused_at(path: Path) -> tuple[Path, str]:
    """What refused this user `path`, and how: ("enter") the first folder above it
    it may not pass through; ("it") the path itself, or its folder when it may read and
    write the path (what was refused is removing or renaming it: its folder's to
    allow); ("would") a path that is not there (a temp file being made): the nearest
    folder it would be made in."""
    path = path.absolute()
    for folder in reversed(path.parents):  # "/" first, as the kernel walks
        if not os.path.lexists(folder):
            break
        if not os.access(folder, os.X_OK):
            return folder, "enter"
    if os.path.lexists(path):
        mine = os.access(path, os.R_OK | os.W_OK)
        return (path.parent if mine and not os.access(path.parent, os.W_OK) else path), "it"
    return existing_ancestor(path), "would"


def denied_at(path: str, storage: Path | None, other: str | None = None) -> tuple[str, str] | None:
    """(where, what to do) for a permission error on `path` inside `storage`: where
    is what refused (a temp file is never there: its folder), what to do names its
    owner and the fix; None for a path outside it (said as it is)."""
    refused = _refused(path)  # worked out once: what each answer below names
    if refused is not None and (foreign := _foreign_at(refused, storage)):
        return str(refused[0]), foreign
    there = _refused(other)  # a rename's target folder refused it
    if there is not None and (foreign := _foreign_at(there, storage)):
        return str(there[0]), foreign
    if refused is None or storage is None:
        return None
    where, how = refused
    try:
        inside = where.is_relative_to(storage.absolute())
    except (OSError, TypeError, ValueError):
        return None
    if not inside:
        return None
    named = path if how == "enter" else str(where)  # (a folder above it: said in brackets)
    # what refused `named`: the folder above it, or `named` itself (a path not there is
    # named by the folder it would be made in, which is there)
    whose, fix = _hint_at(where, "enter" if how == "enter" else "it")
    return str(where), f"{named}{whose}: {fix}"


def foreign_folder(folders: list[Path], storage: Path) -> str:
    """The first of `folders` (of the storage) that belongs to another user than the
    storage's owner, its owner and the chown (_foreign); "" when none does."""
    return next((said for f in folders if (said := _foreign(str(f), storage))), "")


def _refused(path: str | None) -> tuple[Path, str] | None:
    """refused_at of a path an error named; None for none, or one it cannot look at."""
    if not path:
        return None
    try:
        return refused_at(Path(path))
    except (OSError, TypeError, ValueError):
        return None


def _foreign(path: str | None, storage: Path | None) -> str:
    """_foreign_at of what refused `path`."""
    return _foreign_at(_refused(path), storage) if storage is not None else ""


def _foreign_at(refused: tuple[Path, str] | None, storage: Path | None) -> str:
    """For what refused a path inside `storage` (``refused``: refused_at of it) that
    belongs to another user than the storage's owner (left by maild run as root before
    it switched users, or by a root's cp or tar): which it is, whose, and the chown
    check-config gives; "" for anything else."""
    if storage is None or refused is None:
        return ""
    where = refused[0]
    try:
        top = storage.absolute()
        owner, st = top.stat().st_uid, where.stat()
    except (OSError, TypeError, ValueError):
        return ""
    if not where.is_relative_to(top) or st.st_uid == owner:
        return ""
    name = user_name(owner)
    return (
        f"{where} belongs to {user_name(st.st_uid)}, not to {name}, the owner of {top}: "
        f"chown -R {name}: {top}"
    )


def _any_fix() -> str:
    me = user_name(os.geteuid())
    return f"let {me} use it (its owner, group or mode), or give a path {me} may use"


def _hint_at(where: Path, how: str) -> tuple[str, str]:
    """(whose the path is, in brackets; what to do) for a permission error on a path
    that ``where`` refused, ``how`` (refused_at). A folder above it this user may not
    enter is named, with its owner and mode. Its owner is this user, and its mode lacks
    what the owner needs (a reply_secret left mode 000): the mode is at fault; else this
    user (maild runs as the storage's owner already: a backup folder, templates.path)
    needs access, or the path's owner runs it."""
    me, fix = user_name(os.geteuid()), _any_fix()
    try:
        st = where.stat()
    except (OSError, TypeError):
        return "", fix
    owner, mode = user_name(st.st_uid), stat.S_IMODE(st.st_mode)
    if how == "enter":
        return _enter_hint(me, where, st)
    whose = "it" if how == "it" else f"{where}, where it would be,"
    if held := fsattr.hint(where, whose):  # chattr +i: no owner or mode lets anyone in
        return held
    need, bits = ("rwx", 0o700) if where.is_dir() else ("rw", 0o600)
    if st.st_uid != os.geteuid():
        other = "" if st.st_uid == 0 else f", or run maild as {owner}"
        fix = f"let {me} use it (chown {me}: {where}, or a group or mode that lets {me} in){other}"
        return f" ({whose} belongs to {owner})", fix
    if st.st_mode & bits == bits:  # the owner's bits allow it: a folder above, an ACL ...
        return f" ({whose} belongs to {owner})", fix
    return (
        f" ({whose} belongs to {owner}, mode {mode:04o})",
        f"fix the mode: chmod u+{need} {where}",
    )


def _enter_hint(me: str, where: Path, st: os.stat_result) -> tuple[str, str]:
    """(why, fix) when `me` may not pass through the folder `where` above the path."""
    owner, mode = user_name(st.st_uid), stat.S_IMODE(st.st_mode)
    why = f" ({me} may not enter {where}: {owner}, mode {mode:04o})"
    if st.st_uid == os.geteuid():
        return why, f"fix the mode: chmod u+x {where}"
    other = "" if st.st_uid == 0 else f", or run maild as {owner}"
    return why, f"let {me} pass through it (chmod o+x {where}, or a group that lets {me} in){other}"
