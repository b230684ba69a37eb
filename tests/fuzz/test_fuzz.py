"""A fuzz target over the examples: token edits, splices, unicode (surrogates, NUL, BOM, CR),
nesting, huge numbers, long strings and random bytes, each driven through harness.exercise.

On CI it runs a fixed, small set (derandomized, well under a minute); AMCT_FUZZ_EXAMPLES=N runs
N inputs per mutation kind. Anything it finds goes into regressions/ as a case of its own.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness import exercise
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import own_examples, shared_files

EXAMPLES = [p.read_bytes().decode("utf-8", "surrogateescape")
            for p in own_examples() + shared_files("examples/*.cfg")] or ["batch_num: 1\n"]
BUDGET = int(os.environ.get("AMCT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=BUDGET, deadline=None, derandomize="AMCT_FUZZ_EXAMPLES" not in os.environ,
                database=None, suppress_health_check=list(HealthCheck))

TOKENS = ["{", "}", "<", ">", "[", "]", ":", ",", ";", ".", "/", "#", "\n", "\r\n", "\r", " ", "\t", "'", '"',
          "\\", "-", "+", "=", "@", "0x", "1e", "inf", "nan", "true", "common_config", "skip_layers",
          "\ufeff", "\x00", "\ud800", "\udcff", "\udfff", "é", "中", "\U0001f600", "amct-lint: disable=SYN"]
UNICODE = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None), max_size=8)
NUMBERS = st.one_of(st.integers(-(10**40), 10**40).map(str), st.floats(allow_nan=True).map(repr),
                    st.sampled_from(["3.4028235e38", "-3.4028235e38", "1e-45", "1e400", "-0",
                                     "0x7fffffffffffffff", "18446744073709551616", "1" * 400]))


def _insert(text: str, at: int, piece: str, cut: int = 0) -> str:
    at %= len(text) + 1
    return text[:at] + piece + text[at + cut:]


MUTATIONS = st.one_of(
    st.tuples(st.just("token"), st.integers(0, 10**6), st.sampled_from(TOKENS), st.integers(0, 3)),
    st.tuples(st.just("unicode"), st.integers(0, 10**6), UNICODE, st.integers(0, 1)),
    st.tuples(st.just("number"), st.integers(0, 10**6), NUMBERS, st.integers(0, 2)),
    st.tuples(st.just("nesting"), st.integers(0, 10**6), st.integers(1, 3000).map(lambda n: "a {" * n),
              st.integers(0, 0)),
    st.tuples(st.just("string"), st.integers(0, 10**6),
              st.integers(1, 5000).map(lambda n: "'" + "\\" * n + "x" * (n % 7) + "'"), st.integers(0, 0)),
    st.tuples(st.just("bytes"), st.integers(0, 10**6),
              st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")), st.integers(0, 4)),
)


@FUZZ
@given(st.sampled_from(EXAMPLES), st.lists(MUTATIONS, min_size=1, max_size=5))
def test_mutated_examples(text: str, mutations: list[tuple[str, int, str, int]]) -> None:
    for _, at, piece, cut in mutations:
        text = _insert(text, at, piece, cut)
    exercise(text)


@FUZZ
@given(st.sampled_from(EXAMPLES), st.sampled_from(EXAMPLES), st.integers(0, 10**6), st.integers(0, 10**6))
def test_splices(first: str, second: str, a: int, b: int) -> None:
    exercise(first[: a % (len(first) + 1)] + second[b % (len(second) + 1):])


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    exercise(data.decode("utf-8", "surrogateescape"))


def test_the_examples_are_there() -> None:
    assert len(EXAMPLES) >= 5 and Path(__file__).parent.joinpath("regressions").is_dir()
