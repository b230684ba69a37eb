"""Golden files: tests/format/golden/NAME.cfg must format to NAME.expected.cfg, byte for byte.

To add a case, put NAME.cfg in golden/, write NAME.expected.cfg with
`amct-lang fmt - < NAME.cfg > NAME.expected.cfg`, and read it before committing: it is the spec.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amct_lang.format import format_text

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p for p in GOLDEN.glob("*.cfg") if not p.name.endswith(".expected.cfg"))


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def test_every_case_has_an_expectation() -> None:
    assert len(CASES) >= 13
    for case in CASES:
        assert case.with_suffix("").with_suffix(".expected.cfg").exists(), case.name


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    expected = _read(case.with_suffix(".expected.cfg"))
    result = format_text(_read(case))
    assert result.ok, result.reason
    assert result.text == expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_expected_files_are_already_formatted(case: Path) -> None:
    expected = _read(case.with_suffix(".expected.cfg"))
    result = format_text(expected)
    assert result.ok and not result.changed


def test_one_line_distill_example_becomes_one_field_per_line() -> None:
    out = _read(GOLDEN / "distill_oneline.expected.cfg")
    assert len(out.splitlines()) > 50
    assert max(len(line) for line in out.splitlines()) < 60
    assert "distill_override_layers {\n    layer_name: \"layer4\"\n" in out
