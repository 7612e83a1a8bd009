"""The GitHub Action (action.yml) and the GitLab CI template (ci/gitlab/): valid by
check-jsonschema's built-in schemas, and the action's steps run as a runner runs them on a real
repository with a stale stage (issue 20 item 3)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ..conftest import Repo

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
GITLAB = ROOT / "ci" / "gitlab" / "dvcflow.gitlab-ci.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


@pytest.mark.parametrize(
    ("path", "schema"),
    [(ACTION, "vendor.github-actions"), (GITLAB, "vendor.gitlab-ci")],
    ids=["action.yml", "gitlab-ci"],
)
def test_valid_by_the_builtin_schema(path: Path, schema: str) -> None:
    proc = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gitlab_template_produces_the_code_quality_artifact() -> None:
    job = YAML(typ="safe").load(GITLAB.read_text(encoding="utf-8"))["dvcflow"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert job["artifacts"]["when"] == "always"
    script = "\n".join(job["script"])
    assert '--output-format gitlab > "$reports/gl-code-quality-report.json"' in script


_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def _evaluate(text: str, inputs: dict[str, str], action_path: Path) -> str:
    """The few expressions action.yml may use: `inputs.NAME` and `github.action_path`."""

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name == "github.action_path":
            return str(action_path)
        if name.startswith("inputs.") and name[7:] in inputs:
            return inputs[name[7:]]
        raise AssertionError(f"action.yml uses an expression this test does not know: {name}")

    return _EXPRESSION.sub(value, text)


def run_action(
    repo: Repo, tmp_path: Path, **given: str
) -> tuple[list[subprocess.CompletedProcess[str]], str]:
    """Every step of the composite action, as a runner runs it (`bash -e` from the workspace,
    GITHUB_* variables set); returns the steps' results and the job summary."""
    action: dict[str, Any] = YAML(typ="safe").load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update({name.replace("_", "-"): value for name, value in given.items()})
    summary = tmp_path / "step_summary.md"
    summary.touch()
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    env = {
        **os.environ,
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_WORKSPACE": str(repo.root),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(runner_temp),
    }
    env.pop("VIRTUAL_ENV", None)
    results = []
    for step in action["runs"]["steps"]:
        assert step["shell"] == "bash"
        step_env = {k: _evaluate(str(v), inputs, ROOT) for k, v in step.get("env", {}).items()}
        script = runner_temp / "step.sh"
        script.write_text(_evaluate(step["run"], inputs, ROOT), encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=repo.root,
            env={**env, **step_env},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        results.append(proc)
        if proc.returncode != 0:
            break
    return results, summary.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_action_annotates_and_writes_the_summary(stale_repo: Repo, tmp_path: Path) -> None:
    python = Path(sys.executable)
    # The runner's Python is the test's (a fresh venv from it, as the action makes one).
    results, summary = run_action(stale_repo, tmp_path, python=str(python), ignore="DVF4")
    install, check = results
    assert install.returncode == 0, install.stdout + install.stderr
    assert check.returncode == 1, check.stdout + check.stderr
    assert (
        "::error file=dvc.yaml,line=2,col=3,title=DVF201 stale-stage::stage 'prepare' is stale"
        in (check.stdout)
    )
    assert "DVF401" not in check.stdout  # the ignore input reached dvcflow
    assert summary.startswith(
        "### dvcflow: ❌ 2 errors (1 stage with findings; 2 stages in 1 pipeline)"
    )
    assert "```mermaid\nflowchart LR\n" in summary
    assert "class s0 stale" in summary and "class s1 affected" in summary


def test_the_gitlab_job_writes_its_reports(stale_repo: Repo, tmp_path: Path) -> None:
    """The job's check script (after its pip install, which the action test covers) as GitLab
    runs it: the code quality and junit artifacts appear and the job fails on findings."""
    import jsonschema
    from junitparser import JUnitXml

    from .test_gitlab_junit import CODE_QUALITY_SCHEMA

    job = YAML(typ="safe").load(GITLAB.read_text(encoding="utf-8"))["dvcflow"]
    script = "\n".join(job["script"][2:]).replace(
        "/tmp/dvcflow-venv/bin/", f"{Path(sys.executable).parent}/"
    )
    variables = YAML(typ="safe").load(GITLAB.read_text(encoding="utf-8"))["variables"]
    env = {**os.environ, **{k: str(v) for k, v in variables.items()}}
    env.update(CI_PROJECT_DIR=str(stale_repo.root), DVCFLOW_IGNORE="DVF4")
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=stale_repo.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "DVF201 stage 'prepare' is stale" in proc.stdout  # the text report in the log
    report = json.loads(stale_repo.read(job["artifacts"]["reports"]["codequality"]))
    jsonschema.validate(report, CODE_QUALITY_SCHEMA)
    assert {issue["check_name"] for issue in report} == {"DVF201", "DVF303"}
    junit = JUnitXml.fromfile(str(stale_repo.path(job["artifacts"]["reports"]["junit"])))
    assert junit.failures == 2
