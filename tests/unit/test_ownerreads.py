"""maild.ownerreads: whose reads root's check-config judges, and by which bits."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from maild import ownerreads

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


@root_only
def test_a_storage_root_owns_is_read_by_root_and_nothing_is_judged(tmp_path: Path) -> None:
    """`maild serve` of a root-owned storage stays root, which reads anything: no
    service user is judged, so a template only another user may read is no problem
    (judged as root's own class, it was one: exit 78 for a desk that runs)."""
    storage = tmp_path / "storage"
    storage.mkdir()
    tpl = tmp_path / "tpl"
    tpl.mkdir(mode=0o755)
    (tpl / "hello.txt").write_text("Здравствуйте!\n")
    os.chown(tpl / "hello.txt", 65534, 65534)
    (tpl / "hello.txt").chmod(0o600)
    cfg = SimpleNamespace(
        storage_path=storage,
        smtp=None,
        imap=None,
        outbound=SimpleNamespace(oauth2_token_command=""),
        templates=SimpleNamespace(path=str(tpl)),
        support=SimpleNamespace(reply_secret="x" * 32),
        web=None,
    )
    assert ownerreads.service_user(cfg) is None  # type: ignore[arg-type]
    assert ownerreads.unreadable_files(cfg) == []  # type: ignore[arg-type]


NOBODY = ownerreads.Reader("nobody", 65534, frozenset([65534]), "nogroup", Path("/srv/maild"))


def _st(mode: int, uid: int = 0, gid: int = 0) -> os.stat_result:
    return os.stat_result((mode, 0, 0, 1, uid, gid, 0, 0, 0, 0))


def test_a_folder_is_listed_only_with_both_its_read_and_its_enter_bits() -> None:
    """`chmod o+r` on a template folder (0744) lets the service's user read its names
    but not open a file in it: not listable; only r and x together are ("rx")."""
    for mode, may in [(0o744, False), (0o711, False), (0o755, True)]:
        assert ownerreads._may(NOBODY, _st(0o040000 | mode), "rx") is may, oct(mode)


def test_of_two_folders_it_may_not_enter_the_outer_one_is_named() -> None:
    """The kernel stops at the first folder from "/" it may not enter: that one is the
    line's chmod (named the inner one, the admin fixed it and was stopped again)."""
    base = Path(tempfile.mkdtemp(prefix="maild-ownerreads-"))
    try:
        base.chmod(0o755)
        inner = base / "outer" / "inner"
        inner.mkdir(parents=True)
        (inner / "key.pem").write_text("k")
        (base / "outer").chmod(0o700)
        inner.chmod(0o700)
        bar = ownerreads._bits(NOBODY, inner / "key.pem", "r")
        assert bar is not None and (bar.path, bar.want) == (base / "outer", "x")
    finally:
        shutil.rmtree(base)


def test_an_import_folder_itself_shut_is_named_alone_one_above_it_as_the_one_to_enter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """check-config's line for a Python installation the service's user may not list:
    «may not enter» names a folder above it only when one bars it (else the admin
    went looking for a folder to open that was the installation itself)."""
    base = Path(tempfile.mkdtemp(prefix="maild-ownerreads-"))
    try:
        base.chmod(0o755)
        site = base / "venv" / "site-packages"
        site.mkdir(parents=True)
        monkeypatch.setattr(ownerreads, "import_dirs", lambda: [str(site)])
        cfg = SimpleNamespace(storage_path=base / "storage")
        site.chmod(0o700)
        [said] = ownerreads.python_barred(NOBODY, cfg)  # type: ignore[arg-type]
        assert f"cannot read maild's Python installation: {site};" in said, said
        site.chmod(0o755)
        (base / "venv").chmod(0o700)
        [said] = ownerreads.python_barred(NOBODY, cfg)  # type: ignore[arg-type]
        assert f"{site} (nobody may not enter {base / 'venv'});" in said, said
    finally:
        shutil.rmtree(base)


def test_what_lies_in_a_template_folder_it_may_not_list_is_not_named_again() -> None:
    """One line for a templates.path the service's user may not list, its chmod the
    fix: not one more for each file in it (root, which walks anything, named them)."""
    base = Path(tempfile.mkdtemp(prefix="maild-ownerreads-"))
    try:
        base.chmod(0o755)
        tpl = base / "tpl"
        (tpl / "answers").mkdir(parents=True)
        (tpl / "confirmation.txt").write_text("x")
        (tpl / "confirmation.txt").chmod(0o600)
        tpl.chmod(0o700)
        [line] = ownerreads._templates(NOBODY, tpl)
        assert f"cannot list {tpl} " in line and line.endswith(f"chmod o+rx {tpl}"), line
    finally:
        shutil.rmtree(base)
