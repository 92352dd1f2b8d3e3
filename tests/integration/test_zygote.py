"""The tests' `maild` processes forked from the zygote (tests/zygote.py) are what a new
interpreter would be: the request's environment, working folder and streams, the exit
code and the signal that ended them as subprocess reports them."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from tests import zygote
from tests.helpers import ROOT


def env(**more: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), **more)


def test_a_forked_maild_reads_its_own_environment_and_exits_with_its_code(tmp_path):
    out = tmp_path / "out"
    with open(out, "wb") as f:
        p = zygote.spawn(
            "maild", ["status"], env(MAILD_CONFIG=str(tmp_path / "y.toml")), f, subprocess.STDOUT
        )
        assert isinstance(p, zygote.Forked)
        assert p.wait(timeout=30) == 78
    assert out.read_text() == f"maild: config error: {tmp_path / 'y.toml'}: config file not found\n"


def test_a_forked_process_ended_by_a_signal_reports_it_as_subprocess_does(tmp_path):
    with open(tmp_path / "out", "wb") as f:
        p = zygote.spawn("tests.zygote_sleep", [], env(), f, subprocess.STDOUT)
        assert p.poll() is None
        time.sleep(0.2)
        assert p.poll() is None
        p.send_signal(signal.SIGKILL)
        assert p.wait(timeout=30) == -9
        assert p.poll() == -9


def test_another_locale_or_python_setting_gets_a_new_interpreter(tmp_path):
    with open(tmp_path / "out", "wb") as f:
        p = zygote.spawn("maild", ["--help"], env(PYTHONIOENCODING="koi8-r"), f, f)
        assert isinstance(p, subprocess.Popen)
        assert p.wait(timeout=30) == 0


def test_run_gives_what_subprocess_run_gives_as_another_user_in_its_folder(tmp_path):
    """zygote.run: stdin from `input`, stdout and stderr captured, the working folder
    and the user (uid, gid) the request names, and a second zygote for an environment
    Python starts in differently, reused by the next request."""
    user = (65534, 65534) if os.geteuid() == 0 else None
    wanted = user or (os.getuid(), os.getgid())
    other = env(PYTHONIOENCODING="utf-8")
    for _ in range(2):
        p = zygote.run(
            "tests.zygote_echo", ["x"], other, str(tmp_path), b"abc", user=user, own_zygote=True
        )
        assert p.returncode == 3, p
        assert p.stdout == f"{wanted[0]} {wanted[1]} {tmp_path} ['x'] abc\n".encode()
        assert p.stderr == b"to stderr\n"
    assert len([k for k in zygote._zygotes if dict(k[1]).get("PYTHONIOENCODING")]) == 1
