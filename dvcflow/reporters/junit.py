"""`--output-format junit`: JUnit XML, for CI systems that show test results (GitLab's
`artifacts:reports:junit`, Jenkins, ...).

One test suite per rule that ran; in it one test case per file the rule found something in,
failing with every error's location, message and fix (warnings go to the case's system-out and
do not fail it, as they do not fail the run). A rule that found nothing is one passing case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from dvcflow.diagnostics import Diagnostic
from dvcflow.reporters import Run
from dvcflow.reporters.escape import printable, xml_reference

UNENCODABLE = xml_reference
NOTHING_FOUND = "(nothing found)"


def render(run: Run) -> str:
    by_rule: dict[str, list[Diagnostic]] = {code: [] for code in run.checked}
    names: dict[str, str] = {}
    for d in run.diagnostics:
        by_rule.setdefault(d.code, []).append(d)
        names[d.code] = d.name
    root = ET.Element("testsuites", name="dvcflow")
    for code in sorted(by_rule):
        root.append(_suite(code, names.get(code) or _rule_name(code), by_rule[code]))
    _count(root, root.findall("testsuite"))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _rule_name(code: str) -> str:
    from dvcflow.rules import by_code

    rule = by_code(code)
    return rule.NAME if rule is not None else ""


def _suite(code: str, name: str, found: list[Diagnostic]) -> ET.Element:
    suite = ET.Element("testsuite", name=printable(f"{code} {name}".strip()))
    by_file: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in found:
        by_file[d.path].append(d)
    if not by_file:
        ET.SubElement(suite, "testcase", classname=code, name=NOTHING_FOUND)
    for path, diagnostics in by_file.items():
        suite.append(_case(code, path, diagnostics))
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    suite.set("errors", "0")
    return suite


def _case(code: str, path: str, found: list[Diagnostic]) -> ET.Element:
    case = ET.Element("testcase", classname=code, name=printable(path), file=printable(path))
    errors = [d for d in found if d.severity == "error"]
    warnings = [d for d in found if d.severity != "error"]
    if errors:
        failure = ET.SubElement(case, "failure", type=code, message=printable(_first_line(errors)))
        failure.text = "\n".join(_entry(d) for d in errors)
    if warnings:
        ET.SubElement(case, "system-out").text = "\n".join(_entry(d) for d in warnings)
    return case


def _first_line(errors: list[Diagnostic]) -> str:
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{errors[0].message}{more}"


def _entry(d: Diagnostic) -> str:
    entry = printable(f"{d.location}: {d.code} {d.message}")
    return entry + (f"\n  help: {printable(d.fix)}" if d.fix else "")


def _count(root: ET.Element, suites: list[ET.Element]) -> None:
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
