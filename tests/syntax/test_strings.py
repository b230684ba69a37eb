"""amct_lang.syntax.strings.c_unescape against protobuf's own CUnescape: the same bytes, or the
same kind of exception, for any string body; and linear time where CUnescape is quadratic."""

from __future__ import annotations

import time
import warnings

import pytest
from google.protobuf.text_encoding import CUnescape
from hypothesis import example, given, settings
from hypothesis import strategies as st

from amct_lang.syntax.strings import c_unescape

# what escapes are made of, so that generated text hits them often
PIECES = st.sampled_from(["\\", "\\\\", "x", "X", "u", "U", "N{", "}", "0", "7", "8", "f", "F", "g", "a",
                          "n", "'", '"', "\n", "é", "中", "\U0001f600", "\ud800", "\udcff", "\x00", "{",
                          "LATIN SMALL LETTER A", "00e9", "0001F600", "777", "400"])
BODIES = st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=24).map("".join)


def _outcome(fn: object, text: str) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes warn in both alike
        try:
            return fn(text)  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - the kind of failure is what is compared
            return type(exc)


@settings(max_examples=500, deadline=None)
@given(BODIES)
@example("\\x4")
@example("\\\\x4")
@example("\\\\\\x4g")
@example("\\u00e9\\x41\\101\\n")
@example("\\" * 7 + "x1")
@example("\\N{LATIN SMALL LETTER A}")
@example("\\777")
@example("\\")
def test_same_results_as_cunescape(body: str) -> None:
    assert _outcome(c_unescape, body) == _outcome(CUnescape, body)


@pytest.mark.parametrize("run", [1, 2, 3, 40_000, 40_001])
@pytest.mark.parametrize("tail", ["", "x1", "xf ", "u00e9", "n"])
def test_long_runs_of_backslashes(run: int, tail: str) -> None:
    """Pairs of backslashes are one backslash each; what the odd one left over makes of the tail
    is CUnescape's (which itself takes seconds on the long runs, so it reads the short form)."""
    expected = _outcome(CUnescape, "\\" * (run % 2) + tail)
    if isinstance(expected, bytes):
        expected = b"\\" * (run // 2) + expected
    assert _outcome(c_unescape, "\\" * run + tail) == expected


def test_linear_in_the_length_of_a_run() -> None:
    """Doubling a run of backslashes about doubles the time (CUnescape: four times)."""
    def best(n: int) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            c_unescape("\\" * n + "x1")
            times.append(time.perf_counter() - start)
        return min(times)

    small, large = best(100_000), best(200_000)
    assert large / small < 3.5
