"""What may be used as a store: storage.path is made into a new store only when it
is missing or empty; a directory holding anything else is refused (a typo in
storage.path must not start an empty desk beside the real one), and so is a store
with tickets whose reply_secret is gone (a new one would silently break every
signed reply address and Message-ID sent so far), and one a `maild restore` is
making or did not finish (adapters/restoremark.py)."""

from __future__ import annotations

import errno
import logging
import os
import secrets
import stat
from pathlib import Path

from maild.adapters import restoremark
from maild.config import ConfigError

log = logging.getLogger("maild.store")

# Names only a maild store has at its top; lost+found is what mkfs leaves in an
# empty file system.
STORE_NAMES = {"spool", "tickets", "outbox", "open", "index", "archive", "reply_secret"}
IGNORED = {"lost+found"}


class StoreRefused(ConfigError):
    """storage.path cannot be used as it is (one line for the admin)."""


def refusals(root: Path, secret_configured: bool) -> list[str]:
    """Why every command refuses `root` as its store (check_storage, reply_secret),
    found without creating or changing anything: for `maild check-config`.
    `secret_configured`: support.reply_secret is set (the file is not needed)."""
    why = restoremark.refusal(root) or _not_a_store(_names(root), root)
    if why is None and not secret_configured:
        why = _secret_lost(root / "reply_secret", root)
    return [why] if why else []


def _names(root: Path) -> set[str]:
    try:
        return set(os.listdir(root)) - IGNORED
    except FileNotFoundError:
        return set()


def _not_a_store(names: set[str], root: Path) -> str | None:
    if names and not names & STORE_NAMES:
        return (
            f"storage.path {root}: the directory is not empty and is not a maild store; "
            "give a missing or empty directory for a new store"
        )
    return None


def is_new(root: Path) -> bool:
    """`root` holds no store yet (missing or empty): check_storage would make one."""
    return not _names(root)


def check_storage(root: Path, create: bool = True) -> bool:
    """Make sure `root` is a store or can become one; True when it is a new one
    (created now). `create`: False for a command that only reads or works on what is
    there (a wrong path or a file system not mounted yet must not look like an empty
    desk, nor leave a store under the mount point). Raises StoreRefused, or OSError
    when it cannot be read."""
    names = _names(root)
    why = restoremark.refusal(root) or _not_a_store(names, root)
    if why is not None:
        raise StoreRefused(why)
    if names:
        return False
    if not create:
        raise StoreRefused(
            f"storage.path {root}: no maild store there yet (`maild serve` or `maild ingest` "
            "makes it); is the path right and its file system mounted?"
        )
    root.mkdir(parents=True, exist_ok=True)
    log.info("created a new store at %s", root)
    return True


def has_tickets(root: Path) -> bool:
    try:
        with os.scandir(root / "tickets") as entries:
            return any(True for _ in entries)
    except FileNotFoundError:
        return False


def reply_secret(root: Path) -> bytes:
    """The key of signed reply addresses kept in the store, made once when the store
    has no tickets yet. Raises StoreRefused when tickets exist but the key is gone."""
    path = root / "reply_secret"
    secret = _read_secret(path)
    if secret:
        return secret  # as it is: the key of every address signed so far
    why = _secret_lost(path, root)
    if why is not None:
        raise StoreRefused(why)
    return make_secret(path)


def _secret_lost(path: Path, root: Path) -> str | None:
    """Why the key at `path` may not be made anew: it is missing or empty and the
    store has tickets; None when it is there or may be made."""
    if _read_secret(path) or not has_tickets(root):
        return None
    return (
        f"{path} is missing or empty but the store has tickets: restore it from a "
        "backup (or set support.reply_secret to the old key); a new key would "
        "break the reply addresses of all mail sent so far"
    )


def kept_secret(path: Path) -> bytes:
    """A key kept in the store whose loss only expires what it signed (the site's
    links: a customer asks for a new one): read it, or make it once."""
    return _read_secret(path) or make_secret(path)


def _read_secret(path: Path) -> bytes:
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        return b""
    return secret if secret.strip() else b""


# The signing keys maild makes into the store (App.kept_secret), each mode 0600, and
# what one that others can read means (check-config, status, serve's start).
KEY_FILES = ("reply_secret", "web_secret")
KEY_READABLE = "is a signing key every user of this host can read"


def readable_keys(root: Path) -> list[tuple[Path, int]]:
    """(path, permission bits) of each key file in the store that every user of the
    host may read (someone's chmod, a copy made by hand): whoever reads one signs as
    maild does. For check-config, status and serve's start."""
    found = []
    for name in KEY_FILES:
        try:
            mode = stat.S_IMODE(os.stat(root / name).st_mode)
        except OSError:
            continue  # not made yet, or not ours to read: said elsewhere
        if mode & stat.S_IROTH:
            found.append((root / name, mode))
    return found


def make_secret(path: Path) -> bytes:
    """Write a new random key (mode 0600, fsynced); if another process made one
    meanwhile, that one wins. Returns the key in the file; on a read-only file
    system a key of this process alone: only a command that reads the store gets that
    far there (cli refuses the others), and it signs nothing kept."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as e:
        if e.errno != errno.EROFS:
            raise
        return secrets.token_hex(32).encode()
    try:
        os.write(fd, secrets.token_hex(32).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if path.exists():  # an empty one, left by a crash of an older version
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if another process made one meanwhile: use that
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()
