"""Renderer: whatever an admin's override fails with at render time, the mail is made
from the shipped template of its name (one ERROR per template, a note for `maild
status`); the shipped templates failing stays maild's own error, as before."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from maild import overrides
from maild.config import ConfigError
from maild.render import TEMPLATES, Renderer
from tests.helpers import support_config
from tests.unit.test_texts import variants

SUPPORT = support_config()
SOURCE = (TEMPLATES / "confirmation.txt").read_text()
GREETING = "{% endif %}!\n"  # the greeting line's end: the admin's line goes after it


@pytest.mark.parametrize(
    "added, line, error",
    [
        ("{{ tiket }}", 4, "'tiket' is undefined"),
        ("{{ tid.number }}", 4, "'str object' has no attribute 'number'"),
        ("{{ level_name / 0 }}", 4, "TypeError: unsupported operand type(s) for /"),
        ("{{ 1 // 0 }}", 4, "ZeroDivisionError: integer division or modulo by zero"),
        ("{{ name | plural('час') }}", 4, "TypeError: ru_count() missing 2 required positional"),
        ('{% include "our_footer.txt" %}', 4, "our_footer.txt"),
        ('{% include "../../etc/passwd" %}', 4, "'../../etc/passwd' not found: a template is"),
        ("{{ reaction | size }}", 4, "TypeError: "),
    ],
)
def test_an_override_failing_when_rendered_gives_way_to_the_shipped_one(
    tmp_path, caplog, added, line, error
):
    (tmp_path / "confirmation.txt").write_text(SOURCE.replace(GREETING, f"{GREETING}{added}\n", 1))
    renderer = Renderer(SUPPORT, override=tmp_path, run=tmp_path / "run")
    ctx = variants()[0]
    with caplog.at_level(logging.ERROR):
        made = [renderer.text("confirmation.txt", ctx) for _ in range(2)]
    assert made == [Renderer(SUPPORT).text("confirmation.txt", ctx)] * 2
    [logged] = [x.getMessage() for x in caplog.records]  # once for both mails
    path = tmp_path / "confirmation.txt"
    assert logged.startswith(f"template override {path}: line {line}: "), logged
    assert error in logged
    note = json.loads((tmp_path / "run" / "override_failing.confirmation.txt.json").read_text())
    assert note["path"] == str(path) and note["line"] == line and error in note["error"]


def test_an_override_without_its_subject_line_or_not_in_utf8_gives_way_too(tmp_path, caplog):
    (tmp_path / "confirmation.txt").write_text("Здравствуйте!\n{{ tid }}\n")
    (tmp_path / "started.txt").write_bytes((TEMPLATES / "started.txt").read_text().encode("cp1251"))
    renderer = Renderer(SUPPORT, override=tmp_path)
    ctx = variants()[0]
    for name in ("confirmation.txt", "started.txt"):
        assert renderer.text(name, ctx) == Renderer(SUPPORT).text(name, ctx)
    lines = [x.getMessage() for x in caplog.records if x.levelno == logging.ERROR]
    assert "must start with a Subject: line" in lines[0]
    assert f"{tmp_path / 'started.txt'}: line " in lines[1] and "not UTF-8" in lines[1]


def test_an_override_that_works_is_used_and_nothing_is_said(tmp_path, caplog):
    (tmp_path / "confirmation.txt").write_text(SOURCE.replace(GREETING, f"{GREETING}Наше.\n", 1))
    renderer = Renderer(SUPPORT, override=tmp_path, run=tmp_path / "run")
    with caplog.at_level(logging.INFO):
        _, body = renderer.text("confirmation.txt", variants()[0])
    assert "Наше." in body and not caplog.records and not (tmp_path / "run").exists()


@pytest.mark.parametrize("override", [False, True])
def test_a_shipped_template_failing_is_maild_s_error_as_before(tmp_path, override):
    """A bug of maild's own templates pauses processing (ConfigError), overrides or not."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "started.txt").write_text("Subject: В работе\n\n{{ nobody_gives_this }}\n")
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "started.txt").write_text("Subject: В работе\n\n{{ tiket }}\n")
    renderer = Renderer(SUPPORT, templates=shipped, override=ours if override else None)
    with pytest.raises(ConfigError, match="'nobody_gives_this' is undefined"):
        renderer.text("started.txt", {"tid": "1234-5678"})


def test_a_failing_override_a_template_includes_is_named(tmp_path, caplog):
    """site_link.txt of one's own, included by the shipped confirmation: that file
    is named, and the shipped confirmation with the shipped site_link goes out."""
    (tmp_path / "site_link.txt").write_text("Ссылка: {{ site_url }}\n")
    renderer = Renderer(SUPPORT, override=tmp_path)
    ctx = variants()[0]
    assert renderer.text("confirmation.txt", ctx) == Renderer(SUPPORT).text("confirmation.txt", ctx)
    [logged] = [x.getMessage() for x in caplog.records if x.levelno == logging.ERROR]
    assert logged.startswith(f"template override {tmp_path / 'site_link.txt'}: line 1: ")
    assert Path(TEMPLATES / "confirmation.txt").as_posix() in logged


def test_an_override_with_a_line_before_its_subject_gives_way_to_the_shipped_one(tmp_path, caplog):
    """The Subject must be the first line, not merely a line: a line above it would be
    the customer's subject (no [TID#...]) and "Subject: ..." would open the text."""
    (tmp_path / "confirmation.txt").write_text("Наша служба поддержки\n" + SOURCE)
    ctx = variants()[0]
    made = Renderer(SUPPORT, override=tmp_path).text("confirmation.txt", ctx)
    assert made == Renderer(SUPPORT).text("confirmation.txt", ctx)
    [logged] = [x.getMessage() for x in caplog.records if x.levelno == logging.ERROR]
    assert "must start with a Subject: line" in logged


def test_a_dangling_link_in_place_of_a_shipped_answer_is_named(tmp_path, caplog):
    """answers/NAME.txt of the admin's that is a link to a missing file, NAME a shipped
    answer's: the shipped one goes into the reply and the link is named (log, a note
    for `maild status`), not passed over in silence as if it were not there."""
    shipped = sorted(p.stem for p in (TEMPLATES / "answers").glob("*.txt"))[0]
    (tmp_path / "answers").mkdir()
    link = tmp_path / "answers" / f"{shipped}.txt"
    link.symlink_to(tmp_path / "gone.txt")
    ctx = variants()[0]
    made = Renderer(SUPPORT, override=tmp_path, run=tmp_path / "run").answer(shipped, ctx)
    assert made == Renderer(SUPPORT).answer(shipped, ctx)
    [logged] = [x.getMessage() for x in caplog.records if x.levelno == logging.ERROR]
    assert logged.startswith(
        f"template override {link}: cannot read it: a link to a missing file"
    ), logged
    note = tmp_path / "run" / f"override_failing.answers.{shipped}.txt.json"
    assert json.loads(note.read_text())["path"] == str(link)


def test_an_edited_override_failing_again_is_failing_since_the_edit(tmp_path):
    """A note's `since` is kept only while the file is the one that failed (another
    process met the same fault first): an edit that fails anew is a fault from now."""
    run = tmp_path / "run"
    (tmp_path / "confirmation.txt").write_text("{{ tiket }}\n")
    Renderer(SUPPORT, override=tmp_path, run=run).text("confirmation.txt", variants()[0])
    note = run / "override_failing.confirmation.txt.json"
    first = json.loads(note.read_text())
    note.write_text(json.dumps(first | {"since": "2000-01-01T00:00:00+00:00"}))
    Renderer(SUPPORT, override=tmp_path, run=run).text("confirmation.txt", variants()[0])
    assert json.loads(note.read_text())["since"] == "2000-01-01T00:00:00+00:00"  # the same
    (tmp_path / "confirmation.txt").write_text("{{ tiket2 }}\n")
    Renderer(SUPPORT, override=tmp_path, run=run).text("confirmation.txt", variants()[0])
    assert json.loads(note.read_text())["since"] > first["since"]


def test_the_notes_of_a_folder_no_longer_configured_are_not_named(tmp_path):
    """`maild status` and check-config name the failing overrides of the folder the
    config names now: a note left by the one configured before is not about it."""
    old, new, store = tmp_path / "old", tmp_path / "new", tmp_path / "store"
    for folder in (old, new, store):
        folder.mkdir()
    (old / "confirmation.txt").write_text("{{ tiket }}\n")
    (new / "confirmation.txt").write_text("{{ tiket }}\n")  # the same text, not failed yet
    Renderer(SUPPORT, override=old, run=store / "run").text("confirmation.txt", variants()[0])
    assert [n["path"] for n in overrides.failing(store, str(old))] == [
        str(old / "confirmation.txt")
    ]
    assert overrides.failing(store, str(new)) == []
