"""Run mypy --strict on dvcflow as it installs: rules/ is dvcflow.rules and hooks/ dvcflow.hooks.

setuptools maps those folders with package-dir; mypy cannot follow an editable install's finder,
so this builds the installed layout from symlinks in a temporary folder and checks that.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYOUT = {
    "dvcflow": ROOT / "dvcflow",
    "dvcflow/rules": ROOT / "rules",
    "dvcflow/hooks": ROOT / "hooks",
}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dvcflow-mypy-") as tmp:
        for package, source in LAYOUT.items():
            target = Path(tmp) / package
            target.mkdir(parents=True, exist_ok=True)
            for module in source.rglob("*.py"):
                link = target / module.relative_to(source)
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(module)
            if (source / "py.typed").exists():
                (target / "py.typed").symlink_to(source / "py.typed")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--strict",
                "--config-file",
                str(ROOT / "pyproject.toml"),
                "-p",
                "dvcflow",
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
            check=False,
        )
        output = proc.stdout.replace("dvcflow/rules/", "rules/").replace("dvcflow/hooks/", "hooks/")
        sys.stdout.write(output)
        sys.stderr.write(proc.stderr)
        return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
