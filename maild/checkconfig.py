"""`maild check-config`: every problem of the config and its storage, one line each.

It only reads: no App is built, so nothing is created (not the storage, not its
folders, not reply_secret), whoever runs it. Problems (exit 78) are what stops
maild from working; warnings are what works but is risky, each on its own line.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import stat
import sys
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

from maild import config as config_mod
from maild.adapters import cache
from maild.adapters.layout import KEY_READABLE, readable_keys, refusals
from maild.adapters.tls import tls_problem
from maild.configtypes import Config
from maild.domain.calendar import override_slips, unknown_year
from maild.keydrift import replaced_keys
from maild.output import print_json
from maild.overrides import failing, reasons
from maild.ownerreads import unreadable_files
from maild.portcap import listen_problems, low_port_warnings
from maild.privileges import (
    SERVICE_USER,
    existing_ancestor,
    not_writable,
    read_only,
    service_user,
    user_name,
)
from maild.templatecheck import template_findings

log = logging.getLogger("maild.serve")

EX_OK, EX_CONFIG = 0, 78
LOOPBACK = ("127.0.0.1", "::1", "localhost")
STATE_ROOT = Path("/var/lib")  # where systemd's StateDirectory= makes a service's store
# What maild trusts while support.authserv_id is unset (README, Trust): check-config
# warns with it, `maild serve` logs it at start.
NO_AUTHSERV_ID = (
    "support.authserv_id is not set: staff mail counts only as a reply to a staff notice "
    "(signed reply address), licenses are granted by the From line alone (see README, Trust)"
)


# the regulation's head of support: without one, nobody hears of a deadline missed
NO_HEAD = (
    "support.head is not set: no reminder to the head, no escalation when a reaction "
    "deadline passes, no daily SLA report and no alert of mail that cannot be sent goes "
    "to anyone: set support.head to the support head's address"
)


def check_config(path: str, as_json: bool = False) -> int:
    """Print every problem and warning (one line each, or one JSON object: config,
    ok, problems, warnings); 78 if there is a problem, else 0."""
    problems, warnings = findings(path)
    if as_json:
        report = {"config": path, "ok": not problems, "problems": problems, "warnings": warnings}
        print_json(report)
    else:
        for warning in warnings:
            print(f"maild: warning: {warning}", file=sys.stderr)
        for problem in problems:
            print(f"maild: config error: {problem}", file=sys.stderr)
        if not problems:
            print(f"maild: {path}: OK")
    return EX_CONFIG if problems else EX_OK


def on_reload(path: str) -> None:
    """SIGHUP (`systemctl reload maild`): nothing is reloaded, but the config is read as
    a restart would read it, and each problem that would stop that restart (exit 78)
    is logged in check-config's words: "restart the service" alone sent the admin to
    a restart that then failed."""
    try:
        problems = findings(path)[0]
    except Exception as e:  # a check that cannot run: said; the daemon goes on
        log.warning("SIGHUP: cannot check %s: %s", path, e or type(e).__name__)
        return
    for problem in problems:
        log.warning("SIGHUP: a restart would fail (exit 78, fix it first): %s", problem)
    if not problems:
        log.info(
            "SIGHUP: licenses and groups are always current; restart the service to apply "
            "config changes (%s: OK)",
            path,
        )


def findings(path: str) -> tuple[list[str], list[str]]:
    """(problems, warnings) of the config at `path` and its storage, each one line
    naming the config file."""
    try:
        cfg = config_mod.load(path)
    except config_mod.ConfigError as e:
        return list(e.problems), []
    warnings = [f"{cfg.path}: {w}" for w in config_warnings(cfg)]
    tls = [p for p in [tls_problem(cfg.smtp)] if p]
    # what this user cannot load; run as root, also what the service's user may not read
    own = [*tls, *unreadable_files(cfg)]
    problems = [*storage_problems(cfg), *token_problems(cfg), *listen_problems(cfg), *own]
    problems = [f"{cfg.path}: {p}" for p in problems]
    templates = config_mod.templates_problem(cfg)
    # run as the service's user: what it cannot list is said above, and not read
    barred = os.geteuid() != 0 and any(p.startswith("templates.path:") for p in own)
    if templates and not barred:
        problems.append(templates)
    elif cfg.templates.path and not barred:
        desk = (cfg.support.name, cfg.support.address)
        bad, odd = template_findings(Path(cfg.templates.path).expanduser(), support=desk)
        problems += [f"{cfg.path}: templates.path: {p}" for p in bad]
        warnings += [f"{cfg.path}: templates.path: {w}" for w in odd]
        # what no reading of the file shows: it failed on a mail (overrides.py)
        failed = reasons(failing(cfg.storage_path, cfg.templates.path), prefix="")
        warnings += [f"{cfg.path}: templates.path: {w}" for w in failed]
    return problems, warnings


def token_problems(cfg: Config) -> list[str]:
    """An OAuth2 token command whose program is not there: every login would fail."""
    out = []
    for key, command in (
        ("imap.oauth2_token_command", cfg.imap.oauth2_token_command if cfg.imap else ""),
        ("outbound.oauth2_token_command", cfg.outbound.oauth2_token_command),
    ):
        argv = shlex.split(command)
        if command and (not argv or shutil.which(argv[0]) is None):
            program = argv[0] if argv else ""
            out.append(f"key '{key}': no program {program!r} here (not found or not executable)")
    return out


def calendar_warning(cfg: Config) -> list[str]:
    """[calendar] days typed by mistake (domain.calendar.override_slips), and a year
    the `holidays` release knows no transferred days off of (see
    domain.calendar.unknown_year): its deadlines would count them as working days."""
    cal, kept = cfg.calendar, cache.folder()
    days = cache.russian_days(kept)
    slips = override_slips(cal.extra_days_off, cal.extra_working_days, days)
    slips = [f"[calendar] {s}" for s in slips]
    today = datetime.now(ZoneInfo(cfg.support.timezone)).date()
    year = unknown_year(today, cal.listed, cache.russian_transfers(kept))
    if year is None:
        return slips
    return slips + [
        f"the holidays package {version('holidays')} knows no transferred days off of "
        f"{year}: once they are decreed, upgrade it (pip install -U holidays) or list "
        f"them in [calendar] extra_days_off and extra_working_days"
    ]


def unreadable_by_owner(cfg: Config) -> list[str]:
    """Run as root (which reads anything), whether the storage's owner, the user the
    service runs as, may read the config by its mode: if not, `maild serve` (User=)
    stops at start with "cannot read config file" though check-config said OK."""
    try:
        owner, st = cfg.storage_path.stat().st_uid, os.stat(cfg.path)
    except OSError:
        return []
    if os.geteuid() != 0 or owner == 0:
        return []
    import grp
    import pwd

    try:
        user = pwd.getpwuid(owner)
    except KeyError:
        return []
    groups = os.getgrouplist(user.pw_name, user.pw_gid)
    bit = stat.S_IRUSR if st.st_uid == owner else stat.S_IRGRP if st.st_gid in groups else 0
    if st.st_mode & (bit or stat.S_IROTH):
        return []
    group = grp.getgrgid(user.pw_gid).gr_name
    return [
        f"{user.pw_name}, the owner of {cfg.storage_path}, cannot read it "
        f"({user_name(st.st_uid)}, mode {stat.S_IMODE(st.st_mode):04o}): maild serve as "
        f"{user.pw_name} stops at start; chown root:{group} {cfg.path} && chmod 640 {cfg.path}"
    ]


def start_warnings(cfg: Config) -> list[str]:
    """What `maild serve` logs at start, as check-config warns of it: keys readable by
    all, the calendar, a key of the config over another kept in the store."""
    return exposure_warnings(cfg) + calendar_warning(cfg) + replaced_keys(cfg)


def root_store_warning(cfg: Config) -> list[str]:
    """Run as root on a storage not made yet under /var/lib (where the unit's
    StateDirectory= makes it), with no service user to make it for
    (privileges.make_for_service): root's first command would make it root's, and the
    service (User=maild, postfix's pipe) could then write nothing."""
    storage = cfg.storage_path
    where = existing_ancestor(storage)
    if not storage.absolute().is_relative_to(STATE_ROOT):
        return []
    try:
        if os.geteuid() != 0 or where == storage.absolute() or where.stat().st_uid != 0:
            return []
    except OSError:
        return []
    if service_user(storage) is not None:
        return []
    user = os.environ.get("MAILD_USER") or SERVICE_USER
    return [
        f"storage.path {storage} does not exist and no user {user} who may enter {where} "
        f"does: a command run as root would make it root's, which the service cannot write; "
        f"make it first: install -d -o {user} -g {user} -m 0750 {storage} (README, Install)"
    ]


# without staff a new ticket's notice, the reminders and the morning digest go to no one
NO_STAFF = (
    "support.staff is empty: the notice of a new ticket, the reminders and the morning "
    "digest go to no one: list the support staff's addresses in support.staff"
)


def config_warnings(cfg: Config) -> list[str]:
    out = start_warnings(cfg) + unreadable_by_owner(cfg) + root_store_warning(cfg)
    if not cfg.support.authserv_id:
        out.append(NO_AUTHSERV_ID)
    if not cfg.support.head:
        out.append(NO_HEAD)
    if not cfg.support.staff:
        out.append(NO_STAFF)
    if cfg.imap is not None and not cfg.imap.verify_tls:
        out.append("imap.verify_tls = false: the IMAP server's certificate is not checked")
    out += imap_port_warnings(cfg) + low_port_warnings(cfg)
    smtp = cfg.smtp
    if smtp is not None and not smtp.tls_cert and smtp.host not in LOOPBACK:
        out.append(
            f"smtp.listen = {smtp.listen} takes mail from other hosts without STARTTLS: "
            "set smtp.tls_cert and smtp.tls_key, or listen on 127.0.0.1 behind postfix"
        )
    ob = cfg.outbound
    if ob.username and not ob.starttls and ob.host not in LOOPBACK:
        out.append(
            f"outbound.username is set but outbound.starttls is not: the "
            f"{'token' if ob.oauth2_token_command else 'password'} goes to {ob.host} unencrypted"
        )
    return out


def imap_port_warnings(cfg: Config) -> list[str]:
    """imap.ssl that does not fit the port: each try would fail (a TLS error, or 60 s
    without a greeting), and a password sent without TLS."""
    imap = cfg.imap
    if imap is None:
        return []
    if imap.ssl and imap.port == 143:
        return [
            "imap.ssl = true on port 143, a port of plain IMAP and STARTTLS: set "
            "imap.ssl = false and imap.starttls = true (or port = 993)"
        ]
    if not imap.ssl and imap.port == 993:
        return [
            "imap.ssl = false on port 993 (the default port), a port of implicit TLS: "
            "set port = 143 (with imap.starttls = true), or imap.ssl = true"
        ]
    if not imap.ssl and not imap.starttls and imap.host not in LOOPBACK:
        secret = "token" if imap.oauth2_token_command else "password"
        return [
            f"imap.ssl and imap.starttls are false: the {secret} goes to {imap.host} unencrypted"
        ]
    return []


def exposure_warnings(cfg: Config) -> list[str]:
    """Files holding a password or a signing key that every user of the host may
    read (the config, the keys kept in the storage): check-config warns, `maild
    serve` logs them at start."""
    out = []
    held = confidential_keys(cfg)
    mode = _mode(cfg.path)
    if held and mode is not None and mode & stat.S_IROTH:
        out.append(
            f"holds {', '.join(held)} and every user of this host can read it "
            f"(mode {mode:04o}): chmod 640 {cfg.path} && chown root:maild {cfg.path} "
            "(README, Install)"
        )
    for path, mode in readable_keys(cfg.storage_path):
        out.append(f"{path} {KEY_READABLE} (mode {mode:04o}): chmod 600 {path}")
    return out


def confidential_keys(cfg: Config) -> list[str]:
    """The keys set in `cfg` whose value lets its reader log in as maild (passwords)
    or sign as maild (keys: see configschema.SECRETS)."""
    web = cfg.web
    keys = {
        "imap.password": cfg.imap and cfg.imap.password,
        "outbound.password": cfg.outbound.password,
        "support.reply_secret": cfg.support.reply_secret,
        "web.secret": web and web.secret,
    }
    return [key for key, value in keys.items() if value]


def _mode(path: str | Path) -> int | None:
    """The permission bits of `path`, None when it cannot be read (said elsewhere)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def storage_problems(cfg: Config) -> list[str]:
    """What keeps maild from writing storage.path, or makes every command refuse it
    (adapters/layout.refusals), found without writing anything."""
    storage = cfg.storage_path
    where = existing_ancestor(storage)
    out = []
    if where != storage.absolute():
        owner = user_name(where.stat().st_uid)
        if where.is_dir() and os.access(where, os.W_OK | os.X_OK):
            return []  # created on first use, by (and for) the owner of `where`
        return [f"storage.path {storage} does not exist and {owner}'s {where} is not writable"]
    if not storage.is_dir():
        return [f"storage.path {storage} is not a directory"]
    st = storage.stat()
    owner = user_name(st.st_uid)
    if os.statvfs(storage).f_flag & os.ST_RDONLY:
        out.append(f"storage.path {read_only(storage)}")
    elif os.geteuid() != 0 and not os.access(storage, os.W_OK | os.X_OK):
        out.append(f"storage.path {not_writable(storage, st)}")  # what the others say
    strangers = _not_owned_by(storage, st.st_uid)
    if strangers:
        out.append(
            f"{len(strangers)} file(s) in the top two levels of {storage} do not belong to "
            f"its owner {owner}, e.g. {strangers[0]}: chown -R {owner}: {storage} "
            "(deeper, maild fsck names those they cannot read or write)"
        )
    try:  # what every other command refuses, by the same checks
        out += refusals(storage, secret_configured=bool(cfg.support.reply_secret))
    except OSError as e:
        out.append(f"cannot read {e.filename}: {e.strerror or e}")
    return out


def _not_owned_by(root: Path, uid: int, depth: int = 2) -> list[str]:
    """Files and folders under `root`, `depth` levels down, whose owner is not `uid`
    (left by running maild as root before it switched users itself: registry.json,
    reply_secret, open/*.json, spool and outbox folders). Not deeper: this runs
    before every service start (ExecStartPre) and a large store has millions."""
    found = []
    level = [os.fspath(root)]
    for _ in range(depth):
        below = []
        for folder in level:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        found.append(entry.path)
                    if entry.is_dir(follow_symlinks=False):
                        below.append(entry.path)
                except FileNotFoundError:
                    continue
        level = below
    return found
