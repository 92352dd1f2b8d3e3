"""logsetup.configure: what reaches stderr (the journal) at each verbosity, as a new
`maild` process sets it up (its own interpreter: pytest's handlers make basicConfig
do nothing here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import logging, sys
from maild import logsetup
logsetup.configure(sys.argv[1] == "-v")
logging.getLogger("maild.outbox").debug("detail of a pass")
logging.getLogger("maild.outbox").info("sent a mail")
logging.getLogger("mail.log").info("aiosmtpd: every SMTP command")
logging.getLogger("mail.log").warning("aiosmtpd: a session broke")
logging.getLogger("imapclient").info("Connection closed")
"""


@pytest.mark.parametrize(
    ("verbose", "lines"),
    [
        ("", ["INFO: sent a mail", "WARNING: aiosmtpd: a session broke"]),
        (
            "-v",
            [
                "DEBUG: detail of a pass",
                "INFO: sent a mail",
                "INFO: aiosmtpd: every SMTP command",
                "WARNING: aiosmtpd: a session broke",
                "INFO: Connection closed",
            ],
        ),
    ],
)
def test_the_libraries_chatter_is_kept_out_of_the_log_unless_verbose(verbose, lines):
    """The listener's library logs every SMTP command at INFO, the IMAP one each closed
    connection: without -v only their warnings show beside maild's own INFO lines;
    with -v everything does, maild's DEBUG too."""
    p = subprocess.run([sys.executable, "-c", SCRIPT, verbose], capture_output=True,
                       text=True, timeout=30)  # fmt: skip
    assert p.stderr.splitlines() == [f"maild: {x}" for x in lines], p.stderr
