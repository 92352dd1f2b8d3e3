"""An entry of `[templates] path` named like a template that is no text to read: a
directory, a FIFO (open waits for ever), a link to /dev/zero (endless), to a missing
file, or to a huge file (read whole into memory). None hangs the worker or fills its
memory: the mail is made from the shipped template, the log names the entry (as for
any override that fails), and `maild check-config` names it."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from maild.render import Renderer
from maild.templatecheck import template_findings
from tests.helpers import support_config
from tests.unit.test_texts import variants

SUPPORT = support_config()


def _make(kind: str, path: Path) -> str:
    """The entry `kind` at `path`; what the error says of it."""
    if kind == "directory":
        path.mkdir()
        return "it is a directory"
    if kind == "fifo":
        os.mkfifo(path)
        return "it is not a regular file"
    if kind == "zero":
        path.symlink_to("/dev/zero")
        return "it is not a regular file"
    if kind == "dangling":
        path.symlink_to(path.parent / "gone.txt")
        return "a link to a missing file"
    big = path.parent / "big"
    with big.open("wb") as f:
        f.write(b"Subject: x\n\n")
        f.truncate(64 * 1024 * 1024)  # sparse: no disk taken
    path.symlink_to(big)
    return "it is over 1000000 bytes"


KINDS = ["directory", "fifo", "zero", "dangling", "huge"]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", KINDS)
def test_an_entry_that_is_no_text_gives_way_to_the_shipped_template(tmp_path, caplog, kind):
    said = _make(kind, tmp_path / "confirmation.txt")
    renderer = Renderer(SUPPORT, override=tmp_path, run=tmp_path / "run")
    assert renderer.own_subjects() is not None  # read at start: no wait, no endless read
    ctx = variants()[0]
    with caplog.at_level(logging.ERROR):
        made = renderer.text("confirmation.txt", ctx)
    assert made == Renderer(SUPPORT).text("confirmation.txt", ctx)
    [logged] = [x.getMessage() for x in caplog.records if x.levelno == logging.ERROR]
    assert logged.startswith(f"template override {tmp_path / 'confirmation.txt'}: "), logged
    assert said in logged
    assert (tmp_path / "run" / "override_failing.confirmation.txt.json").exists()


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", KINDS)
def test_check_config_names_an_entry_that_is_no_text(tmp_path, kind):
    said = _make(kind, tmp_path / "confirmation.txt")
    problems, _warnings = template_findings(tmp_path)
    path = tmp_path / "confirmation.txt"
    assert any(p.startswith(f"{path}: cannot read it: ") for p in problems), problems
    if kind != "dangling":  # (the OS's words: "No such file or directory")
        assert any(said in p for p in problems), problems


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", KINDS)
def test_an_included_entry_that_is_no_text_is_named_too(tmp_path, caplog, kind):
    """confirmation.txt of the admin's includes part.txt, which is no text: check-config
    names part.txt (and does not stop), the mail is made from the shipped template."""
    (tmp_path / "confirmation.txt").write_text('Subject: Принято\n\n{% include "part.txt" %}\n')
    said = _make(kind, tmp_path / "part.txt")
    problems, _warnings = template_findings(tmp_path)
    assert any(p.startswith(f"{tmp_path / 'part.txt'}: cannot read it: ") for p in problems)
    ctx = variants()[0]
    made = Renderer(SUPPORT, override=tmp_path).text("confirmation.txt", ctx)
    assert made == Renderer(SUPPORT).text("confirmation.txt", ctx)
    [logged] = [x.getMessage() for x in caplog.records if x.levelno == logging.ERROR]
    assert said in logged, logged


def test_check_config_names_a_folder_it_cannot_list(tmp_path, monkeypatch):
    """answers/ of the admin's that maild's user cannot list (mode 0700 of another
    user): the renderer finds none of its saved answers, so check-config names the
    folder instead of passing it in silence. (The tests run as root, whom no mode
    bars: the refusal is the OS's answer, made here.)"""
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "hours.txt").write_text("Мы работаем с 9 до 18.\n")
    listed = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if os.fspath(path) == str(tmp_path / "answers"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return listed(path)

    monkeypatch.setattr(os, "scandir", scandir)
    problems, _warnings = template_findings(tmp_path)
    assert problems == [f"{tmp_path / 'answers'}: cannot list it: Permission denied"]


def test_a_part_in_a_subfolder_of_answers_is_no_saved_answer_of_its_own(tmp_path):
    """answers/parts/sign.txt, which the admin's saved answers include: #answer names
    only answers/NAME.txt, so check-config neither tries to make it as an answer nor
    warns that `#answer parts/sign` would be held back."""
    (tmp_path / "answers" / "parts").mkdir(parents=True)
    (tmp_path / "answers" / "parts" / "sign.txt").write_text("С уважением, поддержка\n")
    (tmp_path / "answers" / "hello.txt").write_text(
        'Здравствуйте!\n{% include "answers/parts/sign.txt" %}\n'
    )
    assert template_findings(tmp_path) == ([], [])


def test_a_saved_answer_may_sign_with_the_desks_name_and_address(tmp_path):
    """A saved answer that signs with the desk's name and address and quotes the file
    rule (a saved answer gets them: domain/answers.GIVEN) is made for check-config's
    sample ticket with them too: no "cannot be made" warning of a good answer."""
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "sign.txt").write_text(
        "Файлы: {{ file_rules }}\n{{ support_name | upper }} <{{ support_address }}>\n"
    )
    found = template_findings(tmp_path, support=("Поддержка", "help@desk.example"))
    assert found == ([], [])


def test_a_template_of_exactly_the_bound_is_read_and_one_byte_more_is_not(tmp_path):
    """templatefile.read's bound is the most a template may have: that many bytes
    are a template, one more is not."""
    from maild.templatefile import NotText, read

    at, past = tmp_path / "at.txt", tmp_path / "past.txt"
    at.write_bytes(b"x" * 64)
    past.write_bytes(b"x" * 65)
    assert read(at, limit=64) == b"x" * 64
    with pytest.raises(NotText, match="over 64 bytes"):
        read(past, limit=64)


def test_check_config_names_an_include_that_is_neither_an_override_nor_shipped(tmp_path):
    """An override that includes a part by a misspelt or removed name compiles, and
    check-config said nothing; every mail from it failed and was made from the shipped
    template. It is named with its line; a part that is there, an `ignore missing`
    include and a name made at render time are not."""
    (tmp_path / "confirmation.txt").write_text(
        "Subject: Принято\n\n"
        '{% include "site_link.txt" %}\n'  # shipped
        '{% include "podpis.txt" %}\n'
        '{% include "gone.txt" ignore missing %}\n'
        "{% include tid ~ '.txt' if false else 'footer.txt' %}\n"
    )
    (tmp_path / "footer.txt").write_text("{% extends 'base.txt' %}\n")
    problems, warnings = template_findings(tmp_path)
    unfound = [w for w in warnings if "is neither in the override folder nor shipped" in w]
    then = "every mail that uses this file is made from the shipped template instead"
    assert problems == [] and unfound == [
        f"{tmp_path / 'confirmation.txt'}: line 4: podpis.txt is neither in the override "
        f"folder nor shipped: {then}",
        f"{tmp_path / 'footer.txt'}: line 1: base.txt is neither in the override folder nor "
        f"shipped: {then}",
    ], warnings
    ctx = variants()[0]
    made = Renderer(SUPPORT, override=tmp_path).text("confirmation.txt", ctx)
    assert made == Renderer(SUPPORT).text("confirmation.txt", ctx)


def test_a_saved_answer_with_a_missing_include_is_named_once_as_an_answer(tmp_path):
    """A saved answer that includes a missing part is told as an answer that cannot be
    made (what #answer does then), not a second time as a mail's template."""
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "kesh.txt").write_text('Очистите кэш.\n{% include "podpis.txt" %}\n')
    _problems, warnings = template_findings(tmp_path)
    named = [w for w in warnings if "podpis.txt" in w]
    assert len(named) == 1 and "cannot be made" in named[0], warnings
