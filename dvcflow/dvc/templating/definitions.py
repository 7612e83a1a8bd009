"""dvc/parsing/__init__.py, DataResolver's `vars` and EntryDefinition: one plain stage."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from dvcflow.dvc.params import DEFAULT_PARAMS_FILE, ParamsError
from dvcflow.dvc.templating.context import (
    Context,
    ContextError,
    CtxDict,
    KeyNotInContext,
    ReservedKeyError,
    VarsAlreadyLoaded,
    build_node,
    check_loaded,
)
from dvcflow.dvc.templating.interpolate import (
    KEYCRE,
    ParseError,
    ResolveOpts,
    check_expressions,
    resolve_data,
    resolve_str,
    strings_in,
    to_str,
)
from dvcflow.dvc.templating.model import (
    STAGES_KWD,
    VARS_KWD,
    WDIR_KWD,
    Keypath,
    ReadParams,
    ResolvedStage,
    ResolveFailure,
    TemplatingError,
    key_name,
    key_part,
)
from dvcflow.errors import DvcflowError


class EntryResolver:
    """dvc.parsing.DataResolver's context and `vars`, and EntryDefinition (a plain stage)."""

    def __init__(self, dvcfile: str, read_params: ReadParams, config: dict[str, Any]) -> None:
        self.relpath = posixpath.normpath(dvcfile)
        self.wdir = posixpath.dirname(self.relpath)
        self.read_params = read_params
        self.config = config
        self.context = Context(CtxDict({}, None, ()), {}, {})
        self._files: dict[str, dict[str, Any] | ContextError] = {}
        self._missing: set[str] = set()

    # ---- formatting (parsing.format_and_raise)

    def _fail(self, exc: TemplatingError, what: str, keypath: Keypath) -> ResolveFailure:
        return ResolveFailure(
            f"failed to parse {what} in '{self.relpath}': {exc.message}",
            exc.keypath or keypath,
            exc.origin,
        )

    # ---- vars files (Context.load_from / merge_from / load_from_vars)

    def _read(self, path: str) -> dict[str, Any] | ContextError:
        if path not in self._files:
            self._files[path] = self._load_file(path)
        return self._files[path]

    def _load_file(self, path: str) -> dict[str, Any] | ContextError:
        try:
            return self.read_params(path)
        except FileNotFoundError:
            self._missing.add(path)
            return ContextError(f"'{path}' does not exist")
        except IsADirectoryError:
            return ContextError(f"'{path}' is a directory")
        except (OSError, UnicodeDecodeError, DvcflowError) as exc:
            return ContextError(f"unable to read: '{path}', {exc}")
        except ParamsError as exc:
            where = f"line {exc.line}, column {exc.column}" if exc.column else f"line {exc.line}"
            line = f" ({where})" if exc.line else ""
            message = f"unable to read: '{path}', {exc.message}{line}"
            return ContextError(message, origin=(path, exc.line, exc.column))

    def _exists(self, path: str) -> bool:
        self._read(path)
        return path not in self._missing

    def _load_from(self, path: str, select_keys: list[str] | None) -> CtxDict:
        """Context.load_from."""
        loaded = self._read(path)
        if isinstance(loaded, ContextError):
            raise ContextError(loaded.message, origin=loaded.origin)
        data: dict[str, Any] = loaded
        if select_keys:
            missing = next((key for key in select_keys if key not in data), None)
            if missing is not None:
                raise ContextError(f"could not find '{missing}' in '{path}'")
            data = {key: data[key] for key in select_keys}
        node = build_node(data, path, ())
        assert isinstance(node, CtxDict)
        return node

    def _merge_from(self, ctx: Context, item: str, wdir: str) -> None:
        """Context.merge_from: `file`, `file:key1,key2`; a whole file twice is fine."""
        raw_path, _, keys_str = item.partition(":")
        path = posixpath.normpath(posixpath.join(wdir, raw_path))
        select_keys = [k for k in keys_str.split(",") if k] if keys_str else None
        if path in ctx.imports:
            if not select_keys and ctx.imports[path] is None:
                return
            check_loaded(ctx.imports[path], item, select_keys)
        loaded = self._load_from(path, select_keys)
        try:
            ctx.merge_update(loaded)
        except ReservedKeyError as exc:
            raise ReservedKeyError(exc.keys, item) from exc
        if path not in ctx.imports:
            ctx.imports[path] = select_keys
        elif select_keys:
            imported = ctx.imports[path]
            assert imported is not None
            imported.extend(select_keys)

    def _load_vars(
        self,
        ctx: Context,
        vars_: list[Any],
        wdir: str,
        where: Keypath,
        stage_name: str = "",
        default: str | None = None,
    ) -> None:
        """Context.load_from_vars; errors get the keypath of their `vars` entry."""
        if default and self._exists(posixpath.normpath(posixpath.join(wdir, default))):
            self._merge_from(ctx, default, wdir)
        joiner = "." if stage_name else ""
        for index, item in enumerate(vars_):
            try:
                if isinstance(item, str):
                    self._merge_from(ctx, item, wdir)
                elif isinstance(item, dict):
                    source = f"{stage_name}{joiner}vars[{index}]"
                    node = build_node(item, source, ())
                    assert isinstance(node, CtxDict)
                    ctx.merge_update(node)
                else:
                    raise ContextError(
                        f"expected a file name or a dictionary, got {type(item).__name__}"
                    )
            except TemplatingError as exc:
                exc.keypath = exc.keypath or (*where, index)
                raise

    def _check_interpolations(self, data: Any, where: str, keypath: Keypath) -> None:
        """parsing.check_interpolations: `vars` are never templated."""
        for text, at in strings_in(data, keypath):
            if KEYCRE.search(text):
                raise ResolveFailure(
                    f"failed to parse '{where}' in '{self.relpath}': interpolating is not allowed",
                    at,
                )

    def load_top_vars(self, vars_: Any) -> None:
        """DataResolver.__init__: top-level `vars`, after the default params.yaml."""
        if not isinstance(vars_, list):
            got = type(vars_).__name__
            raise ResolveFailure(
                f"failed to parse 'vars' in '{self.relpath}': expected a list, got {got}",
                (VARS_KWD,),
            )
        self._check_interpolations(vars_, VARS_KWD, (VARS_KWD,))
        try:
            self._load_vars(
                self.context, vars_, self.wdir, (VARS_KWD,), default=DEFAULT_PARAMS_FILE
            )
        except ContextError as exc:
            raise self._fail(exc, f"'{VARS_KWD}'", ()) from exc

    # ---- one stage (EntryDefinition.resolve / resolve_stage)

    def _resolve_stage(
        self,
        ctx: Context,
        name: str,
        group: str,
        definition: Mapping[str, Any],
        skip_checks: bool,
        base: Keypath,
    ) -> ResolvedStage:
        """EntryDefinition.resolve: ContextErrors become "failed to parse stage '<name>'"."""
        try:
            body, imports = self._resolve_body(ctx, name, definition, skip_checks, base)
        except ContextError as exc:
            raise self._fail(exc, f"stage '{name}'", base) from exc
        return ResolvedStage(name, group, body, tuple(imports))

    def _resolve_body(
        self,
        ctx: Context,
        name: str,
        definition: Mapping[str, Any],
        skip_checks: bool,
        base: Keypath,
    ) -> tuple[dict[str, Any], list[str]]:
        """EntryDefinition.resolve_stage."""
        if not skip_checks:
            self._check_syntax(definition, name, base)
        wdir = self._resolve_wdir(ctx, name, definition.get(WDIR_KWD), base)
        vars_ = definition.get(VARS_KWD) or []
        vars_where = f"{STAGES_KWD}.{name}.{VARS_KWD}"
        self._check_interpolations(vars_, vars_where, (*base, VARS_KWD))
        if not isinstance(vars_, list):
            got = type(vars_).__name__
            raise ResolveFailure(
                f"failed to parse '{vars_where}' in '{self.relpath}': expected a list, got {got}",
                (*base, VARS_KWD),
            )
        if vars_:
            ctx = ctx.clone()
        try:
            self._load_vars(ctx, vars_, wdir, (*base, VARS_KWD), stage_name=name)
        except VarsAlreadyLoaded as exc:
            raise self._fail(exc, f"'{vars_where}'", (*base, VARS_KWD)) from exc
        resolved: dict[str, Any] = {}
        for key, value in definition.items():
            if key == VARS_KWD:
                continue
            opts = ResolveOpts(True, skip_checks, key_name(key), self.config)
            try:
                resolved[key] = resolve_data(ctx, value, opts, (*base, key_part(key)))
            except (ParseError, KeyNotInContext) as exc:
                raise self._fail(
                    exc, f"'{STAGES_KWD}.{name}.{key}'", (*base, key_part(key))
                ) from exc
        return resolved, list(ctx.imports)

    def _check_syntax(self, definition: Mapping[str, Any], name: str, base: Keypath) -> None:
        """parsing.check_syntax_errors."""
        for key, value in definition.items():
            try:
                check_expressions(value, (*base, key_part(key)))
            except ParseError as exc:
                raise self._fail(
                    exc, f"'{STAGES_KWD}.{name}.{key}'", (*base, key_part(key))
                ) from exc

    def _resolve_wdir(self, ctx: Context, name: str, wdir: Any, base: Keypath) -> str:
        """EntryDefinition._resolve_wdir: the folder stage `vars` are relative to."""
        if not wdir:
            return self.wdir
        try:
            resolved = to_str(
                resolve_str(ctx, wdir if isinstance(wdir, str) else str(wdir), ResolveOpts())
            )
        except (ContextError, ParseError) as exc:
            keypath = (*base, WDIR_KWD)
            exc.keypath = keypath
            raise self._fail(exc, f"'{STAGES_KWD}.{name}.{WDIR_KWD}'", keypath) from exc
        return posixpath.join(self.wdir, resolved)
