"""`check --format sarif`: one SARIF 2.1.0 log for all files (GitHub code scanning reads it).

Regions are 1-based; columns count UTF-16 code units, SARIF's default `columnKind`, so a line
with characters outside the BMP still points at the right place. Each rule that has a result is
described once in `tool.driver.rules`, with its documentation from the catalog as help.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..analysis import Analysis
from ..diagnostics import Diagnostic, Severity

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def sarif_log(files: Iterable[tuple[str, Analysis]]) -> dict[str, Any]:
    """The SARIF log for (path as shown, analysis) pairs."""
    from ..rules import get

    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results = []
    for path, analysis in files:
        uri = artifact_uri(path)
        for d in analysis.diagnostics:
            if d.code not in rule_index:
                rule_index[d.code] = len(rules)
                rules.append(_rule(d.code, get(d.code)))
            results.append(_result(uri, analysis, d, rule_index[d.code]))
    driver: dict[str, Any] = {"name": "amct-lang", "rules": rules}
    version = _version()
    if version:
        driver["version"] = version
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "columnKind": "utf16CodeUnits", "results": results}],
    }


def sarif_report(files: Iterable[tuple[str, Analysis]]) -> str:
    text = json.dumps(sarif_log(files), ensure_ascii=False, indent=2)
    # bytes that were not UTF-8 survive as lone surrogates: JSON text must be valid Unicode
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def artifact_uri(path: str) -> str:
    """A URI reference for a path as the user gave it: relative stays relative (to the current
    folder, where CI runs from the repository root); absolute inside it becomes relative."""
    if path == "<stdin>":
        return "stdin"
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(Path.cwd())
        except ValueError:
            return p.as_uri()
    return quote(p.as_posix(), safe="/-._~")


def region(analysis: Analysis, start: int, end: int) -> dict[str, int]:
    lines = analysis.tree.lines
    line, col = lines.utf16_col(start)
    end_line, end_col = lines.utf16_col(max(start, end))
    return {"startLine": line + 1, "startColumn": col + 1, "endLine": end_line + 1, "endColumn": end_col + 1}


def _location(uri: str, analysis: Analysis, start: int, end: int) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region(analysis, start, end)}}


def _result(uri: str, analysis: Analysis, d: Diagnostic, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": index,
        "level": LEVELS[d.severity],
        "message": {"text": d.message},
        "locations": [_location(uri, analysis, d.start, d.end)],
    }
    if d.related:
        result["relatedLocations"] = [
            {"id": k, **_location(uri, analysis, r.start, r.end), "message": {"text": r.message}}
            for k, r in enumerate(d.related, 1)]
    if d.fixes:
        result["fixes"] = [{
            "description": {"text": f.title},
            "artifactChanges": [{
                "artifactLocation": {"uri": uri},
                "replacements": [{"deletedRegion": region(analysis, e.start, e.end),
                                  "insertedContent": {"text": e.new_text}} for e in f.edits],
            }],
        } for f in d.fixes if f.edits]
    return result


def _rule(code: str, rule: Any) -> dict[str, Any]:
    if rule is None:  # a code outside the catalog: describe it by its id only
        return {"id": code}
    doc = rule.doc.strip()
    entry: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": doc or rule.summary},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
    }
    if doc:
        entry["help"] = {"text": doc, "markdown": doc}
    return entry


def _version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("amct-lang")
    except PackageNotFoundError:
        return None
