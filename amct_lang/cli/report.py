"""Output formats for diagnostics: text (with source excerpt), json, and the CI formats."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from ..analysis import Analysis
from ..diagnostics import Diagnostic, Severity

# A source line longer than this is shown as a window around the column, not in full.
EXCERPT_WIDTH = 100
_BEFORE = 40  # characters of the window before the column
_SURROGATE = re.compile("[\ud800-\udfff]")


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
        out.append(escaped(f"{path}:{pos['line']}:{pos['column']}: {sev}[{d.code}] {d.message}"))
        source = lines.line_text(pos["line"] - 1)
        if source.strip() or d.start == len(analysis.text):
            same_line = pos["end_line"] == pos["line"]
            width = pos["end_column"] - pos["column"] if same_line else len(source) - pos["column"] + 1
            shown, column = excerpt(source.expandtabs(1), pos["column"] - 1)
            width = min(max(1, width), len(shown) - column + 1)
            out.append(f"  | {printable(shown)}")
            out.append(f"  | {' ' * column}{'^' * max(1, width)}")
        for rel in d.related:
            rline, rcol = lines.line_col(rel.start)
            out.append(escaped(f"  = {rel.message} at {path}:{rline + 1}:{rcol + 1}"))
    return "\n".join(out)


def excerpt(line: str, column: int) -> tuple[str, int]:
    """The part of `line` to show under a diagnostic at `column` (0-based), and the column in it:
    a long line is cut to a window around the column, marked with '…' where it was cut."""
    if len(line) <= EXCERPT_WIDTH:
        return line, column
    start = max(0, min(column - _BEFORE, len(line) - EXCERPT_WIDTH))
    end = start + EXCERPT_WIDTH
    shown = line[start:end]
    if start:
        shown = "…" + shown
        column = column - start + 1
    else:
        column = column - start
    if end < len(line):
        shown += "…"
    return shown, column


def printable(text: str) -> str:
    """Source text with every lone surrogate (an undecodable byte, or one the API was given)
    shown as U+FFFD: the same width, so the caret stays under its column; always encodable."""
    return _SURROGATE.sub("\ufffd", text)


def escaped(text: str) -> str:
    """A message with lone surrogates spelled out: \\xff for an undecodable byte, else \\ud800."""
    return _SURROGATE.sub(_spell, text)


def _spell(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def summary(files: int, analyses: Iterable[Analysis]) -> str:
    """One line after the findings: how many files, errors, warnings and notes, and (when a cap
    kept some from being listed) how many there were in total."""
    counts = {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
    capped: list[str] = []
    hidden = 0
    for analysis in analyses:
        for d in analysis.diagnostics:
            counts[d.severity] += 1
            if d.code == "SYN000" or "the rest are not shown" in d.message:
                capped.append(d.code)
        hidden += analysis.tree.hidden_errors
    line = (f"{_count(files, 'file')} checked: {_count(counts[Severity.ERROR], 'error')}, "
            f"{_count(counts[Severity.WARNING], 'warning')}, {_count(counts[Severity.INFO], 'note')}")
    if capped:
        total = f"{hidden} more syntax errors" if hidden else "more findings"
        line += f" shown; {total} not listed (limit of {', '.join(sorted(set(capped)))})"
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def json_report(items: Iterable[dict[str, Any]]) -> str:
    # a lone surrogate can only stand inside a JSON string: there \\udcff is its JSON escape
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(list(items), ensure_ascii=False,
                                                                         indent=2))


class Output:
    """A stream the report goes to, until its reader goes away (`check ... | head -1`): from then
    on nothing more is written, and the command still ends with the exit status its findings
    call for."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.gone = False

    def isatty(self) -> bool:
        return self.stream.isatty()

    def print(self, text: str) -> None:
        if self.gone:
            return
        try:
            print(text, file=self.stream)
        except BrokenPipeError:
            self._reader_gone()

    def flush(self) -> None:
        if self.gone:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._reader_gone()

    def _reader_gone(self) -> None:
        self.gone = True
        silence(self.stream)


def silence(stream: TextIO) -> None:
    """Point a stream whose reader has gone at /dev/null, so that the interpreter's final flush
    does not fail with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    if stream is sys.stdout:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
