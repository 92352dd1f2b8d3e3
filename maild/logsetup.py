"""Where maild's log lines go: stderr (the journal, under systemd) or syslog.

`[log] target = "syslog"` is for `maild ingest` run by an MTA's pipe transport:
postfix copies a pipe command's stderr into its own log cut to one line, so there
the lines are sent to the local syslog socket (journald reads it) instead, whole,
tagged `maild[PID]` with facility mail.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys

FORMAT = "maild: %(levelname)s: %(message)s"
SYSLOG_SOCKETS = ("/dev/log", "/var/run/syslog")


def configure(verbose: bool) -> None:
    """stderr logging at INFO (DEBUG with -v); the noisy libraries kept to warnings."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format=FORMAT, stream=sys.stderr
    )
    # aiosmtpd logs every SMTP command at INFO; keep its warnings only
    quiet = logging.DEBUG if verbose else logging.WARNING
    logging.getLogger("mail.log").setLevel(quiet)
    # imapclient says "Connection closed" at INFO after every failed round too;
    # maild.imap logs what happened
    logging.getLogger("imapclient").setLevel(quiet)


def use_target(target: str) -> None:
    """Send the log to `target` ("stderr": as configured; "syslog": the local
    syslog socket, or stderr with a warning when there is none)."""
    if target != "syslog":
        return
    socket_path = next((p for p in SYSLOG_SOCKETS if os.path.exists(p)), None)
    if socket_path is None:
        logging.getLogger("maild").warning(
            "log.target is syslog but there is no syslog socket (%s): logging to stderr",
            ", ".join(SYSLOG_SOCKETS),
        )
        return
    handler = logging.handlers.SysLogHandler(
        address=socket_path, facility=logging.handlers.SysLogHandler.LOG_MAIL
    )
    handler.setFormatter(logging.Formatter("maild[%(process)d]: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
