"""`maild restore ARCHIVE --storage DIR`: a storage rebuilt from an archive of
`maild backup` (maild/ops/backup.py), all of it or nothing. Run as root, the files
are given to the user who owns DIR (or its nearest existing parent), never left
root's: the service, which runs as that user, could not write them."""

from __future__ import annotations

import grp
import gzip
import json
import os
import posixpath
import pwd
import shutil
import tarfile
import zlib
from pathlib import Path

from maild.adapters import restoremark
from maild.adapters.layout import STORE_NAMES
from maild.adapters.outhold import hold_all
from maild.ops.backup import FORMAT, MANIFEST, BackupError
from maild.privileges import existing_ancestor

# the user the shipped systemd unit runs maild as (systemd/maild.service, User=)
UNIT_USER = "maild"


class OwnerError(BackupError):
    """Whom the restored files would belong to is wrong: the admin has to act (78)."""


def restore(
    archive: Path, target: Path, owner: str | None = None, hold: bool = True
) -> dict[str, object]:
    """Rebuild a storage at `target` (missing or empty) from an archive of `backup`.
    As root, every file and folder made is given to `owner` (a user name), by default
    to the owner of `target` or of its nearest existing parent (see `_new_owner`).
    A truncated or damaged archive restores nothing: what was extracted is removed.
    `hold`: its queued mail is held (adapters/outhold.py), its count the manifest's
    "held": the old desk may have sent it after the backup."""
    _check_target(target)
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:  # a mistyped name is no "not a maild backup"
        raise BackupError(f"{archive}: no such file") from None
    except (OSError, tarfile.TarError) as e:
        raise BackupError(f"{archive}: not a maild backup ({e})") from None
    with tar:
        try:
            member = tar.extractfile(MANIFEST)
            manifest = json.loads(member.read()) if member else None
        except (KeyError, ValueError):
            manifest = None
        except DAMAGED as e:  # the whole member list is read first: a cut shows here
            raise _damaged(archive, e) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError(
                f"{archive}: not a maild backup (no {MANIFEST}){_plain(tar, archive, target)}"
            )
        ids, top = _new_owner(target, owner), _top_made(target)
        since = str(manifest.get("created_at")) if hold else None
        manifest["held"] = _extract(tar, archive, target, top, (ids, since))
    return manifest


def _check_target(target: Path) -> None:
    """`target` must be missing or empty, or hold a restore that did not finish
    (adapters/restoremark.py), which is cleared here: the admin's way out of it."""
    if not target.exists():
        return
    if not target.is_dir():
        raise BackupError(f"{target}: not an empty directory; restore only into a new one")
    found = restoremark.state(target)
    if found == restoremark.RUNNING:
        raise BackupError(f"{target}: a restore into it is still running")
    if found == restoremark.UNFINISHED:
        _clear(target, keep_folder=True)
    elif any(target.iterdir()):
        raise BackupError(f"{target}: not an empty directory; restore only into a new one")


def _plain(tar: tarfile.TarFile, archive: Path, target: Path) -> str:
    """What to do with a plain tar of a storage (README's upgrade step, `tar -C
    /var/lib -czf ... maild`): extract it with tar, its top folder stripped and its
    owner given to the new folder; "" for any other archive. A storage: a folder
    with two or more names only a store has."""
    under: dict[tuple[str, ...], set[str]] = {}
    owners: dict[tuple[str, ...], str] = {}
    for m in tar.getmembers():
        parts = tuple(p for p in m.name.split("/") if p not in ("", "."))
        owners[parts] = m.uname or str(m.uid)
        for i, part in enumerate(parts):
            if part in STORE_NAMES:
                under.setdefault(parts[:i], set()).add(part)
    found = sorted((p for p, names in under.items() if len(names) > 1), key=len)
    if not found:
        return ""
    top = found[0]
    strip = f" --strip-components={len(top)}" if top else ""
    folder = f" (its folder {'/'.join(top)}/)" if top else ""
    owner = f" && chown {owners[top]}: {target}" if top in owners else ""
    return (
        f": it is a plain tar of a storage{folder}, not made by maild backup; extract it "
        f"with tar, with maild serve stopped, into a new or empty folder: mkdir -p {target} "
        f"&& tar -C {target}{strip} -xpf {archive}{owner}"
    )


def _new_owner(target: Path, owner: str | None) -> tuple[int, int] | None:
    """The uid and gid to give the restored files (None: whoever runs this keeps
    them). Root restoring into a folder of root's (/var/lib) keeps them root's, as
    asked, and is warned (root_owned): the service, run as its own user, would fail
    on every mail. Chowning what was written, not switching to the owner: the archive
    may lie where only root may read it (/root, a 0700 backup folder)."""
    me = os.geteuid()
    if owner is not None:
        try:
            pw = pwd.getpwnam(owner)
        except KeyError:
            raise OwnerError(f"--owner {owner}: no such user") from None
        if me != 0 and pw.pw_uid != me:
            raise OwnerError(f"--owner {owner}: only root may give the files to another user")
        return (pw.pw_uid, pw.pw_gid) if me == 0 else None
    if me != 0:
        return None
    st = existing_ancestor(target).stat()
    return None if st.st_uid == 0 else (st.st_uid, st.st_gid)


def root_owned(target: Path, owner: str | None) -> str | None:
    """After a restore: the warning for root, when the storage it made is root's and
    no --owner said so; else None."""
    if os.geteuid() != 0 or owner is not None or target.stat().st_uid != 0:
        return None
    said = f"warning: {target} belongs to root, and maild serve running as its own user"
    try:  # the user of the shipped unit, where the host has one
        pw = pwd.getpwnam(UNIT_USER)
    except KeyError:
        return (
            f"{said} cannot write it: give it to the user the service runs as (this host has "
            f"no user {UNIT_USER}): chown -R USER: {target}, or restore with --owner USER"
        )
    try:
        group = grp.getgrgid(pw.pw_gid).gr_name
    except KeyError:
        group = str(pw.pw_gid)
    return (
        f"{said} cannot write it: chown -R {UNIT_USER}:{group} {target} "
        f"(or restore with --owner {UNIT_USER})"
    )


def _top_made(target: Path) -> Path:
    """The topmost folder the restore creates on the way to `target` (`target`
    itself when it exists): what is given away, or removed on failure."""
    where = existing_ancestor(target)
    if where == target:
        return target
    return where / target.relative_to(where).parts[0]


# what reading a cut or altered .tar.gz raises: EOFError (cut), zlib.error and
# BadGzipFile (altered bytes, a wrong checksum), tarfile's own errors
DAMAGED = (EOFError, zlib.error, gzip.BadGzipFile, tarfile.TarError)


class _Hostile(tarfile.TarError):
    """A member no `maild backup` writes (checked here where tarfile has no filters)."""


class _Special(_Hostile):
    """A member that is no file, folder or hard link."""


class _Link(_Hostile):
    """A symbolic link: a backup holds files, folders and hard links only (backup.py
    adds no other entry), so one pointing anywhere was put in by hand."""


# what the "data" filter refuses: a path or a link out of the tree, a device or fifo
HOSTILE = (getattr(tarfile, "FilterError", _Hostile), _Hostile)
SPECIAL = (getattr(tarfile, "SpecialFileError", _Special), _Special)


def _hostile(archive: Path, e: BaseException) -> BackupError:
    """Not damage: a member made to be written elsewhere, or to be a device."""
    if isinstance(e, _Link):
        what = "a symbolic link"
    elif isinstance(e, SPECIAL):
        what = "a special file (a device, a fifo)"
    else:
        what = "a path outside the storage"
    return BackupError(
        f"{archive}: holds {what}, which no maild backup holds ({e}); nothing restored"
    )


def _damaged(archive: Path, e: BaseException) -> BackupError:
    why = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return BackupError(f"{archive}: damaged or truncated ({why}); nothing restored")


def _extract(
    tar: tarfile.TarFile,
    archive: Path,
    target: Path,
    top: Path,
    how: tuple[tuple[int, int] | None, str | None],
) -> int:
    """Every member but the manifest into `target`, then the rest of the gzip stream
    read to its end, so that its checksum is verified; then its queued mail held since
    `how`[1] (None: not held), and all made, from `top`, given to `how`[0] (uid, gid;
    None: kept); how many mails are held. On any failure (a damaged archive, a full
    disk, an owner the file system refuses) `target` is left as it was found, missing
    or empty (and the folders made on the way removed): a half-restored storage would
    start as if it were whole, and a part-owned one fail on the first mail. Killed
    (nothing left to clear it), the restore's mark stays (adapters/restoremark.py):
    every command refuses the storage, and the queue, extracted aside, is not in
    outbox/queue/ before it is held."""
    existed = target.exists()
    target.mkdir(parents=True, exist_ok=True)
    if not existed:  # as the unit makes it (StateDirectoryMode=0750): the archive has
        target.chmod(0o750)  # no entry for it, and the umask (022) made it 0755
    mark = None
    try:
        mark = restoremark.begin(target)  # killed from here on: every command refuses it
        members = [_staged(m) for m in tar.getmembers() if m.name != MANIFEST]
        _extract_data(tar, members, target)
        while tar.fileobj.read(1 << 20):
            pass
        ids, since = how
        n = _queue_held(target, since)
        if ids is not None:
            _give(top, *ids)
        restoremark.finish(target, mark)
    except BaseException as e:
        _clear(target if existed else top, keep_folder=existed)
        if mark is not None:
            os.close(mark)
        if isinstance(e, HOSTILE):  # (a TarError too: before the damaged)
            raise _hostile(archive, e) from None
        if isinstance(e, DAMAGED):
            raise _damaged(archive, e) from None
        raise
    return n


# the restored queue is extracted here, where no sender looks, held there, and only then
# put in its place in one rename: no moment shows any of it unheld
QUEUE, STAGED = "outbox/queue", "outbox/.restore-queue"


def _staged(m: tarfile.TarInfo) -> tarfile.TarInfo:
    """`m`, extracted under STAGED when it is the queue or in it (a hard link too)."""
    m.name = _moved(m.name)
    if m.islnk():
        m.linkname = _moved(m.linkname)
    return m


def _moved(name: str) -> str:
    path = posixpath.normpath(name.lstrip("/"))
    if path == QUEUE or path.startswith(QUEUE + "/"):
        return STAGED + path[len(QUEUE) :]
    return name


def _queue_held(target: Path, since: str | None) -> int:
    """The staged queue held since `since` (None: not held) and put in its place; how
    many mails are held."""
    staged = target / STAGED
    if not staged.is_dir():
        return 0
    n = 0 if since is None else hold_all(staged, since)
    os.rename(staged, target / QUEUE)
    return n


def _extract_data(tar: tarfile.TarFile, members: list[tarfile.TarInfo], target: Path) -> None:
    """The "data" filter refuses absolute paths, links out of the tree, devices, and
    gives the files to whoever extracts them. Python 3.11.0-3.11.3 (Debian 12 ships
    3.11.2) have no extraction filters: there the same checks are made here. A
    symbolic link is refused on either (the filter takes one that points inside). A
    hard link to a file the archive does not hold is damage (a member lost), as a cut."""
    if symlink := next((m for m in members if m.issym()), None):
        raise _Link(f"{symlink.name!r} links to {symlink.linkname!r}")
    try:
        _extract_members(tar, members, target)
    except KeyError as e:  # tarfile's word for it
        raise tarfile.ExtractError(f"a hard link to a file it does not hold: {e.args[0]}") from None


def _extract_members(tar: tarfile.TarFile, members: list[tarfile.TarInfo], target: Path) -> None:
    """tar.extractall, the "data" filter's checks made here where it has none."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(target, members=members, filter="data")
        return
    root = os.path.realpath(target)
    for m in members:
        m.name = m.name.lstrip("/")  # as the filter does: /x is x in the tree
        path = os.path.realpath(os.path.join(root, m.name))
        inside = os.path.commonpath([root, path]) == root
        link = os.path.realpath(os.path.join(root, m.linkname)) if m.islnk() else root
        if not (inside and os.path.commonpath([root, link]) == root):
            raise _Hostile(f"{m.name!r} would be written outside {target}")
        if not (m.isfile() or m.isdir() or m.islnk()):
            raise _Special(f"{m.name!r} is not a file or a folder")
        m.mode &= 0o755  # no set-uid bits, no group or other write
        m.uid, m.gid, m.uname, m.gname = os.geteuid(), os.getegid(), "", ""
    tar.extractall(target, members=members)


def _clear(target: Path, keep_folder: bool) -> None:
    if not keep_folder:
        shutil.rmtree(target, ignore_errors=True)
        return
    for child in target.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _give(top: Path, uid: int, gid: int) -> None:
    """Give `top` and all under it to uid:gid. lchown and a walk that follows no
    link: the extraction filters let no link point out of the tree anyway."""
    path = os.fspath(top)
    try:
        os.lchown(path, uid, gid)
        for folder, dirs, files in os.walk(top, onerror=_raise):
            for name in dirs + files:
                path = os.path.join(folder, name)
                os.lchown(path, uid, gid)
    except OSError as e:
        raise BackupError(
            f"{path}: cannot be given to uid {uid}, gid {gid} ({e.strerror or e}); nothing restored"
        ) from None


def _raise(error: OSError) -> None:
    raise error
