"""portcap.CannotListen: the exit of `maild serve` whose listener could not start
tells systemd whether to restart it. No permission to listen (EACCES for a low port
without the capability, EPERM from a seccomp or LSM rule) stays so: 78, which the
unit's RestartPreventExitStatus stops at; a port taken may be free in 5 s: 71.
(tests/integration/test_root_safety.py: a low port end to end, as root.)"""

from __future__ import annotations

import errno

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
