"""Addresses read alike on a Python whose stdlib parser is strict.

CVE-2023-27043's fix (3.11.10+, 3.12.6+, and Debian 12's own 3.11.2, the python3 that
README's install uses) changed what email.utils.getaddresses and parseaddr return by
default. This suite may run on a Python without the fix; these tests run the address
tests again under a Python of this machine that has it, with this environment's
packages, and skip (saying so) when there is none.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = ("/usr/bin/python3", "/usr/bin/python3.11", sys.executable)
# tests that read From, To and Cc through maild.domain.addresses
TESTS = (
    "tests/unit/test_message.py::test_a_comment_with_a_comma_keeps_the_sender_and_every_recipient",
    "tests/unit/test_message.py::test_display_name_cannot_pose_as_the_sender",
    "tests/unit/test_message.py::test_encoded_display_name_with_a_comma_does_not_split_to",
    "tests/unit/test_limits.py::test_commas_inside_quotes_comments_and_angles_do_not_count",
)
PROBE = (
    "import email.utils, inspect, sys; "
    "print(sys.version_info[:2] == tuple(map(int, sys.argv[1].split('.'))) "
    "and 'strict' in inspect.signature(email.utils.getaddresses).parameters)"
)


def _strict_python() -> str | None:
    """A python3 of this machine, of this one's minor version (it runs this
    environment's packages), whose address parser is strict."""
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for path in dict.fromkeys(CANDIDATES):
        if not os.access(path, os.X_OK):
            continue
        probe = subprocess.run([path, "-I", "-c", PROBE, here], capture_output=True, text=True)
        if probe.stdout.strip() == "True":
            return path
    return None


def test_addresses_read_alike_under_a_strict_parser() -> None:
    python = _strict_python()
    if python is None:
        version = f"{sys.version_info[0]}.{sys.version_info[1]}"
        pytest.skip(f"no Python {version} with a strict address parser on this machine")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *site.getsitepackages()]))
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout
