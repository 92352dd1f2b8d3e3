"""The shape of the code that issue 20 asks to keep: the domain imports nothing of
maild outside it, not even for its annotations (`if TYPE_CHECKING:`: a domain function
typed with App reaches the store through it all the same); no two modules of maild/
import each other (directly or around a loop, counting imports inside functions, the
packages an import runs first, importlib.import_module of a name written out), and
the loops that only annotations close are the known few; no module or function grows
past the sizes a newcomer can read (400 and 60 lines); the domain logs nothing (it
says its lines: domain/said.py)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "maild"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_by_name(node: ast.AST) -> str | None:
    """The module of `importlib.import_module("maild...")` or `__import__(...)`, named
    by a string written out (a computed name cannot be followed)."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func, first = node.func, node.args[0]
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called not in ("import_module", "__import__"):
        return None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _with_packages(found: set[str], name: str) -> set[str]:
    """`found` and the packages importing each runs first (maild.adapters.store's
    __init__ for maild.adapters.store.files), less those of `name` itself: they ran
    before it."""
    out = set(found)
    for module in found:
        parts = module.split(".")
        for i in range(2, len(parts)):
            package = ".".join(parts[:i])
            if not name.startswith(package + "."):
                out.add(package)
    return out


def _imports(name: str, path: Path, annotations: bool = False) -> set[str]:
    """maild modules that `name` imports at run time, and with `annotations` those it
    imports under `if TYPE_CHECKING:` as well (for annotations only: they never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and _type_checking_only(node) and not annotations:
            todo.extend(node.orelse)
            continue
        if (by_name := _imported_by_name(node)) is not None:
            found.add(by_name)
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package
                for _ in range(node.level - 1):
                    up = up.rpartition(".")[0]
                base = f"{up}.{base}" if base else up
            names = {f"{base}.{a.name}" for a in node.names}
            if not names <= MODULES.keys():  # `from pkg import submodule` runs no more of pkg
                found.add(base)
            found.update(names)
        todo.extend(ast.iter_child_nodes(node))
    return {m for m in _with_packages(found, name) if m in MODULES and m != name}


@functools.cache
def _graph(annotations: bool = False) -> dict[str, set[str]]:
    """Every module's maild imports: read when a test asks (not at collection, where
    every xdist worker would parse all of maild)."""
    return {name: _imports(name, path, annotations) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        comp.append(member)
                        if member == node:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return found


def test_the_cycle_finder_finds_a_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_maild() -> None:
    assert _cycles(_graph()) == []


# Loops closed by imports for annotations only: a module typed with the object that
# calls it (App and withdrawals, the fsck run and its checks, the Store and the
# rebuild it calls). None runs; no other may come.
TYPE_LOOPS = [
    ["maild.adapters.store.rebuild", "maild.adapters.store.tickets"],
    ["maild.app", "maild.withdrawals"],
    [
        "maild.fsck",
        "maild.fsckattach",
        "maild.fsckfiles",
        "maild.fsckrecords",
        "maild.fsckspool",
        "maild.fscksummaries",
    ],
]


def test_only_the_known_loops_are_closed_by_annotations() -> None:
    assert sorted(_cycles(_graph(annotations=True))) == TYPE_LOOPS


def test_the_import_reader_sees_annotations_packages_and_importlib(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "import importlib\n"
        "if TYPE_CHECKING:\n"
        "    from maild.app import App\n"
        "from maild.adapters.store.files import CorruptFile\n"
        "def later():\n"
        "    return importlib.import_module('maild.pipeline')\n",
        encoding="utf-8",
    )
    ran = {"maild.adapters", "maild.adapters.store", "maild.adapters.store.files", "maild.pipeline"}
    assert _imports("maild.domain.probe", probe) == ran
    assert _imports("maild.domain.probe", probe, annotations=True) == ran | {"maild.app"}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("maild.domain")))
def test_domain_imports_only_the_domain(name: str) -> None:
    """Imports for annotations too: a domain function typed with App that calls
    app.store reaches the store as one importing it does."""
    imported = _imports(name, MODULES[name], annotations=True)
    outside = sorted(m for m in imported if not m.startswith("maild.domain"))
    assert outside == [], f"{name} imports {outside}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("maild.domain")))
def test_domain_logs_nothing(name: str) -> None:
    """Logging is I/O: a decision that logs cannot be made twice (a property test, a
    dry run) without saying it twice. The domain says its lines (domain/said.py) and
    the pipeline logs them once the decision is stored. No import of logging, at the
    top, in a function, under TYPE_CHECKING or by name."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add(node.module or "")
        elif (by_name := _imported_by_name(node)) is not None:
            found.add(by_name)
    assert sorted(m for m in found if m.partition(".")[0] == "logging") == [], name


def test_sizes() -> None:
    big = []
    for name, path in MODULES.items():
        src = path.read_text(encoding="utf-8")
        if src.count("\n") > 400:
            big.append(f"{name}: {src.count(chr(10))} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    big.append(f"{name}.{node.name}: {length} lines")
    assert big == []
