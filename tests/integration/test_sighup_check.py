"""SIGHUP (`systemctl reload maild`) reads the config as a restart would: a config
with errors is logged at WARNING, one line per problem in `maild check-config`'s
words, since a restart would stop at exit 78. Before, the log said only «restart the
service to apply config changes», and the restart it invited failed. Through a real
`maild serve` and `kill -HUP`."""

from __future__ import annotations

import os
import signal

from tests.helpers import Daemon, Desk, wait_until


def test_sighup_says_a_restart_would_fail_on_a_broken_config(tmp_path, sink):
    desk = Desk(tmp_path, sink.port)
    daemon = Daemon(desk).start()
    try:
        os.kill(daemon.proc.pid, signal.SIGHUP)
        ok = f"restart the service to apply config changes ({desk.config}: OK)"
        assert wait_until(lambda: ok in daemon.logtext(), 20), daemon.logtext()
        good = desk.config.read_text()
        desk.config.write_text(good + '\n[limits]\nmax_message_bytes = "huge"\n[bogus]\nx = 1\n')
        said = desk.run("check-config")
        problems = [
            x.removeprefix("maild: config error: ")
            for x in said.err.splitlines()
            if "config error" in x
        ]
        assert said.code == 78 and len(problems) == 2, said
        os.kill(daemon.proc.pid, signal.SIGHUP)
        lines = [
            f"maild: WARNING: SIGHUP: a restart would fail (exit 78, fix it first): {p}"
            for p in problems
        ]
        assert wait_until(lambda: all(x in daemon.logtext().splitlines() for x in lines), 20), (
            daemon.logtext()
        )
        assert daemon.logtext().count(ok) == 1
        desk.config.write_text(good)
    finally:
        assert daemon.stop() == 0
