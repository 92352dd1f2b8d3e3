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

import pytest

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


@pytest.mark.parametrize("entry", ["python -m maild", "console script"])
def test_the_maild_process_ends_without_the_collectors_last_passes(tmp_path, entry):
    desk = Desk(tmp_path, 9)
    code = MODULE if entry == "python -m maild" else _script()

    def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code, "--config", str(desk.config), *args],
            input=stdin,
            capture_output=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    p = run("ingest", "-", stdin=(DATA / "sample_request.eml").read_bytes())
    out, err = p.stdout.decode(), p.stderr.decode()
    assert p.returncode == 0 and "[TID#" in out, err
    assert "opened ticket" in err  # the log line, flushed at exit
    assert err.rstrip().endswith("frozen"), err
    p = run("ticket", "show", "9999-9999")
    assert p.returncode == 1 and "no ticket 9999-9999" in p.stderr.decode()
    assert p.stderr.decode().rstrip().endswith("frozen")
