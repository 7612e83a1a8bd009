"""The installed version of a package, read from its metadata folder on `sys.path`.

`importlib.metadata.version()` gives the same answer, but importing `importlib.metadata`
(email, zipfile, csv, ...) costs a hook more than the lookup itself. This scans `sys.path`
the way its `MetadataPathFinder` does for installed wheels and sdists (`<name>-<version>
.dist-info`, `<name>[-<version>].egg-info`) and hands over to `importlib.metadata` for what a
folder scan cannot see (a zip or egg file on `sys.path`).
"""

from __future__ import annotations

import os
import re
import sys

_METADATA_DIR = re.compile(r"^(?P<name>[^-]+?)(?:-[^-]*)?\.(?:dist|egg)-info$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_.]+")


def _normal(name: str) -> str:
    """importlib.metadata's Prepared.normalize: PEP 503 with underscores."""
    return _SEPARATORS.sub("_", name).lower()


def installed_version(package: str) -> str | None:
    """The version of `package` the running interpreter would import; None if not installed."""
    wanted = _normal(package)
    for entry in sys.path:
        folder = entry or "."
        if not os.path.isdir(folder):
            if os.path.isfile(folder):  # a zip or egg: let importlib.metadata read it
                return _from_importlib(package)
            continue
        version = _version_in(folder, wanted)
        if version is not None:
            return version
    return None


def version_beside_command(command: str, package: str) -> str | None:
    """The version of `package` in the Python environment that the `command` on PATH belongs
    to (its `bin/` or `Scripts/` folder's prefix), as the user's shell would run it.

    A pre-commit hook runs in pre-commit's own environment; the `dvc` the user runs (and whose
    version wrote dvc.lock) is the one on PATH.
    """
    import shutil

    found = shutil.which(command)
    if found is None:
        return None
    prefix = os.path.dirname(os.path.dirname(os.path.realpath(found)))
    lib = os.path.join(prefix, "lib")
    folders = [os.path.join(prefix, "Lib", "site-packages")]
    if os.path.isdir(lib):
        folders += [os.path.join(lib, n, "site-packages") for n in sorted(os.listdir(lib))]
    wanted = _normal(package)
    for folder in folders:
        version = _version_in(folder, wanted) if os.path.isdir(folder) else None
        if version is not None:
            return version
    return None


def _version_in(folder: str, wanted: str) -> str | None:
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    for name in sorted(names):
        match = _METADATA_DIR.match(name)
        if match is None or _normal(match["name"]) != wanted:
            continue
        version = _metadata_version(os.path.join(folder, name))
        if version is not None:
            return version
    return None


def _metadata_version(path: str) -> str | None:
    """The `Version:` header of a METADATA (wheel) or PKG-INFO (egg-info) file."""
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(path, filename), encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    if not line.strip():
                        break  # the headers end at the first blank line
                    key, _, value = line.partition(":")
                    if key.strip().lower() == "version":
                        return value.strip() or None
        except OSError:
            continue
    return None


def _from_importlib(package: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None
    except (OSError, ValueError):  # pragma: no cover - broken metadata
        return None
