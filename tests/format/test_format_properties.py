"""Formatter properties on every example, every real-world file and generated documents:
the output parses cleanly, means the same (same protobuf message, same dialect), keeps every
comment in order, and formatting it again changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fmt_docgen import documents
from google.protobuf import text_format
from hypothesis import HealthCheck, given, settings
from shared_data import own_examples, shared_cases

from amct_lang.analysis import analyze
from amct_lang.diagnostics import Edit
from amct_lang.format import format_edits, format_range, format_text

FILES = own_examples() + shared_cases("examples/*.cfg", "corpus/realworld/*.cfg")
GOLDEN_INPUTS = sorted(p for p in (Path(__file__).parent / "golden").glob("*.cfg")
                       if not p.name.endswith(".expected.cfg"))


def _comments(text: str) -> list[str]:
    return [c.text.rstrip() for c in analyze(text, lint=False).tree.comments]


def _message(text: str, dialect: str) -> str:
    return text_format.MessageToString(analyze(text, dialect, lint=False).to_message())


def apply(text: str, edits: list[Edit]) -> str:
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[:e.start] + e.new_text + text[e.end:]
    return text


def assert_properties(text: str) -> str:
    before = analyze(text, lint=False)
    result = format_text(text)
    assert result.ok, result.reason
    out = result.text
    assert out is not None
    after = analyze(out, lint=False)
    assert after.syntax_ok, [d.message for d in after.diagnostics if d.code.startswith("SYN")]
    assert after.dialect.name == before.dialect.name
    assert _message(out, before.dialect.name) == _message(text, before.dialect.name)
    assert _comments(out) == _comments(text)
    again = format_text(out)
    assert again.ok and again.text == out
    assert apply(text, format_edits(text)) == out
    return out


def _syntax_clean(path: Path) -> bool:
    return analyze(path.read_text(encoding="utf-8"), lint=False).syntax_ok


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name if p else "no-shared")
def test_shared_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if not _syntax_clean(path):
        assert not format_text(text).ok  # refused, never guessed
        return
    assert_properties(text)


@pytest.mark.parametrize("path", GOLDEN_INPUTS, ids=lambda p: p.stem)
def test_golden_inputs(path: Path) -> None:
    assert_properties(path.read_text(encoding="utf-8"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_documents(text: str) -> None:
    assert analyze(text, lint=False).syntax_ok, text
    assert_properties(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), documents().map(len), documents().map(len))
def test_range_formatting_agrees_with_whole_formatting(text: str, a: int, b: int) -> None:
    whole = format_text(text).text
    start, end = sorted((a % (len(text) + 1), b % (len(text) + 1)))
    partly = apply(text, format_range(text, start, end))
    assert analyze(partly, lint=False).syntax_ok
    # formatting a range gives those lines their final form: the rest of the job stays the same
    assert format_text(partly).text == whole
    assert apply(text, format_range(text, 0, len(text))) == whole
