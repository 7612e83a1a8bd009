"""Python sources read statically: imports, `sys.path` edits, and where an import resolves.

Files are parsed with `ast` (never imported or run). `import` statements are resolved against
the folders Python would search (`Root`s, in order); a name that does not resolve to a file in
the snapshot is the standard library or a third-party package and is ignored. Parses of
committed files are kept between runs by blob id (`StoredParses`).
"""

from __future__ import annotations

import ast
import posixpath
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from dvcflow.git.blobcache import BlobCache

IsPath = Callable[[str], bool]

_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset(sys.builtin_module_names)
_SYS_PATH_CALLS = {"insert": "front", "append": "back", "extend": "back"}
# A source without any of these words has no call `_call` reads (`sys.path.insert(...)`,
# `importlib.import_module(...)`, `__import__(...)`, `site.addsitedir(...)`).
_CALL_WORDS = ("sys", "import_module", "__import__", "addsitedir")


class Root(NamedTuple):
    """A folder on the module search path; fallback roots never shadow the standard library.

    A named tuple: search paths key the graph's caches, and tuples hash in C.
    """

    path: str
    fallback: bool = False


class ImportRequest:
    def __init__(self, module: str, names: tuple[str, ...], level: int) -> None:
        self.module = module  # "a.b" (relative part for level > 0)
        self.names = names  # `from module import names`; () for `import module`
        self.level = level


class SysPathEntry:
    def __init__(self, where: str, expr: ast.expr) -> None:
        self.where = where  # "front" | "back"
        self.expr = expr


class ParsedPython:
    """A Python source reduced to what dependency analysis needs."""

    def __init__(self, imports: list[ImportRequest] | None = None, trivial: bool = False) -> None:
        self.imports: list[ImportRequest] = [] if imports is None else imports
        self.sys_path: list[SysPathEntry] = []
        self.names: dict[str, ast.expr] = {}  # module-level NAME = expr
        self.runs: list[str] = []  # notebook `%run` targets
        self.trivial = trivial  # no statements besides a docstring


class StoredParses:
    """Parses kept between runs in a dvcflow.git.blobcache.BlobCache, found by blob id.

    Only what a parse holds as plain data is stored: a file with `sys.path` edits (whose
    arguments stay AST expressions) is parsed again each run.
    """

    KIND = "imports"

    def __init__(self, cache: BlobCache, blob_of: Callable[[str], str | None]) -> None:
        self.cache = cache
        self.blob_of = blob_of

    def get(self, path: str) -> ParsedPython | None:
        blob = self.blob_of(path)
        entry = self.cache.get(self.KIND, blob) if blob is not None else None
        return _decode_parse(entry) if entry is not None else None

    def put(self, path: str, parsed: ParsedPython) -> None:
        blob = self.blob_of(path)
        if blob is not None and not parsed.sys_path and not parsed.runs:
            imports = [[r.module, list(r.names), r.level] for r in parsed.imports]
            self.cache.put(self.KIND, blob, [parsed.trivial, imports])


def _decode_parse(entry: Any) -> ParsedPython | None:
    """A stored entry back into a parse; None (parse again) for anything malformed."""
    try:
        trivial, imports = entry
        requests = [
            ImportRequest(str(module), tuple(str(n) for n in names), int(level))
            for module, names, level in imports
        ]
    except (TypeError, ValueError, OverflowError):
        return None
    return ParsedPython(imports=requests, trivial=bool(trivial))


class ModuleFinder:
    """Resolves import statements to the local files they execute, within one snapshot view.

    Resolutions are cached per (module, search path): shared by every file and stage of a run.
    """

    def __init__(self, is_file: IsPath, is_dir: IsPath) -> None:
        self.is_file = is_file
        self.is_dir = is_dir
        self._modules: dict[tuple[str, tuple[Root, ...]], tuple[list[str], list[str]]] = {}

    def resolve(self, request: ImportRequest, path: str, roots: tuple[Root, ...]) -> list[str]:
        """The local files an import statement executes: packages' __init__ and modules."""
        if request.level:
            base = posixpath.dirname(path)
            for _ in range(request.level - 1):
                base = posixpath.dirname(base)
            package = [base]
            files = [f for f in [repo_join(base, "__init__.py")] if self.is_file(f)]
            if request.module:
                package, more = self._walk_parts(request.module.split("."), package)
                files += more
        else:
            package, files = self._absolute(request.module, roots)
            if not files and not package:
                return []
        for name in request.names:
            if name == "*" or not package:
                continue
            _, more = self._walk_parts([name], package)
            files += more
        return list(dict.fromkeys(files))

    def _absolute(self, module: str, roots: tuple[Root, ...]) -> tuple[list[str], list[str]]:
        """(package folders, files) for `import a.b.c`; ([], []) when it is not local."""
        key = (module, roots)
        if key not in self._modules:
            parts = module.split(".")
            top_dirs, top_files = self._top_level(parts[0], roots)
            if top_files and not top_dirs:  # a module file: nothing below it
                self._modules[key] = ([], top_files)
            elif top_dirs:
                dirs, more = self._walk_parts(parts[1:], top_dirs)
                self._modules[key] = (dirs, top_files + more)
            else:
                self._modules[key] = ([], [])
        dirs, files = self._modules[key]
        return list(dirs), list(files)

    def _top_level(self, name: str, roots: tuple[Root, ...]) -> tuple[list[str], list[str]]:
        namespace: list[str] = []
        for root in roots:
            if root.fallback and name in _STDLIB:
                continue
            base = repo_join(root.path, name)
            if self.is_file(f"{base}.py"):
                return [], [f"{base}.py"]
            if self.is_file(f"{base}/__init__.py"):
                return [base], [f"{base}/__init__.py"]
            if self.is_dir(base):
                namespace.append(base)
        return namespace, []

    def _walk_parts(self, parts: list[str], dirs: list[str]) -> tuple[list[str], list[str]]:
        """Descend `a.b` from package folders; return (folders of the last package, files)."""
        files: list[str] = []
        for part in parts:
            if not dirs:
                break
            next_dirs: list[str] = []
            for folder in dirs:
                base = repo_join(folder, part)
                if self.is_file(f"{base}.py"):
                    files.append(f"{base}.py")
                    return [], files
                if self.is_file(f"{base}/__init__.py"):
                    files.append(f"{base}/__init__.py")
                    next_dirs = [base]
                    break
                if self.is_dir(base):
                    next_dirs.append(base)
            dirs = next_dirs
        return dirs, files


# -- parsing (pure) ----------------------------------------------------------------------------
def parse_python(text: str) -> ParsedPython:
    """Imports, `sys.path` edits and module-level names of a Python source; never runs it."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return ParsedPython()
    parsed = ParsedPython(trivial=_is_trivial(tree))
    _collect(tree, parsed, calls=any(word in text for word in _CALL_WORDS))
    return parsed


def _is_trivial(tree: ast.Module) -> bool:
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return not body


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _collect(tree: ast.Module, parsed: ParsedPython, calls: bool = True) -> None:
    """Imports anywhere in the module; with `calls`, also the calls `_call` reads (only
    statements are walked without it: an import statement is never inside an expression)."""
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                parsed.names[target.id] = statement.value
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(reversed(node.orelse))
            continue
        if isinstance(node, ast.Import):
            parsed.imports.extend(ImportRequest(a.name, (), 0) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names)
            parsed.imports.append(ImportRequest(node.module or "", names, node.level or 0))
        elif isinstance(node, ast.Call):
            _call(node, parsed)
        elif not calls and isinstance(node, ast.expr):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _call(node: ast.Call, parsed: ParsedPython) -> None:
    """`importlib.import_module("x")`, `__import__("x")`, `sys.path.insert(0, ...)`."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in ("import_module", "__import__") and node.args:
        arg = node.args[0]
        literal = _literal(arg)
        if literal and not literal.startswith("."):
            parsed.imports.append(ImportRequest(literal, (), 0))
        return
    if (
        isinstance(func, ast.Attribute)
        and func.attr in _SYS_PATH_CALLS
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "path"
        and isinstance(func.value.value, ast.Name)
        and func.value.value.id == "sys"
        and node.args
    ):
        arg = node.args[-1]
        where = _SYS_PATH_CALLS[func.attr]
        if func.attr == "insert" and len(node.args) == 2:
            index = node.args[0]
            where = "front" if isinstance(index, ast.Constant) and index.value == 0 else "back"
        items = (
            arg.elts if func.attr == "extend" and isinstance(arg, (ast.List, ast.Tuple)) else [arg]
        )
        parsed.sys_path.extend(SysPathEntry(where, item) for item in items)
    elif name == "addsitedir" and node.args:
        parsed.sys_path.append(SysPathEntry("back", node.args[0]))


_PASSTHROUGH = frozenset(
    {
        "abspath",
        "realpath",
        "normpath",
        "str",
        "Path",
        "PurePath",
        "PosixPath",
        "resolve",
        "absolute",
        "fspath",
        "expanduser",
    }
)


def eval_path(
    expr: ast.expr, file: str, cwd: str, names: dict[str, ast.expr], depth: int = 0
) -> str | None:
    """A repo-relative folder for a path expression built from literals and `__file__`."""
    if depth > 20:
        return None

    def again(inner: ast.expr) -> str | None:
        return eval_path(inner, file, cwd, names, depth + 1)

    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return repo_join(cwd, expr.value) if not expr.value.startswith(("/", "~")) else None
    if isinstance(expr, ast.Name):
        if expr.id == "__file__":
            return file
        bound = names.get(expr.id)
        return again(bound) if bound is not None else None
    if isinstance(expr, ast.Attribute):
        if expr.attr == "parent":
            inner = again(expr.value)
            return posixpath.dirname(inner) if inner is not None else None
        return None
    if isinstance(expr, ast.Subscript):
        return _eval_parents(expr, again)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
        left, right = again(expr.left), _literal(expr.right)
        return repo_join(left, right) if left is not None and right is not None else None
    if isinstance(expr, ast.Call):
        return _eval_call(expr, again, cwd)
    return None


def _eval_parents(expr: ast.Subscript, again: Callable[[ast.expr], str | None]) -> str | None:
    """`Path(__file__).parents[1]`."""
    if not (isinstance(expr.value, ast.Attribute) and expr.value.attr == "parents"):
        return None
    index = expr.slice
    if not (isinstance(index, ast.Constant) and isinstance(index.value, int)):
        return None
    inner = again(expr.value.value)
    if inner is None:
        return None
    for _ in range(index.value + 1):
        if not inner:  # the repository's root: `parents[10**12]` stays there, at once
            break
        inner = posixpath.dirname(inner)
    return inner


def _eval_call(expr: ast.Call, again: Callable[[ast.expr], str | None], cwd: str) -> str | None:
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in ("getcwd", "cwd") and not expr.args:
        return cwd
    if name == "dirname" and len(expr.args) == 1:
        inner = again(expr.args[0])
        return posixpath.dirname(inner) if inner is not None else None
    if name == "join" and expr.args:
        base = again(expr.args[0])
        parts = [_literal(a) for a in expr.args[1:]]
        if base is None or any(p is None for p in parts):
            return None
        for part in parts:
            assert part is not None
            base = repo_join(base, part) if base is not None else None
        return base
    if name in _PASSTHROUGH:
        if isinstance(func, ast.Attribute) and name in ("resolve", "absolute", "expanduser"):
            return again(func.value)
        if len(expr.args) == 1:
            return again(expr.args[0])
        if not expr.args and name == "Path":
            return cwd
    return None


def _literal(expr: ast.expr) -> str | None:
    return expr.value if isinstance(expr, ast.Constant) and isinstance(expr.value, str) else None


def repo_join(folder: str, name: str) -> str:
    """A repo-relative join; a path that leaves the repository comes back starting with ../."""
    norm = posixpath.normpath(posixpath.join(folder, name))
    return "" if norm == "." else norm


def make_roots(primary: Sequence[str], fallback: Sequence[str]) -> tuple[Root, ...]:
    seen: dict[str, Root] = {}
    for path in primary:
        if not path.startswith("../") and path != "..":
            seen.setdefault(path, Root(path))
    for path in fallback:
        if not path.startswith("../") and path != "..":
            seen.setdefault(path, Root(path, fallback=True))
    return tuple(seen.values())
