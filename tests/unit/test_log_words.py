"""A log line says its values in words (STYLE.md), never as Python shows them to a
programmer: no logging call in maild/ formats with `%r`, `!r` or repr() («file
'a.txt'», «b'...'», «PosixPath('/var/lib/maild')»), unless ALLOWED names it with
the reason."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "maild"
LEVELS = {"debug", "info", "warning", "error", "exception", "critical", "log"}

# "path:function" -> why that call may show a repr (none yet)
ALLOWED: dict[str, str] = {}


def _is_logging_call(node: ast.Call) -> bool:
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in LEVELS:
        return False
    owner = func.value
    name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
    return "log" in name.lower()  # log, logger, self.logger, logging


def _shows_repr(node: ast.AST) -> bool:
    return any(
        (isinstance(inner, ast.Constant) and isinstance(inner.value, str) and "%r" in inner.value)
        or (isinstance(inner, ast.FormattedValue) and inner.conversion == ord("r"))
        or (isinstance(inner, ast.Call) and getattr(inner.func, "id", None) == "repr")
        for inner in ast.walk(node)
    )


def reprs_logged(source: str, path: str) -> list[str]:
    """`path:function:line` of each logging call in `source` that shows a repr."""
    tree = ast.parse(source)
    found: list[str] = []
    todo: list[tuple[ast.AST, str]] = [(tree, "<module>")]
    while todo:
        node, where = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            where = node.name
        if isinstance(node, ast.Call) and _is_logging_call(node):
            shown = [*node.args, *(k.value for k in node.keywords)]
            found += [f"{path}:{where}:{node.lineno}"] if any(map(_shows_repr, shown)) else []
        todo.extend((child, where) for child in ast.iter_child_nodes(node))
    return found


def test_the_finder_sees_each_way_of_showing_a_repr() -> None:
    source = (
        "def f(a, e):\n"
        '    log.warning("file %r is big", a)\n'
        '    self.logger.info(f"got {a!r}")\n'
        '    logging.error("%s", repr(e))\n'
        '    log.info("file %s is big", a)\n'
        '    print("%r" % a)\n'
    )
    assert reprs_logged(source, "x.py") == ["x.py:f:4", "x.py:f:3", "x.py:f:2"]


def test_no_log_line_of_maild_shows_a_repr() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        name = str(path.relative_to(ROOT.parent))
        for hit in reprs_logged(path.read_text(encoding="utf-8"), name):
            if hit.rpartition(":")[0] not in ALLOWED:
                found.append(hit)
    assert found == [], "say the value in words (log_time, peer_for_log, privileges.said)"


def test_a_store_error_is_said_in_words(tmp_path: Path) -> None:
    """`%s` of an OSError showed «[Errno 2] No such file or directory: '/path'» in the
    lines of the jobs, the outbox and the faults: privileges.said gives its words, its
    path and whether waiting helps; any other error its own words."""
    from maild.privileges import said

    try:
        (tmp_path / "gone" / "x").read_bytes()
    except OSError as e:
        line = said(e, tmp_path)
    assert "[Errno" not in line and "'" not in line, line
    assert line.endswith(f"No such file or directory: {tmp_path / 'gone' / 'x'}"), line
    assert said(ValueError("the ticket file is cut")) == "the ticket file is cut"


def test_a_store_error_waiting_will_not_fix_is_said_permanent(tmp_path: Path) -> None:
    """A file where a folder of the store belongs (mkdir: EEXIST; a path under it:
    ENOTDIR) or a file that is not there (ENOENT) stays so until the admin acts: said
    "try again later", the command exited 75 and the admin waited for nothing."""
    from maild.privileges import describe

    (tmp_path / "spool").write_text("")  # a file where the folder belongs
    for make in (
        lambda: (tmp_path / "spool").mkdir(exist_ok=True),
        lambda: (tmp_path / "spool" / "new").mkdir(),
        lambda: (tmp_path / "gone").read_bytes(),
    ):
        try:
            make()
        except OSError as e:
            assert describe(e, tmp_path).startswith("permanent error: "), e
        else:
            raise AssertionError("no error")
