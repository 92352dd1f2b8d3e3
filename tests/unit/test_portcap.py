"""portcap.CannotListen: the exit of `maild serve` whose listener could not start
tells systemd whether to restart it. No permission to listen (EACCES for a low port
without the capability, EPERM from a seccomp or LSM rule) stays so: 78, which the
unit's RestartPreventExitStatus stops at; a port taken may be free in 5 s: 71.
(tests/integration/test_root_safety.py: a low port end to end, as root.)"""

from __future__ import annotations

import errno
import os
from types import SimpleNamespace

import pytest

from maild import portcap
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


def test_the_first_unprivileged_port_gets_no_capability_hint(monkeypatch):
    """ip_unprivileged_port_start (1024, or an admin's own) is the first port any user
    may listen on: a bind there refused (a rule's EPERM) is no matter of
    CAP_NET_BIND_SERVICE, the port below it is."""
    monkeypatch.setattr(portcap, "unprivileged_start", lambda: 1024)
    refused = PermissionError(errno.EPERM, os.strerror(errno.EPERM))
    assert "CAP_NET_BIND_SERVICE" not in str(CannotListen("", "127.0.0.1:1024", refused))
    assert "CAP_NET_BIND_SERVICE" in str(CannotListen("", "127.0.0.1:1023", refused))
    monkeypatch.setattr(portcap, "unprivileged_start", lambda: 500)  # an admin's own
    assert "CAP_NET_BIND_SERVICE" not in str(CannotListen("", "127.0.0.1:500", refused))
    assert "a port below 500 takes" in str(CannotListen("", "127.0.0.1:499", refused))


def test_check_config_warns_of_a_port_below_the_first_unprivileged_one_only(monkeypatch):
    """check-config, run without the capability, warns of each listener serve could not
    start: port 1023 (below ip_unprivileged_port_start) and the metrics' 99, not 1024, which
    any user may."""
    monkeypatch.setattr(portcap, "unprivileged_start", lambda: 1024)
    monkeypatch.setattr(portcap, "may_bind_low", lambda: False)
    monkeypatch.setattr(portcap, "service_user", lambda cfg: None)
    cfg = SimpleNamespace(
        smtp=SimpleNamespace(listen="127.0.0.1:1024"),
        web=SimpleNamespace(listen="127.0.0.1:1023"),
        metrics=SimpleNamespace(listen="127.0.0.1:99"),
    )
    web, metrics = portcap.low_port_warnings(cfg)  # type: ignore[arg-type]
    assert web.startswith("web.listen = 127.0.0.1:1023: ") and "CAP_NET_BIND_SERVICE" in web
    assert metrics.startswith("metrics.listen = 127.0.0.1:99: ")
