"""What a script pulls in, read statically: Python imports, notebook cells, R `source()`.

Nothing is imported or run. Python files are parsed with `ast` (once per run each) and their
`import` statements resolved against the folders Python would search: the script's folder
(`sys.path[0]`), PYTHONPATH from the command, literal `sys.path.insert/append` arguments, then
the command's folder, the project and repository roots and their `src/` layouts. A name that
does not resolve to a file in the snapshot is the standard library or a third-party package
and is ignored. Notebooks are read cell by cell (`%run x.py` counts as running x.py); Quarto
and R Markdown documents by code chunk; R scripts by `source("x.R")` literals; shell scripts
through dvcflow.scripts.commands. Cycles terminate: every file is visited once per entry point.
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from dvcflow.errors import DvcflowError
from dvcflow.scripts.commands import CommandScanner, Invocation, Language

if TYPE_CHECKING:
    from dvcflow.git.blobcache import BlobCache

DepKind = Literal["script", "import"]
ReadText = Callable[[str], str]
IsPath = Callable[[str], bool]

_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset(sys.builtin_module_names)
_R_SOURCE = re.compile(
    r"""\b(?:sys\.)?source\(\s*(?:file\s*=\s*)?(?P<q>["'])(?P<path>[^"'\n]+)(?P=q)"""
)
_CHUNK = re.compile(
    r"^(?P<fence>`{3,})\s*\{(?P<lang>[A-Za-z0-9_]+)[^}\n]*\}[^\n]*\n(?P<body>.*?)^(?P=fence)\s*$",
    re.MULTILINE | re.DOTALL,
)
_RUN_MAGIC = re.compile(r"^\s*%run\s+(?:-\w+\s+)*(?P<path>[^\s;#]+)")
_SYS_PATH_CALLS = {"insert": "front", "append": "back", "extend": "back"}
# A source without any of these words has no call `_call` reads (`sys.path.insert(...)`,
# `importlib.import_module(...)`, `__import__(...)`, `site.addsitedir(...)`).
_CALL_WORDS = ("sys", "import_module", "__import__", "addsitedir")


class Dependency(NamedTuple):
    """A local file a stage needs, and how it is reached from the stage's command.

    (A named tuple: a walk makes one per file reached, tens of thousands in a large graph.)
    """

    path: str
    chain: tuple[str, ...]  # entry script ... path
    kind: DepKind  # "script": run by the command (or a script it runs); "import": imported
    direct: bool  # imported by a script itself (not by another module)

    @property
    def via(self) -> str:
        return " -> ".join(self.chain)


class Root(NamedTuple):
    """A folder on the module search path; fallback roots never shadow the standard library.

    A named tuple: search paths key the graph's caches, and tuples hash in C.
    """

    path: str
    fallback: bool = False


class _Edge(NamedTuple):
    path: str
    kind: DepKind
    language: Language
    roots: tuple[Root, ...]
    cwd: str


def _node(edge: _Edge) -> _Edge:
    """An edge as a node of the closure graph: how a file was reached does not change what
    it reaches."""
    return edge if edge.kind == "import" else edge._replace(kind="import")


@dataclass
class _ImportRequest:
    module: str  # "a.b" (relative part for level > 0)
    names: tuple[str, ...]  # `from module import names`; () for `import module`
    level: int


@dataclass
class _SysPathEntry:
    where: str  # "front" | "back"
    expr: ast.expr


@dataclass
class _Parsed:
    """A Python source reduced to what dependency analysis needs."""

    imports: list[_ImportRequest] = field(default_factory=list)
    sys_path: list[_SysPathEntry] = field(default_factory=list)
    names: dict[str, ast.expr] = field(default_factory=dict)  # module-level NAME = expr
    runs: list[str] = field(default_factory=list)  # notebook `%run` targets
    trivial: bool = False  # no statements besides a docstring


class StoredParses:
    """Parses kept between runs in a dvcflow.git.blobcache.BlobCache, found by blob id.

    Only what a parse holds as plain data is stored: a file with `sys.path` edits (whose
    arguments stay AST expressions) is parsed again each run.
    """

    KIND = "imports"

    def __init__(self, cache: BlobCache, blob_of: Callable[[str], str | None]) -> None:
        self.cache = cache
        self.blob_of = blob_of

    def get(self, path: str) -> _Parsed | None:
        blob = self.blob_of(path)
        entry = self.cache.get(self.KIND, blob) if blob is not None else None
        return _decode_parse(entry) if entry is not None else None

    def put(self, path: str, parsed: _Parsed) -> None:
        blob = self.blob_of(path)
        if blob is not None and not parsed.sys_path and not parsed.runs:
            imports = [[r.module, list(r.names), r.level] for r in parsed.imports]
            self.cache.put(self.KIND, blob, [parsed.trivial, imports])


def _decode_parse(entry: Any) -> _Parsed | None:
    """A stored entry back into a parse; None (parse again) for anything malformed."""
    try:
        trivial, imports = entry
        requests = [
            _ImportRequest(str(module), tuple(str(n) for n in names), int(level))
            for module, names, level in imports
        ]
    except (TypeError, ValueError, OverflowError):
        return None
    return _Parsed(imports=requests, trivial=bool(trivial))


class DependencyGraph:
    """Follows what scripts run and import, within one view of the repository's files.

    One instance per run: parsed files and resolved edges are cached, so a module shared by
    500 stages is parsed once and its imports resolved once per search path.
    """

    def __init__(
        self,
        read_text: ReadText,
        is_file: IsPath,
        is_dir: IsPath,
        search_roots: Sequence[str] = (),
        parsed: dict[str, _Parsed] | None = None,
        prefetch: Callable[[list[str]], None] | None = None,
        stored: StoredParses | None = None,
    ) -> None:
        self.read_text = read_text
        self.is_file = is_file
        self.is_dir = is_dir
        # Reads a batch of files ahead (a snapshot's `prefetch`): one BFS level at a time.
        self.prefetch = prefetch
        self._fetched: set[str] = set()
        self.search_roots = tuple(dict.fromkeys(search_roots))
        self.scanner = CommandScanner(is_file, self.search_roots)
        # Parsed Python files, shareable between graphs of one run (one per DVC project).
        self._python: dict[str, _Parsed] = {} if parsed is None else parsed
        self._edges: dict[tuple[str, Language, tuple[Root, ...], str], list[_Edge]] = {}
        self._closures: dict[tuple[Invocation, bool], list[Dependency]] = {}
        self._modules: dict[tuple[str, tuple[Root, ...]], tuple[list[str], list[str]]] = {}
        # Closures as bit sets (one bit per file, `_bits`): a set per node would take memory
        # quadratic in the depth of the import graph.
        self._reach: dict[_Edge, int] = {}  # node -> the files it reaches, itself included
        self._bits: dict[str, int] = {}  # file -> its bit
        self._files: list[str] = []  # bit -> file
        self.stored = stored  # parses kept between runs: a cached module is never read

    # -- public ----------------------------------------------------------------------------
    def dependencies(self, invocation: Invocation, *, transitive: bool = True) -> list[Dependency]:
        """Every local file an invocation needs besides the script itself, in visiting order.

        With `transitive=False`, imports are followed only one level from each script.
        """
        key = (invocation, transitive)
        if key not in self._closures:
            self._closures[key] = list(self._walk(invocation, transitive))
        return self._closures[key]

    def reachable(self, invocation: Invocation) -> frozenset[str]:
        """Every file `dependencies()` could reach (a superset, without the chains).

        Closures are computed once per file and search path and shared by every invocation
        that reaches them, so 500 stages over one library cost one walk of the library.
        It is a superset because `dependencies()` expands a file reached twice only the first
        time: when all of it is covered, so is everything `dependencies()` would return.
        """
        roots = self._with_sys_path(invocation)
        start = _Edge(invocation.script, "script", invocation.language, roots, invocation.cwd)
        edges = [
            *self._entry_edges(invocation, roots),
            *self._edges_of(start.path, start.language, roots, start.cwd),
        ]
        nodes = [_node(edge) for edge in edges]
        self._discover(nodes)
        found = self._bit(invocation.script)
        for node in nodes:
            found |= self._closure(node)
        return self._files_in(found)

    def _bit(self, path: str) -> int:
        index = self._bits.get(path)
        if index is None:
            index = self._bits[path] = len(self._files)
            self._files.append(path)
        return 1 << index

    def _files_in(self, bits: int) -> frozenset[str]:
        digits = bin(bits)[:1:-1]  # bit 0 first
        files, found = self._files, []
        index = digits.find("1")
        while index >= 0:
            found.append(files[index])
            index = digits.find("1", index + 1)
        return frozenset(found)

    def _discover(self, nodes: list[_Edge]) -> None:
        """Read the files below `nodes` one level at a time: one batch per level for the
        snapshot's `prefetch` rather than one read per file."""
        if self.prefetch is None:
            return
        frontier, seen = nodes, set()
        while frontier:
            pending = [
                n.path for n in frontier if n.path not in self._fetched and not self._known(n)
            ]
            if pending:
                self._fetched.update(pending)
                self.prefetch(pending)
            below: list[_Edge] = []
            for node in frontier:
                if node not in seen and node not in self._reach:  # (closed: already read)
                    seen.add(node)
                    below.extend(self._children(node))
            frontier = below

    def _known(self, node: _Edge) -> bool:
        return node.language == "python" and self.known_python(node.path)

    def known_python(self, path: str) -> bool:
        """A Python file whose parse the run already has or the cache holds: no read needed."""
        if path in self._python:
            return True
        parsed = self.stored.get(path) if self.stored is not None else None
        if parsed is not None:
            self._python[path] = parsed
        return parsed is not None

    def _children(self, node: _Edge) -> list[_Edge]:
        return [_node(e) for e in self._edges_of(node.path, node.language, node.roots, node.cwd)]

    def _closure(self, top: _Edge) -> int:
        """Files reachable from `top` (itself included): Tarjan's strongly connected
        components, iteratively, so that import cycles share one set and deep chains do not
        hit the recursion limit."""
        reach = self._reach
        if top in reach:
            return reach[top]
        index: dict[_Edge, int] = {top: 0}
        low: dict[_Edge, int] = {top: 0}
        stack: list[_Edge] = [top]
        on_stack = {top}
        work: list[tuple[_Edge, Iterator[_Edge]]] = [(top, iter(self._children(top)))]
        while work:
            node, pending = work[-1]
            for child in pending:
                if child in reach:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(self._children(child))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    self._close_component(node, stack, on_stack)
        return reach[top]

    def _close_component(self, head: _Edge, stack: list[_Edge], on_stack: set[_Edge]) -> None:
        members: list[_Edge] = []
        while True:
            member = stack.pop()
            on_stack.discard(member)
            members.append(member)
            if member == head:
                break
        inside = set(members)
        closure = 0
        for member in members:
            closure |= self._bit(member.path)
            for child in self._children(member):  # (cached edges: no second parse)
                if child not in inside:
                    closure |= self._reach[child]  # a finished component
        for member in members:
            self._reach[member] = closure

    def roots_for(self, invocation: Invocation) -> tuple[Root, ...]:
        """The module search path of a Python invocation (before `sys.path` edits)."""
        primary: list[str] = []
        if invocation.module is not None:
            primary.append(invocation.cwd)
            if invocation.module_root is not None:
                primary.append(invocation.module_root)
        else:
            primary.append(posixpath.dirname(invocation.script))
            if invocation.language == "notebook":
                primary.append(invocation.cwd)
        primary.extend(invocation.pythonpath)
        fallback = [invocation.cwd, _join(invocation.cwd, "src"), *self.search_roots]
        return _roots(primary, fallback)

    # -- traversal -------------------------------------------------------------------------
    def _walk(self, invocation: Invocation, transitive: bool) -> Iterator[Dependency]:
        roots = self._with_sys_path(invocation)
        start = invocation.script
        seen = {start}
        queue: deque[tuple[_Edge, tuple[str, ...], int]] = deque()
        for edge in self._entry_edges(invocation, roots):
            queue.append((edge, (start,), 0))
        for edge in self._edges_of(start, invocation.language, roots, invocation.cwd):
            queue.append((edge, (start,), 0))
        prefetch, fetched, edges_of = self.prefetch, self._fetched, self._edges_of
        while queue:
            if prefetch is not None and queue[0][0].path not in fetched:
                pending = [e.path for e, _, _ in queue if e.path not in fetched]
                fetched.update(pending)
                prefetch(pending)
            edge, chain, depth = queue.popleft()
            path = edge.path
            if path in seen:
                continue
            seen.add(path)
            depth = 0 if edge.kind == "script" else depth + 1
            here = (*chain, path)
            if not self._trivial(edge):
                yield Dependency(path, here, edge.kind, direct=depth <= 1)
            if not transitive and depth >= 1:
                continue
            for child in edges_of(path, edge.language, edge.roots, edge.cwd):
                if child.path not in seen:  # (it would be skipped when popped)
                    queue.append((child, here, depth))

    def _trivial(self, edge: _Edge) -> bool:
        return (
            edge.kind == "import"
            and (edge.path == "__init__.py" or edge.path.endswith("/__init__.py"))
            and self._parse_python(edge.path).trivial
        )

    def _entry_edges(self, invocation: Invocation, roots: tuple[Root, ...]) -> list[_Edge]:
        """`python -m a.b.c` imports a/__init__.py and a/b/__init__.py before running c."""
        if invocation.module is None or invocation.module_root is None:
            return []
        parts = invocation.module.split(".")
        edges: list[_Edge] = []
        for count in range(1, len(parts) + (1 if invocation.script.endswith("__main__.py") else 0)):
            init = _join(invocation.module_root, "/".join(parts[:count]) + "/__init__.py")
            if init != invocation.script and self.is_file(init):
                edges.append(_Edge(init, "import", "python", roots, invocation.cwd))
        return edges

    def _with_sys_path(self, invocation: Invocation) -> tuple[Root, ...]:
        roots = self.roots_for(invocation)
        if invocation.language != "python":
            return roots
        front: list[str] = []
        back: list[str] = []
        parsed = self._parse_python(invocation.script)
        for entry in parsed.sys_path:
            folder = _eval_path(entry.expr, invocation.script, invocation.cwd, parsed.names)
            if folder is not None:
                (front if entry.where == "front" else back).append(folder)
        if not front and not back:
            return roots
        primary = [r.path for r in roots if not r.fallback]
        fallback = [r.path for r in roots if r.fallback]
        return _roots([*front, *primary, *back], fallback)

    def _edges_of(
        self, path: str, language: Language, roots: tuple[Root, ...], cwd: str
    ) -> list[_Edge]:
        key = (path, language, roots, cwd)
        if key not in self._edges:
            self._edges[key] = list(self._compute_edges(path, language, roots, cwd))
        return self._edges[key]

    def _compute_edges(
        self, path: str, language: Language, roots: tuple[Root, ...], cwd: str
    ) -> Iterator[_Edge]:
        if language == "other" and self._shebang(path) == "python":
            language = "python"
        if language == "python":
            yield from self._python_edges(path, self._parse_python(path), roots, cwd)
        elif language == "notebook":
            yield from self._notebook_edges(path, roots, cwd)
        elif language == "document":
            yield from self._document_edges(path, roots, cwd)
        elif language == "r":
            yield from self._r_edges(path, self._text(path), cwd)
        elif language == "shell" or (language == "other" and self._shebang(path) == "shell"):
            yield from self._shell_edges(path, cwd)

    # -- Python ----------------------------------------------------------------------------
    def _parse_python(self, path: str) -> _Parsed:
        if path not in self._python:
            parsed = self.stored.get(path) if self.stored is not None else None
            if parsed is None:
                text = self._text(path)
                parsed = parse_python(text)
                if text and self.stored is not None:  # (an unreadable file is not remembered)
                    self.stored.put(path, parsed)
            self._python[path] = parsed
        return self._python[path]

    def _python_edges(
        self, path: str, parsed: _Parsed, roots: tuple[Root, ...], cwd: str
    ) -> Iterator[_Edge]:
        for request in parsed.imports:
            for found in self._resolve(request, path, roots):
                yield _Edge(found, "import", "python", roots, cwd)
        folder = posixpath.dirname(path)
        for target in parsed.runs:
            resolved = self._first_file(target, (folder, cwd))
            if resolved is not None:
                invocation = Invocation("%run", resolved, cwd, "python")
                yield _Edge(resolved, "script", "python", self.roots_for(invocation), cwd)

    def _resolve(self, request: _ImportRequest, path: str, roots: tuple[Root, ...]) -> list[str]:
        """The local files an import statement executes: packages' __init__ and modules."""
        if request.level:
            base = posixpath.dirname(path)
            for _ in range(request.level - 1):
                base = posixpath.dirname(base)
            package = [base]
            files = [f for f in [_join(base, "__init__.py")] if self.is_file(f)]
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
            base = _join(root.path, name)
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
                base = _join(folder, part)
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

    # -- notebooks, documents, R, shell ----------------------------------------------------
    def _notebook_edges(self, path: str, roots: tuple[Root, ...], cwd: str) -> Iterator[_Edge]:
        cells, kernel = notebook_code(self._text(path))
        if kernel == "r":
            yield from self._r_edges(path, "\n".join(cells), cwd)
            return
        yield from self._python_edges(path, parse_cells(cells), roots, cwd)

    def _document_edges(self, path: str, roots: tuple[Root, ...], cwd: str) -> Iterator[_Edge]:
        python, r_code = document_chunks(self._text(path))
        yield from self._python_edges(path, parse_cells(python), roots, cwd)
        yield from self._r_edges(path, "\n".join(r_code), cwd)

    def _r_edges(self, path: str, text: str, cwd: str) -> Iterator[_Edge]:
        folder = posixpath.dirname(path)
        for match in _R_SOURCE.finditer(text):
            found = self._first_file(match["path"], (cwd, folder))
            if found is not None:
                yield _Edge(found, "import", "r", (), cwd)

    def _shell_edges(self, path: str, cwd: str) -> Iterator[_Edge]:
        for invocation in self.scanner.scan_script(self._text(path), cwd, path):
            yield _Edge(
                invocation.script,
                "script",
                invocation.language,
                self._with_sys_path(invocation)
                if invocation.language == "python"
                else self.roots_for(invocation),
                invocation.cwd,
            )

    # -- files -----------------------------------------------------------------------------
    def _text(self, path: str) -> str:
        try:
            return self.read_text(path)
        except (OSError, DvcflowError):  # absent, binary or too large: nothing to follow
            return ""

    def _shebang(self, path: str) -> str | None:
        first = self._text(path)[:200].split("\n", 1)[0]
        if not first.startswith("#!"):
            return None
        if "python" in first:
            return "python"
        if re.search(r"\b(ba|z|k|da)?sh\b", first):
            return "shell"
        return None

    def _first_file(self, token: str, folders: Sequence[str]) -> str | None:
        if token.startswith(("/", "~", "$")):
            return None
        for folder in folders:
            candidate = _join(folder, token)
            if candidate and not candidate.startswith("../") and self.is_file(candidate):
                return candidate
        return None


# -- parsing (pure) ----------------------------------------------------------------------------
def parse_python(text: str) -> _Parsed:
    """Imports, `sys.path` edits and module-level names of a Python source; never runs it."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return _Parsed()
    parsed = _Parsed(trivial=_is_trivial(tree))
    _collect(tree, parsed, calls=any(word in text for word in _CALL_WORDS))
    return parsed


def parse_cells(cells: Sequence[str]) -> _Parsed:
    """Notebook or document code cells: IPython magics dropped, `%run` kept, cells parsed alone."""
    parsed = _Parsed()
    for cell in cells:
        code: list[str] = []
        lines = cell.splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            if not re.match(r"\s*%%(time|timeit|capture|prun)\b", lines[0]):
                continue
            lines = lines[1:]
        for line in lines:
            run = _RUN_MAGIC.match(line)
            if run:
                parsed.runs.append(run["path"])
            stripped = line.lstrip()
            code.append("" if stripped.startswith(("%", "!", "?")) else line)
        one = parse_python("\n".join(code))
        parsed.imports.extend(one.imports)
        parsed.sys_path.extend(one.sys_path)
        parsed.names.update(one.names)
    return parsed


def notebook_code(text: str) -> tuple[list[str], str]:
    """The code cells of a .ipynb file and its kernel language ("python" or "r")."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
        return [], "python"
    if not isinstance(data, dict):
        return [], "python"
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    kernel = metadata.get("kernelspec") or {}
    info = metadata.get("language_info") or {}
    language = str(
        (kernel.get("language") if isinstance(kernel, dict) else None)
        or (info.get("name") if isinstance(info, dict) else None)
        or "python"
    )
    cells: list[str] = []
    found = data.get("cells")
    for cell in found if isinstance(found, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(line for line in source if isinstance(line, str))
            cells.append(str(source))
    return cells, "r" if language.lower() == "r" else "python"


def document_chunks(text: str) -> tuple[list[str], list[str]]:
    """Python and R code chunks of a Quarto or R Markdown document."""
    python: list[str] = []
    r_code: list[str] = []
    for match in _CHUNK.finditer(text):
        lang = match["lang"].lower()
        if lang == "python":
            python.append(match["body"])
        elif lang == "r":
            r_code.append(match["body"])
    return python, r_code


def _is_trivial(tree: ast.Module) -> bool:
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return not body


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _collect(tree: ast.Module, parsed: _Parsed, calls: bool = True) -> None:
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
            parsed.imports.extend(_ImportRequest(a.name, (), 0) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names)
            parsed.imports.append(_ImportRequest(node.module or "", names, node.level or 0))
        elif isinstance(node, ast.Call):
            _call(node, parsed)
        elif not calls and isinstance(node, ast.expr):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _call(node: ast.Call, parsed: _Parsed) -> None:
    """`importlib.import_module("x")`, `__import__("x")`, `sys.path.insert(0, ...)`."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in ("import_module", "__import__") and node.args:
        arg = node.args[0]
        literal = _literal(arg)
        if literal and not literal.startswith("."):
            parsed.imports.append(_ImportRequest(literal, (), 0))
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
        parsed.sys_path.extend(_SysPathEntry(where, item) for item in items)
    elif name == "addsitedir" and node.args:
        parsed.sys_path.append(_SysPathEntry("back", node.args[0]))


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


def _eval_path(
    expr: ast.expr, file: str, cwd: str, names: dict[str, ast.expr], depth: int = 0
) -> str | None:
    """A repo-relative folder for a path expression built from literals and `__file__`."""
    if depth > 20:
        return None

    def again(inner: ast.expr) -> str | None:
        return _eval_path(inner, file, cwd, names, depth + 1)

    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return _join(cwd, expr.value) if not expr.value.startswith(("/", "~")) else None
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
        return _join(left, right) if left is not None and right is not None else None
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
            base = _join(base, part) if base is not None else None
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


def _join(folder: str, name: str) -> str:
    """A repo-relative join; a path that leaves the repository comes back starting with ../."""
    norm = posixpath.normpath(posixpath.join(folder, name))
    return "" if norm == "." else norm


def _roots(primary: Sequence[str], fallback: Sequence[str]) -> tuple[Root, ...]:
    seen: dict[str, Root] = {}
    for path in primary:
        if not path.startswith("../") and path != "..":
            seen.setdefault(path, Root(path))
    for path in fallback:
        if not path.startswith("../") and path != "..":
            seen.setdefault(path, Root(path, fallback=True))
    return tuple(seen.values())
