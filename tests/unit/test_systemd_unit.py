"""The shipped systemd unit: a config error (exit 78) is not restarted every 5 s
forever, and the storage it lets maild write is the one README names; and what
maild tells systemd (adapters/systemd.py: sd_notify, the watchdog's period)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from maild.privileges import UNIT_STORAGE, read_only
from tests.helpers import ROOT


def _service(wanted: str = "[Service]") -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    section = ""
    for line in (ROOT / "systemd" / "maild.service").read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == wanted and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def test_a_config_error_stops_the_restarts():
    service = _service()
    assert service["Restart"] == ["on-failure"]
    assert service["RestartPreventExitStatus"] == ["78"]
    # systemd weighs RestartPreventExitStatus against the main process's status alone:
    # a failing ExecStartPre (check-config, 78) would be restarted every 5 s for ever
    assert all(cmd.startswith("-") for cmd in service.get("ExecStartPre", []))


def test_the_unit_writes_only_where_the_read_only_hint_says():
    service = _service()
    assert service["ProtectSystem"] == ["strict"]
    assert service["ReadWritePaths"] == [str(UNIT_STORAGE)]
    # the hint names ReadWritePaths= only for a storage the unit does not list
    said = f"{UNIT_STORAGE} is on a read-only file system: mount it read-write"
    assert read_only(UNIT_STORAGE) == said
    assert "(systemctl edit maild: ReadWritePaths=/srv/maild)" in read_only(Path("/srv/maild"))


def test_the_config_directory_mode_is_the_tmpfiles_one():
    """Without ConfigurationDirectoryMode= systemd makes /etc/maild 0755 and warns at
    every start that the tmpfiles line's 0750 differs."""
    service = _service()
    line = (ROOT / "systemd" / "maild.tmpfiles").read_text().split("\nd ", 1)[1]
    path, mode = line.split()[:2]
    assert path == "/etc/" + service["ConfigurationDirectory"][0]
    assert service["ConfigurationDirectoryMode"] == [mode]


def test_the_documentation_named_is_installed():
    """`systemctl help maild` opens what Documentation= names: a file README's install
    steps never put there is a dead link."""
    readme = (ROOT / "README.md").read_text()
    for uri in " ".join(_service("[Unit]").get("Documentation", [])).split():
        if uri.startswith("file://"):
            assert uri.removeprefix("file://") in readme, uri


def test_the_watchdog_is_fed_at_half_its_period_and_only_by_the_process_it_watches(monkeypatch):
    """sd_notify's rules: WATCHDOG_USEC=30 s asks for a ping every 15 s (half: a late
    tick does not get maild killed); WATCHDOG_PID naming another process (a child that
    inherited the environment) means the watchdog is not this process's to feed."""
    from maild.adapters.systemd import watchdog_interval

    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_PID")
    monkeypatch.setenv("WATCHDOG_USEC", "30s")  # no count of microseconds: no watchdog
    assert watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_USEC")
    assert watchdog_interval() is None


def test_a_state_goes_to_the_notify_socket_an_abstract_one_too(monkeypatch, tmp_path):
    """READY=1 reaches the datagram socket NOTIFY_SOCKET names; «@name» is Linux's
    abstract namespace (a NUL first), as systemd may give it; no socket: False."""
    from maild.adapters.systemd import notify

    for name in [str(tmp_path / "notify"), f"@maild-test-{os.getpid()}"]:
        addr = "\0" + name[1:] if name.startswith("@") else name
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.bind(addr)
            monkeypatch.setenv("NOTIFY_SOCKET", name)
            assert notify("READY=1\nSTATUS=accepting mail") is True
            assert s.recv(100) == b"READY=1\nSTATUS=accepting mail"
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))  # no one listens there
    assert notify("READY=1") is False
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert notify("READY=1") is False
