"""What every fuzz input and regression case goes through: analyze, fmt, the fix loop, and the
accept/reject comparison with protobuf's text_format.Merge (what AMCT runs).

Invariants: nothing raises; every range lies inside the text; fmt refuses exactly the texts with
syntax errors (and otherwise reads back the same); the fix loop never adds syntax errors; our
verdict (errors or not, text_format's checks only) is text_format's.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

from amct_lang.analysis import Analysis, analyze
from amct_lang.fix import fix
from amct_lang.format import format_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "syntax"))
from textformat_oracle import ours, theirs  # noqa: E402

# text_format's own unescaping is quadratic in a run of backslashes: the comparison with it is
# left out for texts this long (our side is still run)
MERGE_LIMIT = 20_000


def exercise(text: str, dialect: str = "calibration", compare: bool = True) -> Analysis:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes warn (in text_format too)
        analysis = analyze(text)
        _ranges(text, analysis)
        formatted = format_text(analysis)
        syntax_ok = analysis.syntax_ok and not _suppressed(text)
        if formatted.ok:
            assert syntax_ok, "formatted a text with syntax errors"
        elif syntax_ok:
            assert "nested deeper" in formatted.reason or "please report" not in formatted.reason, \
                formatted.reason
        result = fix(analysis, lambda t: analyze(t))
        _ranges(result.text, result.analysis)
        if compare and len(text) <= MERGE_LIMIT:
            mine, _ = ours(text, dialect)
            ref = theirs(text, dialect)
            assert mine.accepted == ref.accepted, f"ours: {mine.detail}\ntext_format: {ref.detail}"
    return analysis


def _suppressed(text: str) -> bool:
    return "amct-lint" in text


def _ranges(text: str, analysis: Analysis) -> None:
    n = len(text)
    for d in analysis.diagnostics:
        assert 0 <= d.start <= d.end <= n, d
        for fx in d.fixes:
            for edit in fx.edits:
                assert 0 <= edit.start <= edit.end <= n, d


def load_case(path: Path) -> str:
    """A regression case: raw bytes (.bin, read as the CLI reads them), or a .json recipe
    {"parts": [[text, repeat], ...]} for inputs too big or too odd to keep as they are."""
    if path.suffix == ".bin":
        return path.read_bytes().decode("utf-8", "surrogateescape")
    recipe = json.loads(path.read_text(encoding="utf-8"))
    return "".join(part * count for part, count in recipe["parts"])
