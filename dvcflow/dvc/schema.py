"""The shape DVC accepts for dvc.yaml and dvc.lock, mirrored from `dvc/schema.py` (DVC 3.x).

DVC validates the raw dvc.yaml (before `${}` templating) with voluptuous and refuses the whole
file on the first error; dvcflow reports every problem it can find, each with a key path so the
caller can point at the line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

KeyPath = tuple[str | int, ...]


class SchemaProblem:
    message: str
    keypath: KeyPath

    __slots__ = ("keypath", "message")

    def __init__(self, message: str, keypath: KeyPath) -> None:
        self.message = message
        self.keypath = keypath


Check = Callable[[Any, KeyPath], Iterator[SchemaProblem]]


def _type_name(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def _expect(kind: type | tuple[type, ...], label: str) -> Check:
    def check(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            yield SchemaProblem(f"expected {label}, found {_type_name(value)}", path)

    return check


def _anything(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
    return iter(())


def _list_of(item: Check, label: str) -> Check:
    def check(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
        if not isinstance(value, list):
            yield SchemaProblem(f"expected a list of {label}, found {_type_name(value)}", path)
            return
        for index, element in enumerate(value):
            yield from item(element, (*path, index))

    return check


def _mapping(fields: dict[str, Check], required: tuple[str, ...] = (), what: str = "") -> Check:
    def check(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
        if not isinstance(value, dict):
            yield SchemaProblem(f"expected a mapping{what}, found {_type_name(value)}", path)
            return
        for key in required:
            if key not in value:
                yield SchemaProblem(f"required key '{key}' is missing{what}", path)
        for key, element in value.items():
            if key not in fields:
                yield SchemaProblem(
                    f"unknown key '{key}'{what} (DVC: extra keys not allowed)", (*path, key)
                )
            else:
                yield from fields[key](element, (*path, key))

    return check


def _either(*options: tuple[Callable[[Any], bool], Check], label: str) -> Check:
    def check(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
        for matches, inner in options:
            if matches(value):
                yield from inner(value, path)
                return
        yield SchemaProblem(f"expected {label}, found {_type_name(value)}", path)

    return check


def _is(kind: type) -> Callable[[Any], bool]:
    return lambda value: (
        isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    )


_STR = _expect(str, "a string")
_BOOL = _expect(bool, "true or false")
_CMD = _either((_is(str), _anything), (_is(list), _anything), label="a string or a list")

_OUT_FLAGS: dict[str, Check] = {
    "cache": _BOOL,
    "persist": _BOOL,
    "checkpoint": _BOOL,
    "remote": _STR,
    "push": _BOOL,
    "desc": _STR,
    "type": _STR,
    "labels": _list_of(_STR, "strings"),
    "meta": _anything,
}
_PLOT_PROPS: dict[str, Check] = {
    **_OUT_FLAGS,
    "template": _STR,
    "x": _STR,
    "y": _STR,
    "x_label": _STR,
    "y_label": _STR,
    "title": _STR,
    "header": _BOOL,
}


def _path_with(props: Check) -> Check:
    """`- path` or `- path: {props}` (DVC: a one-entry mapping of path to its flags)."""

    def mapping(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
        for key, flags in value.items():
            if not isinstance(key, str):
                yield SchemaProblem("an output path must be a string", path)
            else:
                yield from props(flags, (*path, key))

    return _either((_is(str), _anything), (_is(dict), mapping), label="a path or a mapping")


_OUT = _path_with(_mapping(_OUT_FLAGS, what=" in output flags"))
_PLOT_PROPS_CHECK = _mapping(_PLOT_PROPS, what=" in plot properties")
_PLOT = _path_with(
    _either(
        (_is(dict), _PLOT_PROPS_CHECK),
        (_is(list), _list_of(_PLOT_PROPS_CHECK, "plot properties")),
        label="plot properties",
    )
)
_PARAM = _either((_is(str), _anything), (_is(dict), _anything), label="a key or a mapping")
_VARS = _list_of(
    _either((_is(str), _anything), (_is(dict), _anything), label="a file name or a mapping"),
    "file names or mappings",
)

STAGE_FIELDS: dict[str, Check] = {
    "matrix": _mapping({}, what=""),  # replaced below: any str key to a str or list
    "cmd": _CMD,
    "wdir": _STR,
    "deps": _list_of(_STR, "paths"),
    "params": _list_of(_PARAM, "params"),
    "vars": _VARS,
    "frozen": _BOOL,
    "meta": _anything,
    "desc": _STR,
    "always_changed": _BOOL,
    "outs": _list_of(_OUT, "outputs"),
    "metrics": _list_of(_OUT, "metrics"),
    "plots": _list_of(_PLOT, "plots"),
}


def _matrix(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
    if not isinstance(value, dict):
        yield SchemaProblem(f"expected a mapping, found {_type_name(value)}", path)
        return
    for key, element in value.items():
        if not isinstance(element, (str, list)):
            yield SchemaProblem(
                f"expected a list or a `${{}}` string, found {_type_name(element)}", (*path, key)
            )


STAGE_FIELDS["matrix"] = _matrix
_STAGE_DEFINITION = _mapping(STAGE_FIELDS, required=("cmd",))
_FOREACH = _mapping(
    {
        "foreach": _either(
            (_is(dict), _anything),
            (_is(list), _anything),
            (_is(str), _anything),
            label="a list, a mapping or a `${}` string",
        ),
        "do": _STAGE_DEFINITION,
    },
    required=("foreach", "do"),
)


def _stage(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
    if isinstance(value, dict) and {"foreach", "do"} & value.keys():
        yield from _FOREACH(value, path)
    else:
        yield from _STAGE_DEFINITION(value, path)


def _stages(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
    if not isinstance(value, dict):
        yield SchemaProblem(f"expected a mapping of stages, found {_type_name(value)}", path)
        return
    for name, body in value.items():
        if not isinstance(name, str):
            yield SchemaProblem(f"stage name {name!r} must be a string", (*path, name))
        else:
            yield from _stage(body, (*path, name))


_DVC_YAML = _mapping(
    {
        "datasets": _anything,
        "plots": _list_of(
            _either((_is(str), _anything), (_is(dict), _anything), label="a plot"), "plots"
        ),
        "stages": _stages,
        "vars": _VARS,
        "params": _list_of(_STR, "params files"),
        "metrics": _list_of(_STR, "metrics files"),
        "artifacts": _expect(dict, "a mapping"),
    }
)


def validate_dvc_yaml(data: Any) -> list[SchemaProblem]:
    return list(_DVC_YAML(data, ()))


_LOCK_ENTRY: Check = _expect(dict, "a mapping with a path")


def _lock_entry(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
    if not isinstance(value, dict):
        yield SchemaProblem(f"expected a mapping with a path, found {_type_name(value)}", path)
    elif not isinstance(value.get("path"), str):
        yield SchemaProblem("required key 'path' is missing", path)


_LOCK_STAGE = _mapping(
    {
        "cmd": _CMD,
        "deps": _list_of(_lock_entry, "entries"),
        "params": _expect(dict, "a mapping of params files"),
        "outs": _list_of(_lock_entry, "entries"),
    },
    required=("cmd",),
)


def _lock_stages(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
    if not isinstance(value, dict):
        yield SchemaProblem(f"expected a mapping of stages, found {_type_name(value)}", path)
        return
    for name, body in value.items():
        yield from _LOCK_STAGE(body, (*path, name))


def validate_lock(data: Any) -> list[SchemaProblem]:
    if isinstance(data, dict) and data and "schema" not in data:
        return [
            SchemaProblem(
                "dvc.lock is in the DVC 1.x format, which DVC 3 does not read "
                "(unsupported lock format)",
                (),
            )
        ]
    problems = list(
        _mapping(
            {"schema": _anything, "datasets": _anything, "stages": _lock_stages},
            required=("schema",) if data else (),
        )(data, ())
    )
    if isinstance(data, dict) and "schema" in data and str(data["schema"]) != "2.0":
        problems.append(
            SchemaProblem(
                f"invalid schema version {data['schema']!r}; DVC 3 expects '2.0'", ("schema",)
            )
        )
    return problems


# -- `.dvc` files: DVC's SINGLE_STAGE_SCHEMA (dvc/schema.py, dvc/output.py, dvc/dependency) ----
# voluptuous checks `int` with isinstance, so `size: true` passes; DVC validates a copy and
# then loads the raw data, so a number `md5` in an entry passes the schema and crashes DVC.


def _vol(kind: type, label: str) -> Check:
    """A voluptuous type check: isinstance, a bool counting as an int."""

    def check(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
        if not isinstance(value, kind):
            yield SchemaProblem(f"expected {label}, found {_type_name(value)}", path)

    return check


def _optional(inner: Check) -> Check:
    """`vol.Any(<inner>, None)`."""

    def check(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
        if value is not None:
            yield from inner(value, path)

    return check


def _checksum(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
    """`CHECKSUM_SCHEMA`: empty, or a string (or a number) of at least 3 characters."""
    if value is None or value == "":
        return
    if not isinstance(value, (str, int)) or len(str(value)) < 3:
        yield SchemaProblem(
            f"not a valid checksum: expected empty or at least 3 characters, found {value!r}",
            path,
        )


def _entry_md5(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
    """An entry's `md5`: the schema coerces a number to a string, the loader does not."""
    yield from _checksum(value, path)
    if isinstance(value, int) and len(str(value)) >= 3:
        kind = "boolean" if isinstance(value, bool) else "number"
        yield SchemaProblem(
            f"the md5 {value!r} is read as a {kind}, on which DVC crashes "
            f"('{type(value).__name__}' object has no attribute 'endswith'); quote it",
            path,
        )


_VOL_STR = _vol(str, "a string")
_VOL_BOOL = _vol(bool, "true or false")
_VOL_INT = _vol(int, "an integer")
_VOL_DICT = _vol(dict, "a mapping")
_META_FIELDS: dict[str, Check] = {
    "size": _VOL_INT,
    "nfiles": _VOL_INT,
    "isexec": _VOL_BOOL,
    "version_id": _VOL_STR,
}
_CHECKSUM_FIELDS: dict[str, Check] = {"md5": _checksum, "checksum": _checksum, "etag": _checksum}


def _cloud(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
    """`CLOUD_SCHEMA`: at most one remote name mapped to its meta and checksums."""
    yield from _mapping_of(_mapping({**_META_FIELDS, **_CHECKSUM_FIELDS}))(value, path)
    if isinstance(value, dict) and len(value) > 1:
        yield SchemaProblem("expected at most one remote entry", path)


def _mapping_of(inner: Check) -> Check:
    """`{str: inner}`: string keys only."""

    def check(value: Any, path: KeyPath) -> Iterator[SchemaProblem]:
        if not isinstance(value, dict):
            yield SchemaProblem(f"expected a mapping, found {_type_name(value)}", path)
            return
        for key, element in value.items():
            if not isinstance(key, str):
                yield SchemaProblem(f"unknown key {key!r} (DVC: extra keys not allowed)", path)
            else:
                yield from inner(element, (*path, key))

    return check


_ENTRY_BASE: dict[str, Check] = {
    **_CHECKSUM_FIELDS,
    "md5": _entry_md5,
    **_META_FIELDS,
    "path": _VOL_STR,
    "persist": _VOL_BOOL,
    "cloud": _cloud,
    "hash": _VOL_STR,
    "files": _list_of(
        _mapping(
            {**_CHECKSUM_FIELDS, **_META_FIELDS, "relpath": _VOL_STR, "cloud": _cloud},
            required=("relpath",),
        ),
        "file entries",
    ),
    "fs_config": _VOL_DICT,
}
_REPO = _mapping(
    {
        "url": _VOL_STR,
        "rev": _VOL_STR,
        "rev_lock": _VOL_STR,
        "config": _either((_is(str), _anything), (_is(dict), _anything), label="a string"),
        "remote": _either((_is(str), _anything), (_is(dict), _anything), label="a string"),
    },
    required=("url",),
)
_DB = _mapping(
    {"query": _VOL_STR, "connection": _VOL_STR, "file_format": _VOL_STR, "table": _VOL_STR}
)
# `path` is optional in DVC's schema, but its loader pops it: a missing path is a KeyError.
_DVC_FILE_DEP = _mapping({**_ENTRY_BASE, "repo": _REPO, "db": _DB}, required=("path",))
_DVC_FILE_OUT = _mapping(
    {
        **_ENTRY_BASE,
        "desc": _VOL_STR,
        "type": _VOL_STR,
        "labels": _list_of(_VOL_STR, "strings"),
        "meta": _anything,
        "cache": _VOL_BOOL,
        "remote": _VOL_STR,
        "push": _VOL_BOOL,
    },
    required=("path",),
)
_DVC_FILE = _mapping(
    {
        "md5": _checksum,
        "wdir": _optional(_VOL_STR),
        "deps": _optional(_list_of(_DVC_FILE_DEP, "dependencies")),
        "outs": _optional(_list_of(_DVC_FILE_OUT, "outputs")),
        "locked": _VOL_BOOL,
        "frozen": _VOL_BOOL,
        "meta": _anything,
        "always_changed": _VOL_BOOL,
        "desc": _VOL_STR,
    }
)


def validate_dvc_file(data: Any) -> list[SchemaProblem]:
    """What makes DVC refuse a `.dvc` file (`dvc add`/`dvc import` output), as DVC 3 checks."""
    return list(_DVC_FILE(data, ()))
