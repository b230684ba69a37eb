"""Compare our reading of a document with Python protobuf's text_format.Merge (what AMCT runs).

"We accept" means: no ERROR diagnostic other than SCH005. SCH005 (a required field is missing) is
a deliberate extra check: text_format.Merge does not check required fields (AMCT only fails later,
when it reads the empty value), so it cannot take part in the comparison.

Suppression comments (`# amct-lint: disable=...`) are a user's choice to hide a finding, which
text_format knows nothing of: ours() disarms them (same length, so every position stays).

Documents with lone surrogates stand for files whose bytes are not UTF-8 (cli/inputs.py decodes
with surrogateescape). AMCT opens its config as UTF-8 text and fails on such a file before
text_format sees it, so the oracle for them is "reject", not Merge of the surrogates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from google.protobuf import text_format

from amct_lang.analysis import Analysis, analyze
from amct_lang.diagnostics import Severity
from amct_lang.schema import load

NOT_IN_TEXT_FORMAT = frozenset({"SCH005"})
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Verdict:
    accepted: bool
    line: int | None  # 1-based line of the (first) error
    message: Any  # the protobuf message when accepted
    detail: str  # what to show when a comparison fails


def ours(text: str, dialect: str) -> tuple[Verdict, Analysis]:
    analysis = analyze(text.replace("amct-lint", "amct-xxxx"), dialect, lint=False)
    errors = [d for d in analysis.diagnostics
              if d.severity is Severity.ERROR and d.code not in NOT_IN_TEXT_FORMAT]
    if not errors:
        return Verdict(True, None, analysis.to_message(), "accepted"), analysis
    first = min(errors, key=lambda d: (d.start, d.end))
    line = analysis.tree.lines.line_col(first.start)[0] + 1
    shown = "; ".join(f"{d.code}@{analysis.tree.lines.line_col(d.start)[0] + 1}: {d.message}"
                      for d in sorted(errors, key=lambda d: d.start)[:4])
    return Verdict(False, line, None, shown), analysis


def theirs(text: str, dialect: str) -> Verdict:
    schema = load()
    message = schema.message_class(schema.top(dialect))()
    match = _SURROGATE.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        return Verdict(False, line, None, "not UTF-8: AMCT cannot read the file")
    try:
        text_format.Merge(text, message)
    except text_format.ParseError as exc:
        return Verdict(False, exc.GetLine(), None, str(exc))
    return Verdict(True, None, message, "accepted")


def _dump(message: Any) -> str:
    return text_format.MessageToString(message, as_utf8=True)


def assert_agree(text: str, dialect: str) -> None:
    """Same accept/reject; same values when both accept; first error on the same line otherwise."""
    mine, analysis = ours(text, dialect)
    ref = theirs(text, dialect)
    where = f"dialect {dialect}, text {text[:2000]!r}"
    assert mine.accepted == ref.accepted, (
        f"accept/reject differs ({where}):\n  ours: {mine.detail}\n  text_format: {ref.detail}")
    if mine.accepted:
        # bytes, not ==: NaN != NaN, and presence and -0.0 must match too
        assert (mine.message.SerializePartialToString(deterministic=True)
                == ref.message.SerializePartialToString(deterministic=True)), (
            f"values differ ({where}):\nours:\n{_dump(mine.message)}\ntext_format:\n{_dump(ref.message)}")
    elif ref.line is not None:
        if "codec can't decode" in ref.detail and mine.detail.startswith("SCH008"):
            # Deliberate: text_format checks a string's UTF-8 after its tokenizer has moved on and
            # reports the token AFTER the string (often the next line); we point at the string.
            assert mine.line is not None and mine.line <= ref.line, where
            return
        if "does not have extensions" in ref.detail and mine.detail.startswith("SCH001"):
            # Deliberate: for an extension name split over lines (`[\nx]`) text_format points at
            # its last part; our range is the whole name, starting at its '['.
            assert mine.line is not None and mine.line <= ref.line, where
            return
        if mine.detail.startswith("SYN005") and "by its indentation" in mine.detail:
            # Deliberate: for a block left open at the end, text_format points at the end of the
            # file; we point where the block's indentation says it ends, which is earlier.
            assert mine.line is not None and mine.line <= ref.line, where
            return
        assert mine.line == ref.line, (
            f"first error on another line ({where}):\n  ours: line {mine.line}: {mine.detail}\n"
            f"  text_format: {ref.detail}")
