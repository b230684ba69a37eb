"""`check --format github`: GitHub Actions workflow commands, shown as annotations on the diff.

One line per diagnostic: `::error file=P,line=L,col=C,endLine=L2,endColumn=C2,title=CODE::message`
(`warning`, `notice` for the other severities). Values are escaped as the runner expects:
in the message `%`, CR and LF; in the properties also `:` and `,`.
"""

from __future__ import annotations

from ..analysis import Analysis
from ..diagnostics import Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_report(path: str, analysis: Analysis) -> str:
    lines = analysis.tree.lines
    out = []
    for d in analysis.diagnostics:
        line, col = lines.line_col(d.start)
        end_line, end_col = lines.line_col(max(d.start, d.end))
        props = [("file", path), ("line", line + 1), ("col", col + 1), ("endLine", end_line + 1),
                 ("endColumn", end_col + 1), ("title", d.code)]
        message = d.message
        for rel in d.related:
            rline, rcol = lines.line_col(rel.start)
            message += f"\n{rel.message}: line {rline + 1}, column {rcol + 1}"
        head = ",".join(f"{k}={escape_property(str(v))}" for k, v in props)
        out.append(f"::{COMMANDS[d.severity]} {head}::{escape_data(message)}")
    return "\n".join(out)
