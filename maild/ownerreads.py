"""check-config run as root: what the user `maild serve` runs as cannot read of the
files the config names. Root reads any file, so check-config said OK where the
service, run as the storage's owner (the unit's User=, or root's `maild serve`, which
switches to that owner: maild.privileges), then stopped at start (smtp.tls_cert and
tls_key, the keys kept in the store), paused processing on the first mail that needs
a file of templates.path, or failed every login (an oauth2_token_command only root
may run). Judged as the kernel judges that user: by the permission bits of the file
and of every folder above it (ACLs are not read)."""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from maild.configtypes import Config
from maild.installreads import import_dirs, unreadable_install
from maild.privileges import existing_ancestor, user_name

# permission bits by what is wanted and whose class applies: (user, group, others)
_BITS = {
    "r": (stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH),
    "x": (stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH),
}
_CLASSES = "ugo"
_VERB = {"r": "read", "x": "run", "rx": "list"}

STOPS = "maild serve stops at start"
PAUSES = "processing pauses on the first mail that needs it"


@dataclass(frozen=True)
class Reader:
    """The user the service runs as: the owner of the storage (or of its nearest
    existing parent: what `maild serve` started by root switches to)."""

    name: str
    uid: int
    gids: frozenset[int]
    group: str  # its login group, for a chgrp
    where: Path  # the folder it owns: the storage, or where it will be made
    me: bool = False  # this very process's user: the kernel is asked, not the bits read

    @property
    def who(self) -> str:
        """How a line names it: the owner of the storage, or whoever runs maild."""
        if self.me and existing_owner(self.where) != self.uid:
            return f"{self.name}, who runs this"
        return f"{self.name}, the owner of {self.where}"


def service_user(cfg: Config) -> Reader | None:
    """That user, when this runs as root and it is not root (root reads anything);
    None else, and for an owner without a passwd entry (no groups to judge by)."""
    if os.geteuid() != 0:
        return None
    where = existing_ancestor(cfg.storage_path)
    try:
        pw = pwd.getpwuid(where.stat().st_uid)
    except (OSError, KeyError):
        return None
    if pw.pw_uid == 0:
        return None
    try:
        group = grp.getgrgid(pw.pw_gid).gr_name
    except KeyError:
        group = str(pw.pw_gid)
    gids = frozenset(os.getgrouplist(pw.pw_name, pw.pw_gid))
    return Reader(pw.pw_name, pw.pw_uid, gids, group, where)


def running_user(cfg: Config) -> Reader | None:
    """The user this process runs as, when it is not root: check-config run as the
    service's user (the unit's ExecStartPre) judges templates.path for itself as root's
    judges it for that user, and says so in the same line. None for root and for a
    user without a passwd entry."""
    uid = os.geteuid()
    if uid == 0:
        return None
    try:
        pw = pwd.getpwuid(uid)
        group = grp.getgrgid(pw.pw_gid).gr_name
    except KeyError:
        return None
    where = existing_ancestor(cfg.storage_path)
    gids = frozenset([*os.getgroups(), os.getegid()])
    return Reader(pw.pw_name, uid, gids, group, where, me=True)


def existing_owner(path: Path) -> int | None:
    try:
        return path.stat().st_uid
    except OSError:
        return None


def _class(reader: Reader, st: os.stat_result) -> int:
    """Which bits the kernel reads for `reader`: the owner's, the group's or the others'
    (only the first that applies, even if a later one would allow more)."""
    return 0 if st.st_uid == reader.uid else 1 if st.st_gid in reader.gids else 2


def _may(reader: Reader, st: os.stat_result, want: str) -> bool:
    c = _class(reader, st)
    return all(st.st_mode & _BITS[w][c] for w in want)


@dataclass(frozen=True)
class Bar:
    """What keeps the reader out: `path` (the file itself, or a folder above it it
    may not enter) lacks `want` ("r", "x" or "rx") for it."""

    path: Path
    st: os.stat_result
    want: str


_ACCESS = {"r": os.R_OK, "x": os.X_OK, "rx": os.R_OK | os.X_OK}


def barrier(reader: Reader, path: Path, want: str) -> Bar | None:
    """Why `reader` may not `want` `path` (_bits); for this process's own user, only
    when the kernel refuses it (an ACL may allow what the bits do not)."""
    if not reader.me:
        return _bits(reader, path, want)
    if os.access(path, _ACCESS[want], effective_ids=True):
        return None
    bar = _bits(reader, path, want)
    if bar is None:  # refused by what the bits do not show (an ACL)
        try:
            bar = Bar(Path(path), os.stat(path), want)
        except OSError:
            return None  # not there, or a folder above it shuts it out: said elsewhere
    return bar


def _bits(reader: Reader, path: Path, want: str) -> Bar | None:
    """Why `reader` may not `want` ("r": read, "x": run, "rx": list a folder) `path`;
    None when it may, or when `path` is not there (said elsewhere). Both the folders
    the path names and those of the file a link leads to must let it pass."""
    try:
        st = os.stat(path)
        chains = dict.fromkeys([Path(path).absolute(), Path(path).resolve()])
        for chain in chains:
            for folder in reversed(chain.parents):  # "/" first, as the kernel walks
                above = os.stat(folder)
                if not _may(reader, above, "x"):
                    return Bar(folder, above, "x")
    except OSError:
        return None
    return None if _may(reader, st, want) else Bar(Path(path), st, want)


def fix(reader: Reader, bar: Bar, secret: bool = False) -> str:
    """The chmod (and chgrp) that lets `reader` through `bar`: its own class's bits
    when the class is its owner's or one of its groups; a file only its group should
    read (`secret`: a private key) given to its group; else the others' bits."""
    c, path, want = _class(reader, bar.st), bar.path, bar.want
    if c == 2 and secret and not stat.S_ISDIR(bar.st.st_mode):
        return f"chgrp {reader.group} {path} && chmod g+{want} {path}"
    return f"chmod {_CLASSES[c]}+{want} {path}"


def line(reader: Reader, key: str, path: Path, want: str, bar: Bar, then: str, how: str) -> str:
    """One line: which key, which file, what bars it, what follows, and `how` to fix."""
    whose = f"{user_name(bar.st.st_uid)}, mode {stat.S_IMODE(bar.st.st_mode):04o}"
    why = f"({whose})" if bar.path == path else f"(it may not enter {bar.path}: {whose})"
    return f"{key}: {reader.who}, cannot {_VERB[want]} {path} {why}: {then}; {how}"


def unreadable_files(cfg: Config) -> list[str]:
    """As root, one line per file the config names that the service's user cannot
    use: the TLS certificate and key, each folder and file of templates.path, the
    program of an oauth2_token_command, the signing keys the store keeps. Run as
    another user, what it cannot use of templates.path (its TLS files and keys are
    said by the checks that load them)."""
    reader = service_user(cfg)
    if reader is None:
        me = running_user(cfg)
        if me is None or not cfg.templates.path:
            return []
        return _templates(me, Path(cfg.templates.path).expanduser())
    found = []
    smtp = cfg.smtp
    if smtp is not None and smtp.tls_cert:
        for key, file, secret in (
            ("smtp.tls_cert", smtp.tls_cert, False),
            ("smtp.tls_key", smtp.tls_key, True),
        ):
            found += _check(reader, key, Path(file).expanduser(), "r", STOPS, secret)
    if cfg.templates.path:
        found += _templates(reader, Path(cfg.templates.path).expanduser())
    found += _programs(reader, cfg)
    return python_barred(reader, cfg) + found + _keys(reader, cfg)


def python_barred(reader: Reader, cfg: Config) -> list[str]:
    """The first import directory (installreads.import_dirs) the user may not list: each
    command run as root switches to it and stops with this line, `maild serve` too (a
    pyenv or `pip install --user` under /root)."""
    for folder in import_dirs():
        bar = _bits(reader, Path(folder), "rx")
        if bar is not None:
            blocked = bar.path if bar.path != Path(folder) else None
            said = unreadable_install(reader.name, folder, blocked)
            return [
                f"every command run as root switches to {reader.name}, the owner of "
                f"{cfg.storage_path}, and {said}"
            ]
    return []


def _check(reader: Reader, key: str, path: Path, want: str, then: str, secret: bool) -> list[str]:
    bar = barrier(reader, path, want)
    if bar is None:
        return []
    return [line(reader, key, path, want, bar, then, fix(reader, bar, secret))]


def _templates(reader: Reader, root: Path) -> list[str]:
    """Each folder of templates.path the user may not list and each file it may not
    read (any file there, not only *.txt: a template includes others by name); what
    is under a folder it may not list is not named again."""
    key = "templates.path"
    found = _check(reader, key, root, "rx", PAUSES, False)
    if found:
        return found
    for folder, dirs, files in os.walk(root):  # what it cannot list is not walked
        for name in sorted(dirs):
            path = Path(folder) / name
            bad = _check(reader, key, path, "rx", PAUSES, False)
            if bad:
                dirs.remove(name)
            found += bad
        for name in sorted(files):
            found += _check(reader, key, Path(folder) / name, "r", PAUSES, False)
    return found


def _programs(reader: Reader, cfg: Config) -> list[str]:
    """An oauth2_token_command whose program the user may not run (a script also
    read: its interpreter opens it)."""
    found = []
    for key, command in (
        ("imap.oauth2_token_command", cfg.imap.oauth2_token_command if cfg.imap else ""),
        ("outbound.oauth2_token_command", cfg.outbound.oauth2_token_command),
    ):
        argv = shlex.split(command) if command else []
        program = shutil.which(argv[0]) if argv else None
        if program is None:
            continue  # not there at all: checkconfig.token_problems says so
        want = "rx" if _is_script(program) else "x"
        then = "every login fails"
        bar = barrier(reader, Path(program), want)
        if bar is not None:
            how = fix(reader, bar)
            found.append(line(reader, key, Path(program), "x", bar, then, how))
    return found


def _is_script(program: str) -> bool:
    try:
        with open(program, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return False


def _keys(reader: Reader, cfg: Config) -> list[str]:
    """The signing keys of the store that the service reads (not those the config
    sets instead) whose mode bars their owner, the service's user (a chmod 000): each
    command, serve too, stops at start. One that belongs to another user is said with
    the storage's other strangers (checkconfig.storage_problems: the chown)."""
    read = []
    if not cfg.support.reply_secret:
        read.append(("storage.path", cfg.storage_path / "reply_secret"))
    if cfg.web is not None and not cfg.web.secret:
        read.append(("storage.path", cfg.storage_path / "web_secret"))
    found = []
    for key, path in read:
        bar = barrier(reader, path, "r")
        if bar is None or bar.st.st_uid != reader.uid:
            continue
        then = "maild serve and every command stop at start"
        how = f"chmod 600 {path}" if bar.path == path else fix(reader, bar)
        found.append(line(reader, key, path, "r", bar, then, how))
    return found


def templates_barred(cfg: Config) -> str | None:
    """For every command run as a user other than root: a templates.path that user
    may not list, in check-config's words (every mail needs it: `maild serve` would
    start and defer each one)."""
    me = running_user(cfg)
    if me is None or not cfg.templates.path:
        return None
    found = _check(me, "templates.path", Path(cfg.templates.path).expanduser(), "rx", PAUSES, False)
    return f"{cfg.path}: {found[0]}" if found else None
