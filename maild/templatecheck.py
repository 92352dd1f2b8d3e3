"""check-config's reading of `[templates] path`: override files that would fail every
mail they make (problems), and those that miss what the shipped template of their name
now shows, or that replace no shipped template at all (warnings)."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import jinja2
from jinja2 import meta, nodes

from maild import sandbox, templatefile
from maild.domain.answers import GIVEN, SAMPLE, capitals, typed_alike
from maild.overrides import answer_problem
from maild.render import TEMPLATES, desk_context, template_loader

# Saved answers: an override folder adds its own there, so a new name is no typo, and
# what they say is the admin's (they are not mail maild composes)
ANSWERS = "answers/"


def template_findings(
    root: Path, shipped: Path = TEMPLATES, support: tuple[str, str] = ("", "")
) -> tuple[list[str], list[str]]:
    """(problems, warnings) of the override folder `root`, one line each naming the file.
    The templates are compiled in the sandbox the renderer makes overrides in, looked
    up as it looks them up (`root` first, then `shipped`); saved answers are also made
    for a sample ticket (`support`: the desk's name and address, which they may use)."""
    env = sandbox.sandbox(loader=template_loader([root, shipped]))
    names = sorted(p.name for p in shipped.glob("*.txt"))
    files, problems = _texts(root)
    warnings = []
    for path in files:
        name = path.relative_to(root).as_posix()
        problem, tree = _compile(env, path, name)
        if problem:
            problems.append(f"{path}: {problem}")
        if name.startswith(ANSWERS):
            odd = _unknown(env, path, name, tree, shipped)
            if not odd and not problem and Path(name).parent == Path(ANSWERS):
                odd = _unmade(env, [root, shipped], path, name, support)
            warnings += odd
            continue  # (a saved answer's missing include: _unmade says it cannot be made)
        if tree is not None:
            warnings += _unfound(env, path, tree)
        if name not in names:
            warnings.append(_unused(path, name, names, shipped))
        elif tree is not None:
            warnings += _no_subject(path, shipped / name, tree)
            warnings += _missing(env, path, shipped / name, tree)
    return problems, warnings + _alike(root, shipped)


def _texts(root: Path) -> tuple[list[Path], list[str]]:
    """(the *.txt files under `root`, a problem per folder this user cannot list):
    what it cannot list the renderer cannot read either (rglob passed it in silence)."""
    unlisted: list[str] = []

    def note(e: OSError) -> None:
        unlisted.append(f"{e.filename}: cannot list it: {e.strerror}")

    found = []
    for folder, dirs, names in os.walk(root, onerror=note):
        # a directory named like a template hides no shipped one: the renderer names it
        found += [Path(folder) / n for n in names + dirs if n.endswith(".txt")]
    return sorted(found), unlisted


def _alike(root: Path, shipped: Path) -> list[str]:
    """A warning for saved answers whose names are typed with the same keys in the
    two layouts ("ytn" and «нет»): `#answer ytn` always inserts "ytn", so «нет»
    typed with the Latin layout left on inserts the other answer, with no error."""
    names = set()
    for folder in (root / ANSWERS, shipped / ANSWERS):
        try:
            names |= {p.stem for p in folder.glob("*.txt")}
        except OSError:
            continue  # a folder it cannot enter: _texts says so
    return [
        f"{root / ANSWERS}: saved answers {', '.join(group)} are typed with the same keys,"
        " one in the Latin layout, one in the Russian: #answer NAME inserts the answer of"
        " that very name, so one typed with the other layout left on inserts the other"
        " answer, with no error; rename one"
        for group in typed_alike(names)
    ] + [
        f"{root / ANSWERS}: saved answers {', '.join(group)} differ only in capitals:"
        " #answer reads a name in any case, so it inserts none of them (or only the one"
        " all in lower case); rename all but one"
        for group in capitals(names)
    ]


def _unknown(
    env: jinja2.Environment, path: Path, name: str, tree: nodes.Template | None, shipped: Path
) -> list[str]:
    """A warning when a saved answer uses a name maild does not give saved answers
    (domain/answers.GIVEN): a staff reply with it is held back, its writer told why
    (a warning: `{% if x is defined %}` may guard it)."""
    if tree is None:
        return []  # a problem of its own
    odd = sorted(_uses(env, tree) - GIVEN)
    if not odd:
        return []
    given = ", ".join(sorted(GIVEN))
    return [
        f"{path} uses {', '.join(odd)}, which maild does not give a saved answer "
        f"(it gives {given}): {_then(name, shipped)}"
    ]


def _unmade(
    env: jinja2.Environment, dirs: list[Path], path: Path, name: str, support: tuple[str, str]
) -> list[str]:
    """A warning when a saved answer that compiles cannot be made for a ticket (a
    division by zero, a missing or looping include, a text that comes out empty): the
    check `maild answers list` makes (overrides.answer_problem). A warning, as for an
    override that fails on a mail: the rest of the desk works, and the service starts."""
    ctx = {**SAMPLE, **desk_context(*support)}
    problem = answer_problem(env, dirs, Path(name).stem, ctx)
    if problem is None:
        return []
    return [f"{path} cannot be made: {problem}: {_then(name, dirs[-1])}"]


def _then(name: str, shipped: Path) -> str:
    """What a staff reply with the saved answer `name` does while it cannot be made."""
    answer = name.removeprefix(ANSWERS).removesuffix(".txt")
    if (shipped / name).is_file():
        return f"#answer {answer} would insert the shipped answer instead"
    return f"a staff reply with #answer {answer} would be held back, its writer told why"


def _unused(path: Path, name: str, names: list[str], shipped: Path) -> str:
    """A file the renderer never asks for: most likely a misspelt name, whose edits
    no mail shows (the shipped template of the intended name is used instead)."""
    guess = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {guess[0]}?)" if guess else ""
    return (
        f"{path} is never used: no template of maild is named {name}{hint}; "
        f"the shipped ones are in {shipped}"
    )


def _compile(
    env: jinja2.Environment, path: Path, name: str
) -> tuple[str | None, nodes.Template | None]:
    """(what keeps `path` from being used, or None; its parsed tree)."""
    try:
        data = templatefile.read(path)  # bounded: no FIFO, /dev/zero or huge file
        source = data.decode("utf-8-sig")  # a BOM is read as the renderer does
        env.compile(source, name, str(path))  # a filter or test maild lacks fails only here
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return (
            f"line {line}: not UTF-8 text (Windows-1251 or KOI8-R?): save the file as UTF-8",
            None,
        )
    except jinja2.TemplateSyntaxError as e:
        return f"line {e.lineno}: {e.message}", None
    except OSError as e:
        return f"cannot read it: {e.strerror}", None
    except templatefile.NotText as e:
        return f"cannot read it: {e}", None
    return None, env.parse(source)


def _no_subject(path: Path, original: Path, tree: nodes.Template) -> list[str]:
    """A warning when the override at `path` of a mail's template (`original`, the
    shipped one, opens with its Subject: line; a part others include does not) is empty
    or opens with other text (one that opens with `{% %}` or `{{ }}` is judged on a
    mail): every mail from it fails, and is made from the shipped template instead."""
    try:
        if not original.read_text(encoding="utf-8-sig").startswith("Subject:"):
            return []
    except (OSError, UnicodeDecodeError):
        return []  # the shipped template is maild's to keep readable
    first = tree.body[0] if tree.body else None
    if isinstance(first, nodes.Output) and first.nodes:
        data = first.nodes[0]
        if not isinstance(data, nodes.TemplateData) or data.data.startswith("Subject:"):
            return []
    elif first is not None:
        return []
    return [
        f"{path} does not start with a Subject: line (a mail's first line is its subject):"
        " its mail is made from the shipped template instead (README, Install)"
    ]


def _unfound(env: jinja2.Environment, path: Path, tree: nodes.Template) -> list[str]:
    """A warning for each template the override at `path` (a mail's, or a part others
    include) names in quotes to include, extend or import that is neither an override
    nor shipped (a misspelt or removed part): it compiles, yet every mail that uses it
    fails and is made from the shipped template instead, which check-config said
    nothing of. `ignore missing` aside."""
    kinds = (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)
    found = []
    assert env.loader is not None  # (templatecheck's Environments have one)
    for node in tree.find_all(kinds):
        # (a Const; a name made at render time is not known here)
        name = getattr(getattr(node, "template", None), "value", None)
        if getattr(node, "ignore_missing", False) or not isinstance(name, str):
            continue
        try:
            env.loader.get_source(env, name)
        except jinja2.TemplateNotFound:
            found.append(
                f"{path}: line {node.lineno}: {name} is neither in the override folder nor "
                "shipped: every mail that uses this file is made from the shipped template instead"
            )
        except (OSError, ValueError, jinja2.TemplateError):  # (NotText, UnicodeDecodeError)
            continue  # a broken one is named as a file of its own
    return found


def _missing(
    env: jinja2.Environment, path: Path, original: Path, tree: nodes.Template
) -> list[str]:
    """A warning when the override at `path` does not use a variable the shipped
    template (`original`) uses: what a newer maild added to that mail (a block, a
    line) which the admin's older copy leaves out without a word. Both sides read the
    templates they include as the renderer does, so only the file's own text counts."""
    try:
        theirs = env.parse(original.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError, jinja2.TemplateError):  # (NotText, UnicodeDecodeError)
        return []  # the shipped template is maild's to keep readable
    lacking = sorted(_uses(env, theirs) - _uses(env, tree))
    if not lacking:
        return []
    return [
        f"{path} does not use {', '.join(lacking)}, which the shipped template uses: "
        f"compare it with the shipped one ({original}; README, Upgrading)"
    ]


def _uses(
    env: jinja2.Environment, tree: nodes.Template, seen: frozenset[str] = frozenset()
) -> set[str]:
    """The variables a template reads from its context, also through the templates it
    includes (those `{% include %}` names in quotes, looked up in the Environment)."""
    found = set(meta.find_undeclared_variables(tree))
    for name in meta.find_referenced_templates(tree):
        if name is None or name in seen:
            continue  # a name made at render time, or an include loop
        assert env.loader is not None  # (templatecheck's Environments have one)
        try:
            source = env.loader.get_source(env, name)[0]
            found |= _uses(env, env.parse(source), seen | {name})
        except (OSError, ValueError, jinja2.TemplateError):  # (NotText, UnicodeDecodeError)
            continue  # a missing or broken one is a problem of its own
    return found
