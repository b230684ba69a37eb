"""Every input the fuzzers found so far (regressions/), run through the whole harness, plus what
each one was about."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import exercise, load_case
from textformat_oracle import assert_agree

CASES = sorted((Path(__file__).parent / "regressions").iterdir())
# cases that still fail outside the syntax core, with where
OPEN: dict[str, str] = {}


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.xfail(reason=OPEN[p.name], strict=False))
                                  if p.name in OPEN else p for p in CASES], ids=lambda p: p.name)
def test_regression(path: Path) -> None:
    exercise(load_case(path))


def _case(name: str) -> str:
    return load_case(Path(__file__).parent / "regressions" / name)


@pytest.mark.parametrize("name", ["recovery_first_error_line.bin", "recovery_extension_across_error.bin"])
def test_first_error_on_text_formats_line(name: str) -> None:
    assert_agree(_case(name), "calibration")


def test_the_cap_never_hides_the_first_error() -> None:
    from amct_lang.analysis import analyze

    analysis = analyze(_case("cap_hides_first_error.bin"))
    first = min((d for d in analysis.diagnostics if d.code.startswith("SYN")), key=lambda d: d.start)
    assert first.code == "SYN001" and analysis.tree.lines.line_col(first.start)[0] == 0


def test_fmt_refuses_a_suppressed_syntax_error_with_one_clear_reason() -> None:
    from amct_lang.format import format_text

    result = format_text(_case("fmt_suppressed_syntax_error.bin"))
    assert not result.ok and result.reason == "1 syntax error: fix it first, then format"
