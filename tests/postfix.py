"""A private postfix instance on loopback for system tests (needs root and postfix).

Its own config, queue and data directories in a temp dir, non-default ports, no
chroot, log in a file: it does not touch or depend on the system's postfix. The
configuration is README's LMTP hand-off: the support domain is in mydestination,
so local_recipient_maps must include the transport map, or postfix rejects
support@ as "User unknown in local recipient table", and recipient_delimiter
must be "+", or it rejects the signed reply addresses support+<tid>.<sig>@ so.
Customers live in a virtual domain delivered to Maildirs under <dir>/mail, so a
test reads what they got.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

MAILBOX_DOMAIN = "customer.example"

MAIN_CF = string.Template(
    """\
compatibility_level = 3.6
queue_directory = ${DIR}/queue
data_directory = ${DIR}/data
maillog_file_prefixes = ${DIR}
maillog_file = ${DIR}/maillog
mail_owner = postfix
myhostname = mx.example.com
mydomain = example.com
mydestination = example.com, localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
smtputf8_enable = no
# README: the support address goes to maild over LMTP ...
transport_maps = texthash:${DIR}/etc/transport
# ... and, as its domain is in mydestination, is a known local recipient
local_recipient_maps = proxy:unix:passwd.byname $$alias_maps $$transport_maps
# ... as are its signed reply addresses support+<tid>.<sig>@ (postfix's default: none)
recipient_delimiter = +
virtual_mailbox_domains = ${DOMAIN}
virtual_mailbox_base = ${DIR}/mail
virtual_mailbox_maps = texthash:${DIR}/etc/vmailbox
virtual_uid_maps = static:${UID}
virtual_gid_maps = static:${GID}
"""
)

# no chroot: the services read the config and maps where they are
MASTER_CF = """\
127.0.0.1:${PORT} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


CONFIG_AGE = 60  # s: the config's files made this old, well over what postfix waits for

# The queue's directories as `postfix start` makes them (postfix-script check-fatal:
# post-install create-missing, by postfix-files), owned by postfix: name -> group
# (None: root's), mode. Its pid/ is root's.
QUEUE_DIRS = {
    **dict.fromkeys(["active", "bounce", "corrupt", "defer", "deferred", "flush"], (None, 0o700)),
    **dict.fromkeys(["hold", "incoming", "private", "saved", "trace"], (None, 0o700)),
    "maildrop": ("postdrop", 0o730),
    "public": ("postdrop", 0o710),
}


def require_postfix() -> None:
    if os.geteuid() != 0 or shutil.which("postfix") is None:
        pytest.skip("needs root and postfix (apt-get install postfix)")


class Postfix:
    def __init__(
        self, port: int, lmtp: str, mailboxes: list[str], header_checks: str = "", main_cf: str = ""
    ) -> None:
        """`header_checks`: the regexp table's lines (README's, with authserv_id),
        main.cf's header_checks then naming it; `main_cf`: more lines of main.cf."""
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="maild-postfix-"))
        self.dir.chmod(0o755)  # postfix's services and virtual(8)'s user look inside
        self.etc = self.dir / "etc"
        owner = pwd.getpwnam("nobody")
        for sub in ("etc", "queue", "data", "mail"):
            (self.dir / sub).mkdir()
        shutil.chown(self.dir / "data", "postfix")
        os.chown(self.dir / "mail", owner.pw_uid, owner.pw_gid)
        values = dict(DIR=self.dir, DOMAIN=MAILBOX_DOMAIN, UID=owner.pw_uid, GID=owner.pw_gid)
        main = MAIN_CF.substitute(values)
        if header_checks:
            (self.etc / "header_checks").write_text(header_checks)
            main += f"header_checks = regexp:{self.etc}/header_checks\n"
        (self.etc / "main.cf").write_text(main + main_cf)
        (self.etc / "master.cf").write_text(MASTER_CF.replace("${PORT}", str(port)))
        (self.etc / "transport").write_text(f"support@example.com lmtp:inet:{lmtp}\n")
        (self.etc / "vmailbox").write_text(
            "".join(f"{m}@{MAILBOX_DOMAIN} {MAILBOX_DOMAIN}/{m}/\n" for m in mailboxes)
        )
        # postfix reads a file of its settings or a texthash map only once it is over
        # a second old (dict_load_file: else it may be half written), each of its
        # programs sleeping 1-2 s on fresh ones: these were written before it starts
        written = time.time() - CONFIG_AGE
        for path in self.etc.iterdir():
            os.utime(path, (written, written))

    def _run(self, command: str | Path, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(command), "-c", str(self.etc), *args], capture_output=True, text=True, timeout=60
        )

    def _daemon_directory(self) -> Path:
        return Path(self._run("postconf", "-h", "daemon_directory").stdout.strip())

    def start(self, timeout: float = 30) -> Postfix:
        """Runs master(8) itself, as `postfix start` does last: postfix-script's checks
        before it (post-install create-missing, postsuper, a find over the install for
        ownership) took ~2.5 s a start; the queue's directories are made here instead."""
        queue = self.dir / "queue"
        (queue / "pid").mkdir(mode=0o755)
        for name, (group, mode) in QUEUE_DIRS.items():
            (queue / name).mkdir()
            (queue / name).chmod(mode)
            shutil.chown(queue / name, "postfix", group)
        # -w: returns once the master runs (status 0) or failed to start
        r = self._run(self._daemon_directory() / "master", "-w")
        if r.returncode != 0:
            raise RuntimeError(f"postfix master failed: {r.stderr} {self.log()}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"postfix did not listen on {self.port}: {self.log()}")

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM to the master, as `postfix stop` and `postfix abort` send (the master
        passes it on to its services); `postfix stop` then polls in steps of 1 s."""
        try:
            pid = int((self.dir / "queue" / "pid" / "master.pid").read_text().split()[0])
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError, IndexError):
            pid = None
        deadline = time.monotonic() + timeout
        # its master still winding down: its files are still in use
        while pid is not None and _running(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        try:
            return (self.dir / "maillog").read_text(errors="replace")
        except OSError:
            return ""

    def maildir(self, mailbox: str) -> list[bytes]:
        """The mails delivered to mailbox@customer.example, oldest first."""
        new = self.dir / "mail" / MAILBOX_DOMAIN / mailbox / "new"
        if not new.is_dir():
            return []
        return [p.read_bytes() for p in sorted(new.iterdir(), key=lambda p: p.stat().st_mtime)]


def _running(pid: int) -> bool:
    """Not gone, nor a zombie: the master, its parent gone (master -w), is init's
    child, and an init may take a second or more to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def postfix_and_desk(
    tmp_path: Path,
    header_checks: str = "",
    main_cf: str = "",
    smtp: dict[str, object] | None = None,
    support: dict[str, object] | None = None,
):
    """A postfix (its header_checks table, more main.cf lines) handing support@ to
    `maild serve` over LMTP, anna staff, head@; `smtp`, `support`: more of maild's
    settings. Yields (mta, desk, daemon); both stopped after."""
    from tests.helpers import Daemon, Desk, free_port

    require_postfix()
    lmtp = f"127.0.0.1:{free_port()}"
    mta = Postfix(free_port(), lmtp, ["ivan", "anna", "head"], header_checks, main_cf)
    mta.start()
    daemon = None
    try:
        desk = Desk(
            tmp_path,
            mta.port,  # maild relays through postfix
            smtp={"listen": lmtp, "protocol": "lmtp", **(smtp or {})},
            support={
                "staff": [f"anna@{MAILBOX_DOMAIN}"],
                "head": f"head@{MAILBOX_DOMAIN}",
                **(support or {}),
            },
        )
        daemon = Daemon(desk).start()
        yield mta, desk, daemon
    finally:
        if daemon is not None:
            daemon.stop()
        mta.stop()
