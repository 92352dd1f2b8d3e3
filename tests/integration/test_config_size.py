"""The config file was read whole: `--config /dev/zero` (or a log given by mistake)
read until the OOM killer ended maild (137, no word). At most 1 MB is read: more is
one line, 78 (`ingest` 75, so the MTA keeps the mail)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

from tests.helpers import ROOT, Desk

LIMIT = 1 << 30  # address space: /dev/zero read whole would hit it, not the machine


def _maild(config: str, *args: str) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    return subprocess.run(
        [sys.executable, "-m", "maild", "--config", config, *args],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=cap,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def test_an_endless_config_is_refused_in_one_line():
    for args, code in ((("check-config",), 78), (("status",), 78), (("ingest", "-"), 75)):
        r = _maild("/dev/zero", *args)
        assert r.returncode == code, (args, r)
        assert r.stderr.splitlines() == [
            "maild: config error: /dev/zero: larger than 1 MB, which no maild config is: "
            "is it the config file?"
        ], r


def test_a_config_past_1_mb_is_refused_though_valid_toml(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    assert desk.run("check-config").code == 0
    with desk.config.open("a") as f:
        f.write(("#" * 99 + "\n") * 10_500)
    r = desk.run("check-config")
    assert r.code == 78 and "larger than 1 MB" in r.err, r
