"""README says what the code does where a table of the code is copied into it: the
staff commands and their aliases, the service levels. A command or level added or
removed on one side only fails here. And the places in the code it names for each rule
(`domain/leak.py`, `domain/verify.staff_verified`) are there: moved or renamed on one
side only fails here too."""

from __future__ import annotations

import re
from pathlib import Path

from maild.domain.commandspec import ALIASES, REGISTRY
from maild.domain.sender import ENTITLED_LEVELS
from maild.domain.sla import LEVELS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
WORD = r"[^\W\d_][\w-]*"


def section(title: str) -> str:
    """README's text under the heading ``## title``, up to the next one of that level."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def command_rows() -> list[set[str]]:
    """The commands each row of the staff commands' table names in its first column
    ("| `#consulting` / `#development` (`#консультация` / `#разработка`) | ...")."""
    rows = [s for s in section("Email commands for staff").splitlines() if s.startswith("| `#")]
    return [set(re.findall(rf"`#({WORD})", row.split("|")[1])) for row in rows]


def test_the_staff_commands_table_names_every_command_and_alias_and_no_other() -> None:
    named = set().union(*command_rows())
    assert set(REGISTRY) - named == set(), "commands README's table does not name"
    assert set(ALIASES) - named == set(), "aliases README's table does not name"
    assert named - set(REGISTRY) - set(ALIASES) == set(), "README names what is none"


def test_each_alias_stands_in_the_row_of_its_command() -> None:
    for alias, target in ALIASES.items():
        [row] = [r for r in command_rows() if alias in r]
        assert target in row, (alias, target, row)


def test_the_levels_line_names_every_level() -> None:
    """ "Levels: `partner`, ..." lists those a license, a group or free mail gives; the
    same paragraph names those staff move a ticket to."""
    [start] = [m.start() for m in re.finditer(r"^Levels: ", README, re.MULTILINE)]
    line = README[start : README.index("\n", start)]
    paragraph = README[start : README.index("\n\n", start)]
    assert re.findall(r"`(\w+)`", line) == list(ENTITLED_LEVELS)
    assert set(LEVELS) - set(re.findall(r"`(\w+)`", paragraph)) == set()


def test_every_place_in_the_code_readme_names_is_there() -> None:
    """Each `maild/x.py`, `domain/x.py`, `adapters/store/x.py`, `web/x.name`,
    `maild/ops/x.Name.method` README names: the module, and the name defined at its
    top level (a class's member inside the class)."""
    pattern = r"`((?:maild|domain|adapters|web|ops)/[\w/]*\w(?:\.[\w.]+)?)(?:\(\))?`"
    places = set(re.findall(pattern, README))
    assert len(places) > 100  # (the pattern still finds them)
    missing = [place for place in sorted(places) if not _defined(place)]
    assert not missing, missing


def _defined(place: str) -> bool:
    """Whether `place` (``domain/x``, ``domain/x.py``, ``domain/x.name``,
    ``domain/x.Class.member``) is in the code."""
    path, _, names = place.removeprefix("maild/").partition(".")
    module = ROOT / "maild" / f"{path}.py"
    if not module.exists():
        module = ROOT / "maild" / path / "__init__.py"
    if not module.exists():
        return False
    top, _, member = ("" if names == "py" else names).partition(".")
    source = module.read_text(encoding="utf-8")
    for indent, name in ((r"", top), (r"\s+", member)):
        defined = rf"^{indent}(?:async def|def|class) {name}\b|^{indent}{name}\b *[:=]"
        if name and not re.search(defined, source, re.M):
            return False
    return True


def config_rows() -> list[tuple[list[str], list[str]]]:
    """The "Config keys" table's rows: the keys of the first column (`a.b` / `c`: the
    second in a's section) and the defaults in backticks of the second."""
    start = README.index("**Config keys**")
    rows = []
    for line in README[start:].splitlines()[4:]:
        if not line.startswith("| `"):
            break
        cells = line.split("|")
        keys = re.findall(r"`([\w.]+)`", cells[1])
        section_name = keys[0].split(".")[0]
        keys = [k if "." in k else f"{section_name}.{k}" for k in keys]
        unset = cells[2].strip().startswith("unset")  # "unset (made once in `...`)"
        rows.append((keys, [] if unset else re.findall(r"`([^`]+)`", cells[2])))
    return rows


def test_the_config_table_gives_each_keys_default() -> None:
    """A default changed in configschema (the one place it is decided) and not in
    README's table, or the other way round, fails here."""
    import tomllib

    from maild.configschema import SCHEMA, default

    checked = 0
    for keys, values in config_rows():
        for key in keys:
            section_name, name = key.split(".", 1)
            assert name in SCHEMA[section_name], key
        if len(values) != len(keys):  # "unset" and the like: no literal to compare
            continue
        for key, value in zip(keys, values, strict=True):
            literal = tomllib.loads(f"v = {value}")["v"]
            assert literal == default(*key.split(".", 1)), (key, value)
            checked += 1
    assert checked >= 20, checked


def test_the_free_term_readme_states_is_the_code_s() -> None:
    """README's "six months" of free support is sender.FREE_SUPPORT_MONTHS."""
    from maild.domain.sender import FREE_SUPPORT_MONTHS

    words = {3: "three", 6: "six", 12: "twelve"}
    stated = re.findall(r"\b(\w+) months\b", README.replace("\n  ", " "))
    assert stated and set(stated) == {words.get(FREE_SUPPORT_MONTHS)}, stated


PROSE = README.replace("\n  ", " ").replace("\n", " ")  # a sentence across lines


def _key(name: str) -> tuple[str, str]:
    """("support", "max_auto_replies_per_day") of `support.max_...` or a bare name
    (the one section whose keys hold it)."""
    from maild.configschema import SCHEMA

    if "." in name:
        section_name, key = name.split(".", 1)
        return section_name, key
    [section_name] = [s for s in SCHEMA if name in SCHEMA[s]]
    return section_name, name


def test_a_default_named_beside_its_key_in_the_prose_is_the_code_s() -> None:
    """«(`support.max_auto_replies_per_hour`, 10)», «75 % (`schedule.reminder_fraction`)»:
    a default README's prose states by its key is configschema's (the one place)."""
    from maild.configschema import default

    stated = [(k, int(v)) for k, v in re.findall(r"\(`([\w.]+)`,\s+(\d+)\b", PROSE)]
    percent = re.findall(r"(\d+)\s*%\s*\(`([\w.]+)`\)", PROSE)
    assert len(stated) >= 5 and percent, (stated, percent)
    for key, value in stated:
        assert default(*_key(key)) == value, (key, value)
    for value, key in percent:
        assert round(default(*_key(key)) * 100) == int(value), (key, value)


def test_the_business_hours_readme_states_are_the_calendar_s() -> None:
    """«the regulation's hours are 09:00–18:00», «a full one, to 18:00», a night's mail
    «starts its time at 09:00»: domain/calendar.DAY_START and DAY_END."""
    from maild.domain.calendar import DAY_END, DAY_START

    start, end = DAY_START.strftime("%H:%M"), DAY_END.strftime("%H:%M")
    assert re.findall(r"hours are (\d\d:\d\d)–(\d\d:\d\d)", PROSE) == [(start, end)]
    assert re.findall(r"a full one, to (\d\d:\d\d)", PROSE) == [end]
    starts = re.findall(r"starts? (?:its time )?at (\d\d:\d\d)", PROSE)
    assert starts and set(starts) == {start}, starts
    # `development`'s days: «before 09:00, after 18:00», «at 18:00 of the 24th working
    # day», «not at 09:00 of the 25th», «24 × 9 h»
    assert re.findall(r"before (\d\d:\d\d), after (\d\d:\d\d)", PROSE) == [(start, end)]
    assert re.findall(r"at (\d\d:\d\d) of the 24th", PROSE) == [end]
    assert re.findall(r"at (\d\d:\d\d) of the 25th", PROSE) == [start]
    day = DAY_END.hour - DAY_START.hour + (DAY_END.minute - DAY_START.minute) / 60
    assert re.findall(r"24 × (\d+) h", PROSE) == [f"{day:g}"]


def test_the_reaction_times_readme_names_beside_a_level_are_the_table_s() -> None:
    """«`consulting` (40 h) or `development` (24 business days)»: sla.LEVELS."""
    named = re.findall(r"`(\w+)` \((\d+) (h|business days)\)", PROSE)
    assert named
    for level, amount, unit in named:
        spec = LEVELS[level]
        assert int(amount) == (spec.hours if unit == "h" else spec.days), (level, amount)


def test_the_image_types_readme_lists_are_the_file_rule_s() -> None:
    """«JPG, GIF, PNG», «JPG/GIF/PNG»: the screenshots domain/filerules.IMAGES takes,
    in its order."""
    from maild.domain.filerules import IMAGES, NAMES

    lists = re.findall(r"JPG(?:(?:, |/)[A-Z]{3,4}\b)+", PROSE)
    assert len(lists) >= 3, lists
    for listed in lists:
        assert re.split(r", |/", listed) == [NAMES[t] for t in IMAGES], listed


def test_every_module_is_named() -> None:
    """A newcomer finds each rule's module by README ("How one email flows" and the
    sections it points to): every module of maild/domain/ is named there, and so is
    every other module of maild/ (the adapters, the site, the commands)."""
    unnamed = [
        str(module.relative_to(ROOT))
        for module in sorted((ROOT / "maild").rglob("*.py"))
        if module.stem not in ("__init__", "__main__")
        and not re.search(rf"`(?:\w+/)*{module.stem}\.\w+(?:\.\w+)*`", README)
    ]
    assert not unnamed, unnamed
