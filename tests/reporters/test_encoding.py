"""Every format writes to a stdout of any encoding: a character the encoding lacks is escaped
the format's way (never a UnicodeEncodeError, never a traceback)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from ..conftest import Repo
from .conftest import run_cli

ASCII = {"PYTHONIOENCODING": "ascii"}


def test_text_to_an_ascii_stdout_escapes_the_characters(unicode_repo: Repo) -> None:
    proc = run_cli(unicode_repo.root, "--all", env=ASCII)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout.decode("ascii")
    assert "stage 'pr\\xe9pare'" in out
    assert "donn\\xe9es.csv" in out
    assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr


def test_text_to_a_latin1_stdout_keeps_what_latin1_can_write(unicode_repo: Repo) -> None:
    proc = run_cli(unicode_repo.root, "--all", env={"PYTHONIOENCODING": "latin-1"})
    assert proc.returncode == 1, proc.stderr
    assert "stage 'prépare'" in proc.stdout.decode("latin-1")


def test_c_locale_prints_unicode(unicode_repo: Repo) -> None:
    proc = run_cli(unicode_repo.root, "--all", env={"LANG": "C", "LC_ALL": "C"})
    assert proc.returncode == 1, proc.stderr
    assert b"internal error" not in proc.stderr


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_json_to_an_ascii_stdout_is_valid_json_with_the_characters(
    unicode_repo: Repo, output_format: str
) -> None:
    proc = run_cli(unicode_repo.root, "--all", "--output-format", output_format, env=ASCII)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout.decode("ascii"))
    results = data if output_format == "json" else data["runs"][0]["results"]
    messages = [r["message"] if output_format == "json" else r["message"]["text"] for r in results]
    assert any("stage 'prépare'" in m for m in messages)


def test_github_to_an_ascii_stdout(unicode_repo: Repo) -> None:
    proc = run_cli(unicode_repo.root, "--all", "--output-format", "github", env=ASCII)
    assert proc.returncode == 1, proc.stderr
    assert "::error file=dvc.yaml" in proc.stdout.decode("ascii")


def test_escaping_covers_characters_outside_the_basic_plane() -> None:
    from dvcflow.reporters.escape import encodable, json_escape, xml_reference

    text = json.dumps({"stage": "🚀 é"}, ensure_ascii=False)
    assert json.loads(encodable(text, "ascii", json_escape)) == {"stage": "🚀 é"}
    xml = f"<a>{encodable('🚀 é', 'ascii', xml_reference)}</a>"
    assert ET.fromstring(xml).text == "🚀 é"
