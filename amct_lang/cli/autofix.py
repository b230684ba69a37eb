"""`check --fix`: apply the safe fixes to a file, say what changed, hand back what remains."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from ..analysis import Analysis
from .inputs import Source
from .write import write_atomic


def fix_in_place(name: str, source: Source, analysis: Analysis, reanalyze: Callable[[str], Analysis],
                 notes: TextIO) -> tuple[Analysis, bool]:
    """Fix `name` (`-`: print the fixed text on standard output). Returns the analysis to report
    (of the fixed text once it is written, else of the original) and whether writing failed."""
    from ..fix import fix

    result = fix(analysis, reanalyze)
    lines = analysis.tree.lines
    for item in result.rejected:
        line = lines.line_col(item.start)[0] + 1
        print(f"{source.path}:{line}: not fixed [{item.code}] {item.title}: the change would break the "
              "file or lose a comment (please report this)", file=notes)
    if name == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(result.text.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()
    elif result.changed:
        try:
            write_atomic(name, result.text)
        except OSError as exc:
            print(f"amct-lang: {name}: cannot write the fixes: {exc.strerror or exc}; the file is unchanged",
                  file=sys.stderr)
            return analysis, True
    for item in result.applied:
        line = lines.line_col(item.start)[0] + 1
        print(f"{source.path}:{line}: fixed [{item.code}] {item.title}", file=notes)
    return result.analysis, False
