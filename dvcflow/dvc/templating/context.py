"""dvc/parsing/context.py: the variables a dvc.yaml's templates see, where each came from."""

from __future__ import annotations

from typing import Any

from dvcflow.dvc.templating.model import TemplatingError

PRIMITIVES = (int, float, str, bytes, bool)


class ContextError(TemplatingError):
    """dvc.parsing.context.ContextError (ParamsLoadError, MergeError, ReservedKeyError)."""


class KeyNotInContext(ContextError):
    """dvc.parsing.context.KeyNotInContext."""


class VarsAlreadyLoaded(ContextError):
    """dvc.parsing.context.VarsAlreadyLoaded."""


class Node:
    """dvc.parsing.context.Node: a value in the context, with where it came from (Meta)."""

    __slots__ = ("path", "source")

    def __init__(self, source: str | None, path: tuple[str, ...]) -> None:
        self.source = source
        self.path = path


class Leaf(Node):
    """dvc.parsing.context.Value."""

    __slots__ = ("value",)

    def __init__(self, value: Any, source: str | None, path: tuple[str, ...]) -> None:
        super().__init__(source, path)
        self.value = value


class CtxDict(Node):
    """dvc.parsing.context.CtxDict (non-string keys are dropped, as DVC drops them)."""

    __slots__ = ("children",)

    def __init__(
        self, children: dict[str, Node], source: str | None, path: tuple[str, ...]
    ) -> None:
        super().__init__(source, path)
        self.children = children


class CtxList(Node):
    """dvc.parsing.context.CtxList."""

    __slots__ = ("items",)

    def __init__(self, items: list[Node], source: str | None, path: tuple[str, ...]) -> None:
        super().__init__(source, path)
        self.items = items


def build_node(value: Any, source: str | None, path: tuple[str, ...]) -> Node:
    """Container._convert_with_meta: plain data to context nodes; nodes are kept as they are."""
    if isinstance(value, Node):
        return value
    if value is None or isinstance(value, PRIMITIVES):
        return Leaf(value, source, path)
    if isinstance(value, dict):
        children = {
            k: build_node(v, source, (*path, k)) for k, v in value.items() if isinstance(k, str)
        }
        return CtxDict(children, source, path)
    if isinstance(value, list):
        items = [build_node(v, source, (*path, str(i))) for i, v in enumerate(value)]
        return CtxList(items, source, path)
    where = f"{source or '<local>'}:{'.'.join(path)}"
    raise ContextError(f"Unsupported value of type '{type(value).__name__}' in '{where}'")


def unwrap(value: Any) -> Any:
    """Unwrap nodes (anywhere inside plain lists/dicts too) to plain data."""
    if isinstance(value, Leaf):
        return value.value
    if isinstance(value, CtxDict):
        return {k: unwrap(v) for k, v in value.children.items()}
    if isinstance(value, CtxList):
        return [unwrap(v) for v in value.items]
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def _clone_node(node: Node) -> Node:
    """CtxDict/CtxList.__deepcopy__: containers are copied *without* their Meta (source)."""
    if isinstance(node, CtxDict):
        return CtxDict({k: _clone_node(v) for k, v in node.children.items()}, None, ())
    if isinstance(node, CtxList):
        return CtxList(node.items[:], None, ())
    return node


class Context:
    """dvc.parsing.context.Context: the variables, the files imported and the reserved keys."""

    def __init__(
        self,
        root: CtxDict,
        imports: dict[str, list[str] | None],
        reserved: dict[str, None],
    ) -> None:
        self.root = root
        self.imports = imports
        self.reserved = reserved

    def clone(self) -> Context:
        """Context.clone (a deepcopy)."""
        root = CtxDict({k: _clone_node(v) for k, v in self.root.children.items()}, None, ())
        imports = {k: (v[:] if v is not None else None) for k, v in self.imports.items()}
        return Context(root, imports, dict(self.reserved))

    def with_temporarily(self, to_set: dict[str, Any]) -> Context:
        """Context.set_temporarily(to_set, reserve=True), as a new context."""
        children = dict(self.root.children)
        children.update({k: build_node(v, None, (k,)) for k, v in to_set.items()})
        reserved = dict(self.reserved)
        reserved.update(dict.fromkeys(k for k in to_set if k not in reserved))
        return Context(CtxDict(children, self.root.source, ()), self.imports, reserved)

    def merge_update(self, other: CtxDict) -> None:
        """Context.merge_update (never overwriting)."""
        matches = [key for key in self.reserved if key in other.children]
        if matches:
            raise ReservedKeyError(matches)
        _merge(self.root, other)


class ReservedKeyError(ContextError):
    """dvc.parsing.context.ReservedKeyError."""

    def __init__(self, keys: list[str], path: str | None = None) -> None:
        self.keys = keys
        noun = "key" + ("s" if len(keys) > 1 else "")
        message = f"attempted to modify reserved {noun} {_humanize_join(keys)}"
        if path:
            message += f" in '{path}'"
        super().__init__(message)


def _humanize_join(words: list[str]) -> str:
    """dvc.utils.humanize.join."""
    if len(words) > 1:
        return f"{', '.join(words[:-1])} and {words[-1]}"
    return words[0] if words else ""


def _merge(into: CtxDict, update: CtxDict) -> None:
    """dvc.parsing.context._merge with overwrite=False: dicts merge, anything else collides."""
    for key, val in update.children.items():
        existing = into.children.get(key)
        if isinstance(existing, CtxDict) and isinstance(val, CtxDict):
            _merge(existing, val)
            continue
        if existing is not None:
            raise ContextError(  # MergeError
                f"cannot redefine '{'.'.join(val.path)}' from '{val.source}'"
                f" as it already exists in '{existing.source}'"
            )
        into.children[key] = val


def select(root: CtxDict, key: str) -> Node:
    """Context.select / Container.select: dotted keys, `[n]` indexes, int() for list indexes."""
    rest: str | None = key.replace("[", ".").replace("]", "")
    node: Node = root
    while rest is not None:
        index, dot, tail = rest.partition(".")
        index = index.strip()
        child: Node | None = None
        if isinstance(node, CtxDict):
            child = node.children.get(index)
        elif isinstance(node, CtxList):
            child = _list_item(node, index)
        if child is None:
            raise KeyNotInContext(f"Could not find '{key}'")
        node, rest = child, (tail if dot else None)
    return node


def _list_item(node: CtxList, index: str) -> Node | None:
    try:
        return node.items[int(index)]
    except (ValueError, IndexError):
        return None


def check_loaded(imported: list[str] | None, item: str, keys: list[str] | None) -> None:
    """Context.check_loaded: a file is loaded whole once, or by distinct keys."""
    if not keys and isinstance(imported, list):
        raise VarsAlreadyLoaded(f"cannot load '{item}' as it's partially loaded already")
    if keys and imported is None:
        raise VarsAlreadyLoaded(f"cannot partially load '{item}' as it's already loaded.")
    if isinstance(imported, list) and keys and set(keys) & set(imported):
        raise VarsAlreadyLoaded(f"cannot load '{item}' as it's partially loaded already")
