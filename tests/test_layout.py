"""The house keeps its shape: no import cycles, no module-level run state, no rule knowledge
in the engine, small files, a short top-level package (issue 14, GUIDE "The house").

Read statically with `ast`, so a lazy import inside a function counts as much as one at the top;
imports under `if TYPE_CHECKING:` never run and are left out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Source folder -> the package it installs as (pyproject.toml's package-dir).
PACKAGES = {"dvcflow": "dvcflow", "rules": "dvcflow.rules", "hooks": "dvcflow.hooks"}
MAX_LINES = 600
MAX_TOP_LEVEL_MODULES = 15
CACHE_TYPES = {"WeakKeyDictionary", "WeakValueDictionary", "WeakSet"}
MUTATORS = {"setdefault", "append", "add", "update", "extend", "insert", "pop", "clear"}


def _sources() -> dict[str, Path]:
    """Module name -> file, for every module dvcflow installs."""
    found: dict[str, Path] = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at any depth."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (i for n in node.orelse for i in _imports_in(n))
            continue
        yield from _imports_in(node)


def _imports_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    else:
        yield from _imports(node)


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The modules an import statement names (`from a import b` is `a.b` when b is a module)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        anchor = parts if is_package else parts[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    yield base
    yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    sources = _sources()
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, path in sources.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        for node in _imports(tree):
            graph[name].update(
                t for t in _targets(name, is_package, node) if t in sources and t != name
            )
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_sees_a_lazy_cycle() -> None:
    """The check itself: a cycle closed by an import inside a function is found."""
    a = ast.parse("import dvcflow.b\n")
    b = ast.parse("def f():\n    from dvcflow import a\n")
    graph = {
        "dvcflow.a": {t for n in _imports(a) for t in _targets("dvcflow.a", False, n)},
        "dvcflow.b": {t for n in _imports(b) for t in _targets("dvcflow.b", False, n)},
    }
    graph = {k: v & graph.keys() for k, v in graph.items()}
    assert cycles(graph) == [["dvcflow.a", "dvcflow.b"]]
    hidden = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\n")
    assert [n for n in _imports(hidden) if isinstance(n, ast.Import)] == []


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles (lazy imports included):\n" + "\n".join(
        " <-> ".join(c) for c in found
    )


def test_no_file_over_the_limit() -> None:
    too_long = []
    for folder in ("dvcflow", "rules", "hooks", "tests", "bench", "tools"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not too_long, f"files over {MAX_LINES} lines (split them):\n" + "\n".join(too_long)


def test_top_level_package_stays_small() -> None:
    modules = sorted(p.name for p in (ROOT / "dvcflow").glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, (
        f"{len(modules)} modules directly in dvcflow/ (at most {MAX_TOP_LEVEL_MODULES}): "
        "move a subsystem into a subpackage"
    )


def _mutable_globals(tree: ast.Module) -> set[str]:
    """Module-level names bound to an empty-ish mutable container (a cache in the making)."""
    names: set[str] = set()
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if value is None or not _is_mutable(value):
            continue
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _is_mutable(value: ast.expr) -> bool:
    if isinstance(value, (ast.Dict, ast.List, ast.Set)):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return name in {"dict", "list", "set", "defaultdict", "OrderedDict", *CACHE_TYPES}
    return False


def run_state_problems(tree: ast.Module) -> Iterator[str]:
    """Where a module keeps state between calls: weak caches, unbounded memo decorators,
    module globals mutated from a function, `global` statements."""
    shared = _mutable_globals(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in CACHE_TYPES:
            yield f"line {node.lineno}: {node.id}"
        elif isinstance(node, ast.Attribute) and node.attr in CACHE_TYPES:
            yield f"line {node.lineno}: {node.attr}"
        elif isinstance(node, ast.Global):
            yield f"line {node.lineno}: global {', '.join(node.names)}"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _memo_decorators(node)
            yield from _mutations(node, shared)


def _memo_decorators(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[str]:
    """`@cache` / `@lru_cache(maxsize=None)` grow without bound across runs; a bounded
    `lru_cache` on a pure function of its arguments (a version parse) is not run state."""
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
        unbounded = name == "cache" or (
            name == "lru_cache"
            and isinstance(deco, ast.Call)
            and any(
                k.arg == "maxsize" and isinstance(k.value, ast.Constant) and k.value.value is None
                for k in deco.keywords
            )
        )
        if unbounded:
            yield f"line {deco.lineno}: @{name} on {func.name}() (unbounded)"


def _mutations(func: ast.FunctionDef | ast.AsyncFunctionDef, shared: set[str]) -> Iterator[str]:
    for node in ast.walk(func):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, ast.Name)
                    and target.value.id in shared
                ):
                    name = target.value.id
                    yield f"line {node.lineno}: {func.name}() writes module global {name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATORS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in shared
        ):
            yield f"line {node.lineno}: {func.name}() mutates module global {node.func.value.id}"


def test_run_state_check_finds_caches() -> None:
    source = (
        "from weakref import WeakKeyDictionary\n"
        "_A: WeakKeyDictionary[object, int] = WeakKeyDictionary()\n"
        "_B: dict[str, int] = {}\n"
        "def f(k):\n    _B[k] = 1\n"
        "def g(k):\n    return _B.setdefault(k, 2)\n"
    )
    assert len(list(run_state_problems(ast.parse(source)))) == 4
    clean = "_TABLE = {'a': 1}\ndef f(k):\n    local = {}\n    local[k] = _TABLE[k]\n"
    assert list(run_state_problems(ast.parse(clean))) == []


def test_no_module_level_run_state() -> None:
    """Run state lives on the Context (`ctx.memo`), never in module globals (GUIDE)."""
    problems = []
    for name, path in _sources().items():
        if name.startswith("dvcflow.hooks"):  # dvcflow/ and rules/
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found = dict.fromkeys(run_state_problems(tree))  # (an annotation and its call: once)
        problems.extend(f"{path.relative_to(ROOT)}: {p}" for p in found)
    assert not problems, "module-level run state (use ctx.memo):\n" + "\n".join(problems)


_RULE_CODE = re.compile(r"\bDVF\d")


def _code_strings(tree: ast.Module) -> Iterator[ast.Constant]:
    """String constants that are not docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node


def test_engine_knows_no_rule() -> None:
    """`dvcflow/` names no rule code in its code and imports no rule family: it may use the
    registry (`dvcflow.rules`), never `dvcflow.rules.<family>`."""
    problems = []
    graph = import_graph()
    for name, path in _sources().items():
        if name.startswith(("dvcflow.rules", "dvcflow.hooks")):
            continue
        where = path.relative_to(ROOT)
        problems.extend(
            f"{where}: imports {target}"
            for target in sorted(graph[name])
            if target.startswith("dvcflow.rules.")
        )
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        problems.extend(
            f"{where}:{node.lineno}: names a rule code in {node.value!r}"
            for node in _code_strings(tree)
            if _RULE_CODE.search(node.value)
        )
    assert not problems, "rule knowledge in the engine:\n" + "\n".join(problems)
