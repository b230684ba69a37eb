"""Output formats for diagnostics: text (with source excerpt), json, and the CI formats."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..analysis import Analysis
from ..diagnostics import Diagnostic


def position(analysis: Analysis, d: Diagnostic) -> dict[str, Any]:
    lines = analysis.tree.lines
    line, col = lines.line_col(d.start)
    end_line, end_col = lines.line_col(max(d.end, d.start))
    return {"line": line + 1, "column": col + 1, "end_line": end_line + 1, "end_column": end_col + 1}


def as_dict(path: str, analysis: Analysis, d: Diagnostic) -> dict[str, Any]:
    return {"path": path, **position(analysis, d), "severity": d.severity.value, "code": d.code,
            "message": d.message}


def text_report(path: str, analysis: Analysis, color: bool = False) -> str:
    out: list[str] = []
    lines = analysis.tree.lines
    for d in analysis.diagnostics:
        pos = position(analysis, d)
        sev = d.severity.value
        if color:
            sev = {"error": "\x1b[31merror\x1b[0m", "warning": "\x1b[33mwarning\x1b[0m"}.get(sev, sev)
        out.append(f"{path}:{pos['line']}:{pos['column']}: {sev}[{d.code}] {d.message}")
        source = lines.line_text(pos["line"] - 1)
        if source.strip() or d.start == len(analysis.text):
            shown = source.expandtabs(1)
            same_line = pos["end_line"] == pos["line"]
            width = pos["end_column"] - pos["column"] if same_line else len(source) - pos["column"] + 1
            out.append(f"  | {shown}")
            out.append(f"  | {' ' * (pos['column'] - 1)}{'^' * max(1, width)}")
        for rel in d.related:
            rline, rcol = lines.line_col(rel.start)
            out.append(f"  = {rel.message} at {path}:{rline + 1}:{rcol + 1}")
    return printable("\n".join(out))


def printable(text: str) -> str:
    """Undecodable input bytes (kept as lone surrogates) shown as U+FFFD: same width, always
    encodable."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def json_report(items: Iterable[dict[str, Any]]) -> str:
    return json.dumps(list(items), ensure_ascii=False, indent=2)
