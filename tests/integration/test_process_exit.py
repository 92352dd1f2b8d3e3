"""`maild` as a process (the console script and `python -m maild`) freezes the
garbage collector out before the interpreter shuts down: its last passes over every
loaded module cost ~0.1 s of CPU per command (~0.2 s after `maild serve`), paid by
each message an MTA pipes to `maild ingest`, and free nothing the kernel does not.
The exit code, the output and the log lines come out as before."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

from tests.helpers import DATA, ROOT, Desk

# Says at the very end (the first exit handler registered runs last) whether the
# collector still had objects to go over while the interpreter shut down.
PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen" if gc.get_freeze_count() else "collected", file=sys.stderr))
sys.argv = ["maild", *sys.argv[1:]]
"""
MODULE = PROBE + "import runpy; runpy.run_module('maild', run_name='__main__', alter_sys=True)"


def _script() -> str:
    """The console script `maild` as pip installs it: pyproject's entry point."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        module, func = tomllib.load(f)["project"]["scripts"]["maild"].split(":")
    return PROBE + f"import sys; from {module} import {func}; sys.exit({func}())"


def _run(code: str, desk: Desk, *args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    p = subprocess.run(
        [sys.executable, "-c", code, "--config", str(desk.config), *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_python_m_maild_ends_without_the_collectors_last_passes(tmp_path):
    mail = (DATA / "sample_request.eml").read_bytes()
    code, out, err = _run(MODULE, Desk(tmp_path, 9), "ingest", "-", stdin=mail)
    assert code == 0 and "[TID#" in out, err
    assert "opened ticket" in err  # the log line, flushed at exit
    assert err.rstrip().endswith("frozen"), err


def test_the_console_script_ends_without_the_collectors_last_passes(tmp_path):
    desk = Desk(tmp_path, 9)
    desk.make_store()  # (makes the store)
    code, _out, err = _run(_script(), desk, "ticket", "show", "9999-9999")
    assert code == 1 and "no ticket 9999-9999" in err, err  # main()'s exit code
    assert err.rstrip().endswith("frozen"), err
