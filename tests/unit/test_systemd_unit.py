"""The shipped systemd unit: a config error (exit 78) is not restarted every 5 s
forever, and the storage it lets maild write is the one README names."""

from __future__ import annotations

from maild.privileges import UNIT_STORAGE
from tests.helpers import ROOT


def _service() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    section = ""
    for line in (ROOT / "systemd" / "maild.service").read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
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
