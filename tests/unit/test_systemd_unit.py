"""The shipped systemd unit: a config error (exit 78) is not restarted every 5 s
forever, and the storage it lets maild write is the one README names."""

from __future__ import annotations

from maild.privileges import UNIT_STORAGE
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
