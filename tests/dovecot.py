"""A throwaway real Dovecot IMAP server on loopback for integration tests.

Follows /work/shared/notes/dovecot-test-server.md; import the `dovecot` fixture in conftest.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from imapclient import IMAPClient

from tests.helpers import free_port

# carol's password is not ASCII (test_a_password_with_non_ascii_characters_logs_in). She
# is there from the start: Dovecot reads its passwd-file again on a change only once a
# second, so a user added just after another login was refused (a flaky test).
USERS = {"alice": "alicepw", "bob": "bobpw", "carol": "пароль123"}

CONF = string.Template(
    """\
protocols = imap
listen = 127.0.0.1
base_dir = ${DIR}/run
state_dir = ${DIR}/state
instance_name = dovecot-${PORT}
log_path = ${DIR}/dovecot.log

default_login_user = ${MAILUSER}
default_internal_user = ${MAILUSER}
default_internal_group = ${MAILGROUP}
first_valid_uid = 1
first_valid_gid = 1

ssl = yes
ssl_cert = <${DIR}/cert.pem
ssl_key = <${DIR}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${DIR}/passwd
}
userdb {
  driver = static
  args = uid=${MAILUSER} gid=${MAILGROUP} home=${DIR}/mail/%u
}
mail_location = maildir:~/Maildir
mail_fsync = never
# Dovecot's word in IDLE ("* OK Still here") every second, not every 2 min (randomized):
# a message that lands between the poller's SELECT and its IDLE is told with IDLE's
# "+ idling", which imapclient buffers and idle_check does not see until the server
# says something more (test_imap_idle_window); the tests append at any moment.
imap_idle_notify_interval = 1 secs

service anvil {
  chroot =
  # mode 0 turns the auth penalty off: otherwise one wrong-password test delays every
  # later login from 127.0.0.1 by ~4 s (auth_failure_delay does not cover it).
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  chroot =
  inet_listener imap {
    port = ${PORT}
  }
  inet_listener imaps {
    port = ${SSLPORT}
    ssl = yes
  }
}
${EXTRA}
"""
)


class DovecotServer:
    """One Dovecot instance in its own temp dir; start()/stop() may be repeated on the same ports.

    `extra_conf` is appended to dovecot.conf, e.g. an `imap_capability = ...` override.
    """

    def __init__(self, extra_conf: str = "") -> None:
        root = os.geteuid() == 0
        # Mail processes cannot run as uid 0: as root use the packaged `dovecot` user.
        self.mailuser = "dovecot" if root else pwd.getpwuid(os.getuid()).pw_name
        self.mailgroup = grp.getgrgid(pwd.getpwnam(self.mailuser).pw_gid).gr_name
        # Not pytest's tmp_path: its parents are 0700 and the mail user needs +x on them.
        self.dir = tempfile.mkdtemp(prefix="dovecot-")
        os.chmod(self.dir, 0o755)
        subprocess.run(
            # EC instead of the recipe's RSA-2048: same for the tests, keygen ~10x faster.
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
            + ["-nodes", "-days", "2"]
            + ["-subj", "/CN=localhost", "-keyout", f"{self.dir}/key.pem"]
            + ["-out", f"{self.dir}/cert.pem"],
            check=True,
            capture_output=True,
        )
        with open(f"{self.dir}/passwd", "w", encoding="utf-8") as f:
            f.writelines(f"{u}:{{PLAIN}}{p}\n" for u, p in USERS.items())
        os.mkdir(f"{self.dir}/mail")
        if root:
            shutil.chown(f"{self.dir}/mail", self.mailuser, self.mailgroup)
        self.host = "127.0.0.1"
        self.port, self.ssl_port = free_port(), free_port()
        with open(f"{self.dir}/dovecot.conf", "w") as f:
            f.write(
                CONF.substitute(
                    DIR=self.dir,
                    PORT=self.port,
                    SSLPORT=self.ssl_port,
                    MAILUSER=self.mailuser,
                    MAILGROUP=self.mailgroup,
                    EXTRA=extra_conf,
                )
            )
        self.proc: subprocess.Popen[bytes] | None = None

    def info(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "ssl_port": self.ssl_port,
            "users": dict(USERS),
            "dir": self.dir,
        }

    def start(self, timeout: float = 10) -> None:
        # Own session/process group, so stop() can killpg master and children at once.
        # stderr goes to a file: startup errors land there, and a pipe nobody reads could block.
        with open(f"{self.dir}/stderr.log", "ab") as err:
            self.proc = subprocess.Popen(
                ["dovecot", "-F", "-c", f"{self.dir}/dovecot.conf"],
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                rc, self.proc = self.proc.returncode, None
                with open(f"{self.dir}/stderr.log", errors="replace") as f:
                    msg = f.read().strip()
                raise RuntimeError(f"dovecot exited rc={rc}: {msg} (see {self.dir})")
            # The port opens before auth is ready: wait for the greeting, not for connect().
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    s.settimeout(5)
                    if s.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=10)
        self.proc = None

    def cleanup(self) -> None:
        # SIGKILL, not stop(): nothing is left to hear a BYE, and a master told to
        # terminate may wait a whole second for a child it just signalled (1.0 s
        # for every other server of a test, measured on Dovecot 2.3.19).
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        try:
            with open(f"{self.dir}/dovecot.log", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def require_dovecot() -> None:
    if not shutil.which("dovecot"):
        pytest.skip("dovecot binary not found (apt-get install dovecot-imapd)")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[dict[str, Any]]:
    """A running Dovecot shared by the session (one per xdist worker); users alice and bob."""
    require_dovecot()
    server = DovecotServer()
    try:
        server.start()
        yield server.info()
    finally:
        server.cleanup()


def connect(dovecot: dict[str, Any], user: str) -> IMAPClient:
    """A logged-in plain-port client; use it as a context manager so it is always closed."""
    client = IMAPClient(dovecot["host"], port=dovecot["port"], ssl=False, timeout=10)
    password = dovecot["users"][user]
    try:
        if password.isascii():
            client.login(user, password)
        else:  # imaplib's LOGIN sends ASCII only
            client.plain_login(user, password)
    except BaseException:
        client.shutdown()
        raise
    return client


def append(
    dovecot: dict[str, Any],
    user: str,
    raw_bytes: bytes,
    folder: str = "INBOX",
    flags: tuple[bytes, ...] = (),
    when: datetime | None = None,
) -> int | None:
    """APPEND one raw message to `folder` (created if missing), with the internal date
    `when` (else now); returns its UID if known."""
    with connect(dovecot, user) as client:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        resp = client.append(folder, raw_bytes, flags=flags, msg_time=when)
    # Dovecot has UIDPLUS: b"[APPENDUID <validity> <uid>] Append completed."
    parts = resp.split(b"]")[0].split() if resp.startswith(b"[APPENDUID") else []
    return int(parts[2]) if len(parts) == 3 else None


def messages(dovecot: dict[str, Any], user: str, folder: str = "INBOX") -> dict[int, dict]:
    """{uid: {"raw": bytes, "flags": tuple}} of `folder`, read without setting \\Seen."""
    with connect(dovecot, user) as client:
        if not client.folder_exists(folder):
            return {}
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        if not uids:
            return {}
        data = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"])
    return {uid: {"raw": d[b"BODY[]"], "flags": d[b"FLAGS"]} for uid, d in data.items()}


def reset_mailbox(dovecot: dict[str, Any], user: str) -> None:
    """Empty INBOX and delete every other folder, so each test starts from a clean account."""
    with connect(dovecot, user) as client:
        for _flags, _delim, name in client.list_folders():
            if name.upper() != "INBOX":
                client.delete_folder(name)
        client.select_folder("INBOX")
        uids = client.search("ALL")
        if uids:
            client.add_flags(uids, [b"\\Deleted"], silent=True)
            client.expunge()
        client.close_folder()
