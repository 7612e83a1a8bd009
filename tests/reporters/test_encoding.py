"""Every format writes to a stdout of any encoding (issue 16 item 4): a character the encoding
lacks is escaped the format's way (never a UnicodeEncodeError, never a traceback)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from dvcflow.reporters.escape import encodable, json_escape, xml_reference

from ..conftest import Repo
from .conftest import run_cli

ASCII = {"PYTHONIOENCODING": "ascii"}


def test_text_to_ascii_latin1_and_c_locale_stdouts(unicode_repo: Repo) -> None:
    ascii_ = run_cli(unicode_repo.root, "--all", env=ASCII)
    assert ascii_.returncode == 1, ascii_.stderr
    out = ascii_.stdout.decode("ascii")
    assert "stage 'pr\\xe9pare'" in out and "donn\\xe9es.csv" in out
    assert b"Traceback" not in ascii_.stderr and b"internal error" not in ascii_.stderr

    latin1 = run_cli(unicode_repo.root, "--all", env={"PYTHONIOENCODING": "latin-1"})
    assert latin1.returncode == 1, latin1.stderr
    assert "stage 'prépare'" in latin1.stdout.decode("latin-1")

    c_locale = run_cli(unicode_repo.root, "--all", env={"LANG": "C", "LC_ALL": "C"})
    assert c_locale.returncode == 1 and b"internal error" not in c_locale.stderr


def test_machine_formats_to_an_ascii_stdout_stay_valid(unicode_repo: Repo) -> None:
    for output_format in ("json", "sarif", "gitlab"):
        proc = run_cli(unicode_repo.root, "--all", "--output-format", output_format, env=ASCII)
        assert proc.returncode == 1, proc.stderr
        data = json.loads(proc.stdout.decode("ascii"))
        text = json.dumps(data, ensure_ascii=False)
        assert "stage 'prépare'" in text, output_format
    junit = run_cli(unicode_repo.root, "--all", "--output-format", "junit", env=ASCII)
    assert "prépare" in ET.tostring(ET.fromstring(junit.stdout), encoding="unicode")
    for output_format in ("github", "markdown"):
        proc = run_cli(unicode_repo.root, "--all", "--output-format", output_format, env=ASCII)
        assert proc.returncode == 1 and b"internal error" not in proc.stderr, proc.stderr
        assert "pr\\xe9pare" in proc.stdout.decode("ascii")


def test_escaping_covers_characters_outside_the_basic_plane() -> None:
    text = json.dumps({"stage": "🚀 é"}, ensure_ascii=False)
    assert json.loads(encodable(text, "ascii", json_escape)) == {"stage": "🚀 é"}
    xml = f"<a>{encodable('🚀 é', 'ascii', xml_reference)}</a>"
    assert ET.fromstring(xml).text == "🚀 é"
