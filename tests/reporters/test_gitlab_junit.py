"""`--output-format gitlab` (GitLab Code Quality) and `--output-format junit` (issue 20 item 2):
GitLab's documented fields, fingerprints stable across runs, JUnit read by `junitparser`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from junitparser import Failure, JUnitXml

from dvcflow.diagnostics import RuleId
from dvcflow.reporters import Run, render

from ..conftest import Repo

# GitLab's Code Quality report format, as its documentation lists the fields
# ("Code Quality report format": description, check_name, fingerprint, severity,
# location.path, location.lines.begin; severity one of info/minor/major/critical/blocker).
CODE_QUALITY_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "pattern": "^[^/]"},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def _gitlab(repo: Repo) -> list[dict[str, object]]:
    code, out = repo.check("--all", "--output-format", "gitlab")
    assert code == 1, out
    issues: list[dict[str, object]] = json.loads(out)
    return issues


def test_gitlab_report_has_gitlabs_fields(unicode_repo: Repo) -> None:
    issues = _gitlab(unicode_repo)
    jsonschema.validate(issues, CODE_QUALITY_SCHEMA)
    by_check = {issue["check_name"]: issue for issue in issues}
    dep = by_check["DVF104"]
    assert dep["location"] == {"path": "dvc.yaml", "lines": {"begin": 5}}
    assert dep["severity"] == "major"
    assert "données.csv" in str(dep["description"]) and "Fix: " in str(dep["description"])
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)


def test_fingerprints_are_stable_across_runs_and_moved_lines(unicode_repo: Repo) -> None:
    before = {i["check_name"]: i["fingerprint"] for i in _gitlab(unicode_repo)}
    assert before == {i["check_name"]: i["fingerprint"] for i in _gitlab(unicode_repo)}
    text = unicode_repo.read("dvc.yaml")
    unicode_repo.write("dvc.yaml", "# a comment\n# another\n" + text)
    unicode_repo.add("dvc.yaml")
    moved = _gitlab(unicode_repo)
    assert {i["check_name"]: i["fingerprint"] for i in moved} == before
    assert {i["location"]["lines"]["begin"] for i in moved if i["check_name"] == "DVF104"} == {7}  # type: ignore[index]


def test_junit_is_one_case_per_rule_and_file(unicode_repo: Repo, tmp_path: Path) -> None:
    code, out = unicode_repo.check("--all", "--select", "DVF1,DVF3", "--output-format", "junit")
    assert code == 1, out
    report = tmp_path / "junit.xml"
    report.write_text(out, encoding="utf-8")
    xml = JUnitXml.fromfile(str(report))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) >= {
        "DVF101 script-not-in-deps",
        "DVF104 dep-not-found",
        "DVF302 stage-not-locked",
    }
    assert not any(name.startswith("DVF4") for name in suites)  # not selected, not run
    passing = list(suites["DVF101 script-not-in-deps"])
    assert [(case.name, case.is_passed) for case in passing] == [("(nothing found)", True)]
    (case,) = list(suites["DVF104 dep-not-found"])
    assert case.name == "dvc.yaml" and case.classname == "DVF104"
    (failure,) = [r for r in case.result if isinstance(r, Failure)]
    assert "données.csv" in failure.message
    assert "help: correct the path" in failure.text
    assert xml.failures == 2 and xml.tests == len([c for s in xml for c in s])


RULE = RuleId("DVF999", "example", severity="warning")


def test_junit_warnings_do_not_fail_and_hostile_text_stays_well_formed(tmp_path: Path) -> None:
    found = [RULE.at("a\x1b.txt", 1, 1, 'odd <tag> & "quote" \x00 \u202e', fix="x ]]> y")]
    report = tmp_path / "junit.xml"
    report.write_text(render(Run(found, checked=("DVF999",)), "junit"), encoding="utf-8")
    (suite,) = list(JUnitXml.fromfile(str(report)))
    (case,) = list(suite)
    assert case.is_passed and case.name == "a\\x1b.txt"
    assert 'odd <tag> & "quote" \\x00 \\u202e' in (case.system_out or "")
