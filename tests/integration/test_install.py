"""A non-editable `pip install .` works: the installed `maild` finds its templates.

The source is copied out first so the build leaves nothing in the checkout. The
fresh venv gets maild alone (--no-deps); its dependencies come from the test's
own environment through a .pth line, which adds that site-packages directory but
does not run its .pth files, so the test venv's editable maild stays out of the
way. The build uses the test extra's setuptools (no network); without it, pip
fetches one (build isolation), as an admin's `pip install .` does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers import DATA, ROOT, Desk


def _copy_source(dest: Path) -> None:
    """What `pip install .` reads: the package and the project's metadata."""
    shutil.copytree(ROOT / "maild", dest / "maild", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)


def _setuptools_builds_wheels() -> bool:
    """setuptools 70.1 and later build wheels without the `wheel` package."""
    try:
        from setuptools import __version__
    except ImportError:
        return False
    major, minor = (int(x) for x in __version__.split(".")[:2])
    return (major, minor) >= (70, 1)


def test_pip_install_dot_then_ingest_finds_templates(tmp_path, sink):
    src, venv = tmp_path / "src", tmp_path / "venv"
    _copy_source(src)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "maild-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
    if _setuptools_builds_wheels():  # the test extra's: no download, no network
        pip.append("--no-build-isolation")
    r = subprocess.run(
        [*pip, str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if r.returncode != 0 and "Could not find a version" in r.stderr + r.stdout:
        pytest.skip(f"no package index to fetch the build backend from: {r.stderr[-300:]}")
    assert r.returncode == 0, r.stderr
    (tmp_path / "desk").mkdir()
    desk = Desk(tmp_path / "desk", sink.port)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MAILD_CONFIG")}

    def maild(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
        return subprocess.run(
            [venv / "bin" / "maild", "--config", str(desk.config), *args],
            input=stdin,
            capture_output=True,
            env=env,
            cwd="/",  # not the source tree: only the installed copy can be imported
            timeout=60,
        )

    where = subprocess.run(
        [python, "-c", "import maild.render as r; print(r.TEMPLATES)"],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
    ).stdout.strip()
    assert where.startswith(site) and Path(where, "confirmation.txt").is_file()
    assert maild("check-config").returncode == 0
    r = maild("ingest", "-", stdin=(DATA / "sample_request.eml").read_bytes())
    assert r.returncode == 0 and b"new [TID#" in r.stdout, r.stderr
    assert maild("outbox", "flush").returncode == 0
    [conf] = sink.to("ivan@shop-example.ru")
    assert "[TID#" in conf.subject and conf.text.strip()
