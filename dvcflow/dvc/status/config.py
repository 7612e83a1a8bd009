"""DVC's config as the fast path reads it: the cache folder, the state database's folder, locks.

The levels merge like DVC's (system, global, repo, local). A setting the fast path does not
model raises `Unsupported`.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from dvcflow.dvc.status.model import Unsupported

if TYPE_CHECKING:
    import configparser

# cache.shared only sets the modes of files DVC writes; objects stay 0o444 (dvc_data's
# LocalHashFileDB.CACHE_MODE), so the status is read the same way.
_CACHE_KEYS = frozenset({"dir", "type", "protected", "slow_link_warning", "shared"})


class DvcSettings:
    """The few DVC config values the fast path depends on, merged like DVC's config levels."""

    project_dir: str  # absolute, real path of the project root
    cache_dir: str  # absolute
    site_cache_dir: str | None
    hardlink_lock: bool

    __slots__ = ("cache_dir", "hardlink_lock", "project_dir", "site_cache_dir")

    def __init__(
        self,
        project_dir: str,
        cache_dir: str,
        site_cache_dir: str | None,
        hardlink_lock: bool = False,
    ) -> None:
        self.project_dir = project_dir
        self.cache_dir = cache_dir
        self.site_cache_dir = site_cache_dir
        self.hardlink_lock = hardlink_lock


def _config_dirs() -> tuple[str, str]:
    """platformdirs' site and user config folders for DVC (dvc.dirs), with or without it."""
    try:
        import platformdirs
    except ImportError:  # installed with dvc; its Linux and macOS answers, without it
        home = os.path.expanduser("~")
        if sys.platform == "darwin":
            return (
                "/Library/Application Support/dvc",
                os.path.join(home, "Library", "Application Support", "dvc"),
            )
        if sys.platform.startswith("win"):
            raise Unsupported("DVC's config folders are unknown without platformdirs") from None
        xdg_dirs = os.getenv("XDG_CONFIG_DIRS", "").split(os.pathsep)[0] or "/etc/xdg"
        xdg_home = os.getenv("XDG_CONFIG_HOME", "").strip() or os.path.join(home, ".config")
        return os.path.join(xdg_dirs, "dvc"), os.path.join(xdg_home, "dvc")
    return (
        platformdirs.site_config_dir("dvc", "iterative"),
        platformdirs.user_config_dir("dvc", "iterative"),
    )


def _config_files(dvc_dir: str) -> list[str]:
    """DVC's config levels, lowest priority first: system, global, repo, local."""
    site, user_dir = _config_dirs()
    system = os.getenv("DVC_SYSTEM_CONFIG_DIR") or site
    user = os.getenv("DVC_GLOBAL_CONFIG_DIR") or user_dir
    return [
        os.path.join(system, "config"),
        os.path.join(user, "config"),
        os.path.join(dvc_dir, "config"),
        os.path.join(dvc_dir, "config.local"),
    ]


def read_settings(project_dir: str) -> DvcSettings:
    """Merge the config levels; raise Unsupported for settings the fast path does not model."""
    dvc_dir = os.path.join(project_dir, ".dvc")
    cache_dir = os.path.join(dvc_dir, "cache")
    site_cache_dir: str | None = None
    hardlink_lock = False
    for level, path in enumerate(_config_files(dvc_dir)):
        parser = _parse_config(path)
        if parser is None:
            continue
        # dvcflow.dvc.projects reads [parsing] from the repo and local levels only.
        # ([feature] holds only `machine`, which the status does not read.)
        if parser.has_section("parsing") and level < 2:
            raise Unsupported(f"{path}: [parsing] settings")
        if parser.has_section("cache"):
            extra = set(parser.options("cache")) - _CACHE_KEYS
            if extra:
                raise Unsupported(f"{path}: cache.{sorted(extra)[0]}")
            if parser.has_option("cache", "dir"):
                value = parser.get("cache", "dir")
                cache_dir = os.path.normpath(os.path.join(os.path.dirname(path), value))
        if parser.has_option("core", "site_cache_dir"):
            site_cache_dir = parser.get("core", "site_cache_dir")
        if parser.has_option("core", "hardlink_lock"):
            hardlink_lock = parser.get("core", "hardlink_lock").strip().lower() in ("true", "1")
    site_cache_dir = os.getenv("DVC_SITE_CACHE_DIR") or site_cache_dir
    return DvcSettings(project_dir, cache_dir, site_cache_dir, hardlink_lock)


def _parse_config(path: str) -> configparser.RawConfigParser | None:
    import configparser

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise Unsupported(f"{path}: {exc}") from exc
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        raise Unsupported(f"{path}: {exc}") from exc
    return parser


def default_site_cache_dir() -> str | None:
    """dvc.dirs.site_cache_dir() without DVC: `/var/tmp/dvc` on Linux, platformdirs elsewhere."""
    android = hasattr(sys, "getandroidapilevel") or os.getenv("ANDROID_DATA") == "/data"
    if sys.platform.startswith("linux") and not android:
        return "/var/tmp/dvc"  # platformdirs' Unix class, without importing it
    try:
        import platformdirs
        from platformdirs import PlatformDirs
        from platformdirs.unix import Unix
    except ImportError:
        return "/var/tmp/dvc" if sys.platform.startswith("linux") else None
    if issubclass(Unix, PlatformDirs):
        return "/var/tmp/dvc"
    return str(platformdirs.site_cache_dir("dvc", "iterative", opinion=True))
