"""portcap.CannotListen: the exit of `maild serve` whose listener could not start
tells systemd whether to restart it. No permission to listen (EACCES for a low port
without the capability, EPERM from a seccomp or LSM rule) stays so: 78, which the
unit's RestartPreventExitStatus stops at; a port taken may be free in 5 s: 71.
(tests/integration/test_root_safety.py: a low port end to end, as root.)"""

from __future__ import annotations

import errno
import os

import pytest

from maild.portcap import EX_CONFIG, EX_OSERR, CannotListen


@pytest.mark.parametrize(
    "error, code",
    [
        (PermissionError(errno.EACCES, "Permission denied"), EX_CONFIG),
        (PermissionError(errno.EPERM, "Operation not permitted"), EX_CONFIG),
        (OSError(errno.EADDRINUSE, "Address already in use"), EX_OSERR),
    ],
    ids=["EACCES", "EPERM", "EADDRINUSE"],
)
def test_a_listener_refused_for_want_of_permission_exits_78_else_71(error, code):
    assert CannotListen("", "127.0.0.1:2525", error).code == code


@pytest.mark.parametrize("error", [errno.EACCES, errno.EPERM], ids=["EACCES", "EPERM"])
def test_a_low_port_refused_for_want_of_permission_names_the_capability(error):
    """A bind refused by the kernel (EACCES) or by a rule (EPERM: systemd's
    SocketBindDeny=, a seccomp filter) on a port below 1024 tells how to grant the
    capability; a port from 1024 up, or a port taken, gets no such hint."""
    refused = PermissionError(error, os.strerror(error))
    assert "CAP_NET_BIND_SERVICE" in str(CannotListen("", "127.0.0.1:25", refused))
    assert "CAP_NET_BIND_SERVICE" not in str(CannotListen("", "127.0.0.1:2525", refused))
    taken = OSError(errno.EADDRINUSE, "Address already in use")
    assert "CAP_NET_BIND_SERVICE" not in str(CannotListen("", "127.0.0.1:25", taken))
