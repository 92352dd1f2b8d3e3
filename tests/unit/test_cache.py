"""maild.adapters.cache: what one `maild` process worked out (Russia's days off, the
compiled templates) is read back by the next, and nothing about the folder can change
an answer or fail a command. Real files in a temporary folder."""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from maild.adapters.cache import (
    TemplateCache,
    _holidays_release,
    _kept_per_year,
    code_mark,
    folder,
    russian_days,
    russian_transfers,
)
from maild.domain.calendar import BusinessCalendar, ru_year
from maild.render import Renderer, template_loader
from maild.renderfilters import environment
from tests.helpers import support_config

SUPPORT = support_config()


def test_the_days_are_kept_and_what_is_kept_is_what_the_next_process_reads(
    tmp_path: Path,
) -> None:
    assert russian_days(tmp_path)(2025) == ru_year(2025)
    [entry] = tmp_path.glob("ru-*-2025.json")
    kept = json.loads(entry.read_text())
    assert "2025-05-08" in kept["days_off"] and "2025-11-01" in kept["weekend_workdays"]
    # a later process reads the entry, not `holidays`: a day planted in it counts
    kept["days_off"].append("2025-03-04")
    entry.write_text(json.dumps(kept))
    calendar = BusinessCalendar(days=russian_days(tmp_path))
    assert not calendar.is_working_day(date(2025, 3, 4))
    assert calendar.is_working_day(date(2025, 3, 5))


@pytest.mark.parametrize("damage", [b"", b"{", b'{"days_off": 1}', b'{"days_off": ["x"]}'])
def test_a_damaged_entry_is_worked_out_again_and_written_whole(
    tmp_path: Path, damage: bytes
) -> None:
    russian_days(tmp_path)(2026)
    [entry] = tmp_path.glob("ru-*-2026.json")
    entry.write_bytes(damage)
    assert russian_days(tmp_path)(2026) == ru_year(2026)
    assert json.loads(entry.read_text())["days_off"]
    assert [p.name for p in tmp_path.iterdir()] == [entry.name]  # no temporary file left


def test_a_folder_that_cannot_be_written_costs_only_time(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    assert russian_days(not_a_folder)(2025) == ru_year(2025)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "hello.txt").write_text("Subject: Здравствуйте\n\n{{ n }}\n")
    assert _renderer(templates, not_a_folder).text("hello.txt", {"n": 2}) == ("Здравствуйте", "2\n")


def test_a_holidays_without_its_metadata_is_asked_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `holidays` installed without its dist-info (copied in, vendored) names no
    release to name the entries by: nothing is kept, and the days are still right."""
    from importlib import metadata

    def no_metadata(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", no_metadata)
    _holidays_release.cache_clear()  # asked once a process: ask again without the metadata
    try:
        assert russian_days(tmp_path)(2025) == ru_year(2025)
        assert list(tmp_path.iterdir()) == []
    finally:
        _holidays_release.cache_clear()


def test_the_folder_is_made_private_and_one_others_could_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    made = folder()
    assert made == tmp_path / f"maild-cache-{os.getuid()}"
    assert made.stat().st_mode & 0o777 == 0o700
    made.chmod(0o777)  # planted by someone, or widened by hand
    assert folder() is None
    made.rmdir()
    made.symlink_to(tmp_path)  # a link: where it points may be anyone's
    assert folder() is None


@pytest.mark.skipif(os.geteuid() != 0, reason="gives a folder to another user: root only")
def test_a_private_folder_of_our_name_another_user_made_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/tmp/maild-cache-0 made, private (0700), by another local user before root's
    maild ran: theirs, it could hold compiled templates (pickled code) of their
    making that root's maild would run. Only a folder of the user's own is used."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    planted = tmp_path / f"maild-cache-{os.getuid()}"
    planted.mkdir(mode=0o700)
    os.chown(planted, 65534, 65534)  # nobody's, as a local user would make it
    assert folder() is None
    os.chown(planted, os.getuid(), os.getgid())
    assert folder() == planted


def _renderer(templates: Path, kept: Path) -> Renderer:
    return Renderer(SUPPORT, override=templates, compiled=TemplateCache(str(kept)))


def test_a_compiled_template_is_read_back_and_a_damaged_one_compiled_again(
    tmp_path: Path,
) -> None:
    templates, kept = tmp_path / "templates", tmp_path / "kept"
    templates.mkdir()
    kept.mkdir()
    (templates / "hello.txt").write_text(
        "Subject: Здравствуйте, {{ name }}\n\n"
        "Ваш номер {{ n }}, {{ n | plural('день', 'дня', 'дней') }}.\n"
    )
    expected = ("Здравствуйте, Иван", "Ваш номер 2, 2 дня.\n")
    assert _renderer(templates, kept).text("hello.txt", {"name": "Иван", "n": 2}) == expected
    [entry] = kept.iterdir()
    written = entry.stat().st_ino
    # read back: nothing compiled, so nothing written again (a write replaces the file)
    assert _renderer(templates, kept).text("hello.txt", {"name": "Иван", "n": 2}) == expected
    assert entry.stat().st_ino == written
    for damage in (entry.read_bytes()[:12], entry.read_bytes()[:40], b"\x00" * 64):
        entry.write_bytes(damage)
        assert _renderer(templates, kept).text("hello.txt", {"name": "Иван", "n": 2}) == expected
    # an edited template is compiled from its new text, not taken from the folder
    (templates / "hello.txt").write_text("Subject: Добрый день\n\nДругой текст.\n")
    assert _renderer(templates, kept).text("hello.txt", {}) == ("Добрый день", "Другой текст.\n")


@pytest.mark.parametrize("damage", [b"", b"1", b'"yes"', b"{"])
def test_whether_a_years_transfers_are_known_is_kept_and_read_back(
    tmp_path: Path, damage: bytes
) -> None:
    """`maild serve` and `check-config` ask at start whether the `holidays` release
    knows this year's transferred days off; the answer is kept as the days are, so
    neither imports `holidays` (every country) when an earlier process worked it out."""
    assert russian_transfers(tmp_path)(2026) is True
    assert russian_transfers(tmp_path)(2099) is False
    [entry] = tmp_path.glob("ru-*-2026-transfers.json")
    entry.write_text("false")  # a later process reads the entry, not `holidays`
    assert russian_transfers(tmp_path)(2026) is False
    entry.write_bytes(damage)
    assert russian_transfers(tmp_path)(2026) is True
    assert entry.read_text() == "true"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in tmp_path.glob("ru-*.json")
    )  # no temporary file left


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Any]]:
    """A module `probe_rule` whose file the test writes: each call is the code a new
    process imports after an upgrade (code_mark asked anew)."""
    src = tmp_path / "src"
    src.mkdir()
    monkeypatch.syspath_prepend(str(src))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)

    def imported(text: str) -> Any:
        (src / "probe_rule.py").write_text(text)
        sys.modules.pop("probe_rule", None)
        importlib.invalidate_caches()
        code_mark.cache_clear()
        return importlib.import_module("probe_rule")

    yield imported
    sys.modules.pop("probe_rule", None)
    code_mark.cache_clear()


def test_days_worked_out_by_other_code_are_not_read(tmp_path: Path, probe: Any) -> None:
    """A change of the rule (domain.calendar.ru_year, a fix in an upgrade) names new
    entries: the days the old code worked out are not read by the new."""
    kept = tmp_path / "kept"
    kept.mkdir()
    old = probe("def work_out(year):\n    return year\n").work_out
    assert _kept_per_year(kept, "", old, int, int)(2027) == 2027
    [entry] = kept.iterdir()
    entry.write_text("5")  # what is read back by the same code: the entry
    assert _kept_per_year(kept, "", old, int, int)(2027) == 5
    new = probe("def work_out(year):\n    return year + 1  # fixed\n").work_out
    assert _kept_per_year(kept, "", new, int, int)(2027) == 2028
    assert len(list(kept.iterdir())) == 2
    again = probe("def work_out(year):\n    return year\n").work_out  # back again
    assert _kept_per_year(kept, "", again, int, int)(2027) == 5


def test_a_template_compiled_under_other_rules_is_not_read(tmp_path: Path, probe: Any) -> None:
    """jinja names a compiled template by its name and text alone, and its code
    depends on the Environment's rules (renderfilters.environment: trim_blocks...):
    code compiled under other rules is not read."""
    templates, kept = tmp_path / "templates", tmp_path / "kept"
    templates.mkdir()
    kept.mkdir()
    (templates / "t.txt").write_text("{% if n %}\nда\n{% endif %}\n")

    def made(trim: bool) -> str:
        cached = TemplateCache(str(kept), made_by=("probe_rule",))
        env = environment(loader=template_loader([templates]), bytecode_cache=cached)
        env.trim_blocks = trim
        return env.get_template("t.txt").render(n=1)

    probe("TRIM = False\n")
    assert made(False) == "\nда\n\n"
    assert made(True) == "\nда\n\n"  # the same code: its entry read, as compiled
    probe("TRIM = True\n")
    assert made(True) == "да\n"
    assert len(list(kept.iterdir())) == 2
