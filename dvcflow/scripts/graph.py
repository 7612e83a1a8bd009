"""What a script pulls in, read statically: the graph of files a stage's scripts run and import.

Nothing is imported or run. Python files are read by dvcflow.scripts.python (imports resolved
against the folders Python would search: the script's folder, PYTHONPATH from the command,
literal `sys.path.insert/append` arguments, then the command's folder, the project and
repository roots and their `src/` layouts); notebooks cell by cell and Quarto / R Markdown
documents by code chunk (dvcflow.scripts.notebooks; `%run x.py` counts as running x.py); R
scripts by `source()` (dvcflow.scripts.rsource); Julia by `include()` (dvcflow.scripts.julia);
shell scripts through dvcflow.scripts.scanner. Cycles terminate: every file is visited once
per entry point.
"""

from __future__ import annotations

import posixpath
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Literal, NamedTuple

from dvcflow.errors import DvcflowError
from dvcflow.scripts.invocation import LISTED, SOURCING, Invocation, Language
from dvcflow.scripts.python import (
    IsPath,
    ModuleFinder,
    ParsedPython,
    Root,
    StoredParses,
    eval_path,
    make_roots,
    parse_python,
    repo_join,
)
from dvcflow.scripts.scanner import CommandScanner

if TYPE_CHECKING:
    from dvcflow.scripts.rsource import RFiles

DepKind = Literal["script", "import"]
ReadText = Callable[[str], str]


class Dependency:
    """A local file a stage needs, and how it is reached from the stage's command.

    (A named tuple: a walk makes one per file reached, tens of thousands in a large graph.)
    """

    path: str
    chain: tuple[str, ...]  # entry script ... path
    kind: DepKind  # "script": run by the command (or a script it runs); "import": imported
    direct: bool  # imported by a script itself (not by another module)

    __slots__ = ("chain", "direct", "kind", "path")

    def __init__(self, path: str, chain: tuple[str, ...], kind: DepKind, direct: bool) -> None:
        self.path = path
        self.chain = chain
        self.kind = kind
        self.direct = direct

    @property
    def via(self) -> str:
        return " -> ".join(self.chain)


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
        parsed: dict[str, ParsedPython] | None = None,
        prefetch: Callable[[list[str]], None] | None = None,
        stored: StoredParses | None = None,
        files_under: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.read_text = read_text
        self.is_file = is_file
        self.is_dir = is_dir
        # Reads a batch of files ahead (a snapshot's `prefetch`): one BFS level at a time.
        self.prefetch = prefetch
        self._fetched: set[str] = set()
        self.search_roots = tuple(dict.fromkeys(search_roots))
        self.scanner = CommandScanner(is_file, self.search_roots)
        self._files_under = files_under
        # Parsed Python files, shareable between graphs of one run (one per DVC project).
        self._python: dict[str, ParsedPython] = {} if parsed is None else parsed
        self._edges: dict[tuple[str, Language, tuple[Root, ...], str], list[_Edge]] = {}
        self._closures: dict[tuple[Invocation, bool], list[Dependency]] = {}
        self.modules = ModuleFinder(is_file, is_dir)
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
        start = _Edge(invocation.script, "script", invocation.language, roots, _runs_in(invocation))
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
        """The module search path of a Python invocation (before `sys.path` edits).

        A module a stage lists in deps (`LISTED`) is imported, not run: its folder is not on
        the path; the folders of the scripts that import it come in its `pythonpath`.
        """
        primary: list[str] = []
        if invocation.runner == LISTED:
            pass
        elif invocation.module is not None:
            primary.append(invocation.cwd)
            if invocation.module_root is not None:
                primary.append(invocation.module_root)
        else:
            primary.append(posixpath.dirname(invocation.script))
            if invocation.language == "notebook":
                primary.append(invocation.cwd)
        primary.extend(invocation.pythonpath)
        fallback = [invocation.cwd, repo_join(invocation.cwd, "src"), *self.search_roots]
        return make_roots(primary, fallback)

    # -- traversal -------------------------------------------------------------------------
    def _walk(self, invocation: Invocation, transitive: bool) -> Iterator[Dependency]:
        roots = self._with_sys_path(invocation)
        start = invocation.script
        seen = {start}
        queue: deque[tuple[_Edge, tuple[str, ...], int]] = deque()
        for edge in self._entry_edges(invocation, roots):
            queue.append((edge, (start,), 0))
        for edge in self._edges_of(start, invocation.language, roots, _runs_in(invocation)):
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
            init = repo_join(invocation.module_root, "/".join(parts[:count]) + "/__init__.py")
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
            folder = eval_path(entry.expr, invocation.script, invocation.cwd, parsed.names)
            if folder is not None:
                (front if entry.where == "front" else back).append(folder)
        if not front and not back:
            return roots
        primary = [r.path for r in roots if not r.fallback]
        fallback = [r.path for r in roots if r.fallback]
        return make_roots([*front, *primary, *back], fallback)

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
        elif language == "julia":
            yield from self._julia_edges(path, cwd)
        elif language == "shell" or (language == "other" and self._shebang(path) == "shell"):
            yield from self._shell_edges(path, cwd)

    # -- Python ----------------------------------------------------------------------------
    def _parse_python(self, path: str) -> ParsedPython:
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
        self, path: str, parsed: ParsedPython, roots: tuple[Root, ...], cwd: str
    ) -> Iterator[_Edge]:
        for request in parsed.imports:
            for found in self.modules.resolve(request, path, roots):
                yield _Edge(found, "import", "python", roots, cwd)
        folder = posixpath.dirname(path)
        for target in parsed.runs:
            resolved = self._first_file(target, (folder, cwd))
            if resolved is not None:
                invocation = Invocation("%run", resolved, cwd, "python")
                yield _Edge(resolved, "script", "python", self.roots_for(invocation), cwd)

    # -- notebooks, documents, R, shell ----------------------------------------------------
    # (Each language's reader is imported where it is first needed: a run over Python scripts
    # never loads the R, Julia or notebook readers.)
    def _notebook_edges(self, path: str, roots: tuple[Root, ...], cwd: str) -> Iterator[_Edge]:
        from dvcflow.scripts.notebooks import notebook_code, parse_cells

        cells, kernel = notebook_code(self._text(path))
        if kernel == "r":
            yield from self._r_edges(path, "\n".join(cells), cwd)
            return
        yield from self._python_edges(path, parse_cells(cells), roots, cwd)

    def _document_edges(self, path: str, roots: tuple[Root, ...], cwd: str) -> Iterator[_Edge]:
        """A document's chunks run in `cwd` (the rendered document's folder: `_runs_in`); an
        included file's chunks run where the document including it runs."""
        from dvcflow.scripts.notebooks import document_chunks, included_documents, parse_cells

        text = self._text(path)
        python, r_code = document_chunks(text)
        for include in included_documents(text):
            found = self._first_file(include, (posixpath.dirname(path),))
            if found is not None:
                yield _Edge(found, "import", "document", roots, cwd)
        yield from self._python_edges(path, parse_cells(python), roots, cwd)
        yield from self._r_edges(path, "\n".join(r_code), cwd)

    @cached_property
    def _r_files(self) -> RFiles:
        """What R's `here()` and `list.files()` read (no listing: neither finds a file)."""
        from dvcflow.scripts.rsource import RFiles

        return RFiles(self.is_file, self._files_under or (lambda folder: []))

    def _r_edges(self, path: str, text: str, cwd: str) -> Iterator[_Edge]:
        from dvcflow.scripts.rsource import loaded_files

        sourced_files, rendered_files = loaded_files(text, cwd, self._r_files)
        for sourced in sourced_files:
            yield _Edge(sourced.path, "import", "r", (), sourced.cwd)
        for document in rendered_files:
            invocation = Invocation("render", document, cwd, "document")
            roots = self.roots_for(invocation)
            yield _Edge(document, "script", "document", roots, _runs_in(invocation))

    def _julia_edges(self, path: str, cwd: str) -> Iterator[_Edge]:
        from dvcflow.scripts.julia import included_paths

        found = self._first_file  # (relative to the including file's folder)
        for included in included_paths(self._text(path)):
            resolved = found(included, (posixpath.dirname(path),))
            if resolved is not None:
                yield _Edge(resolved, "import", "julia", (), cwd)

    def _shell_edges(self, path: str, cwd: str) -> Iterator[_Edge]:
        """What a shell script runs; a file it `source`s or `.`s is read like an import."""
        for invocation in self.scanner.scan_script(self._text(path), cwd, path):
            yield _Edge(
                invocation.script,
                "import" if invocation.runner in SOURCING else "script",
                invocation.language,
                self._with_sys_path(invocation)
                if invocation.language == "python"
                else self.roots_for(invocation),
                _runs_in(invocation),
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
            candidate = repo_join(folder, token)
            if candidate and not candidate.startswith("../") and self.is_file(candidate):
                return candidate
        return None


def _runs_in(invocation: Invocation) -> str:
    """The folder a file's code runs in: Quarto and R Markdown render a document from its own
    folder; everything else runs in the command's folder."""
    if invocation.language == "document":
        return posixpath.dirname(invocation.script)
    return invocation.cwd
