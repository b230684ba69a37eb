"""Editor features on inputs shaped to break them: nesting 100,000 deep (no Python recursion may
depend on it), lone surrogates, and long lines. Each feature must answer, and answer sensibly."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from amct_lang.ide.code_actions import code_actions
from amct_lang.ide.completion import complete
from amct_lang.ide.folding import folding_ranges
from amct_lang.ide.hover import hover
from amct_lang.ide.semantic_tokens import semantic_tokens
from amct_lang.ide.snapshot import Snapshot, snapshot
from amct_lang.ide.symbols import symbols

DEPTH = 100_000


@pytest.fixture(scope="module")
def deep() -> Snapshot:
    # one block per line, so every level also folds
    assert DEPTH > sys.getrecursionlimit() * 10
    return snapshot("common_config {\n" * DEPTH + "}\n" * DEPTH)


@pytest.fixture(scope="module")
def deep_one_line() -> Snapshot:
    return snapshot("a {" * DEPTH + "}" * DEPTH)


def _depth(syms: list) -> int:  # type: ignore[type-arg]
    depth, level = 0, syms
    while level:
        depth += 1
        level = level[0].children
    return depth


def test_symbols_at_depth(deep: Snapshot, deep_one_line: Snapshot) -> None:
    assert _depth(symbols(deep)) == DEPTH
    assert _depth(symbols(deep_one_line)) == DEPTH


def test_folding_at_depth(deep: Snapshot, deep_one_line: Snapshot) -> None:
    folds = folding_ranges(deep)
    assert len(folds) == DEPTH - 1  # the innermost `{\n}` folds nothing once its `}` stays visible
    assert folds[0].start == deep.text.index("{")
    assert folding_ranges(deep_one_line) == []  # one line: nothing to fold


def test_semantic_tokens_at_depth(deep: Snapshot) -> None:
    assert len(semantic_tokens(deep)) == DEPTH


FEATURES: list[tuple[str, Callable[[Snapshot, int], object]]] = [
    ("hover", hover),
    ("completion", complete),
    ("code actions", lambda snap, at: code_actions(snap, at, at + 1)),
]


@pytest.mark.parametrize(("name", "feature"), FEATURES, ids=[f[0] for f in FEATURES])
def test_cursor_features_at_depth(deep: Snapshot, name: str,
                                  feature: Callable[[Snapshot, int], object]) -> None:
    middle = len("common_config {\n") * (DEPTH // 2)
    for at in (0, middle, len(deep.text) // 2 + 1, len(deep.text)):
        feature(deep, at)


def test_completion_deep_inside_offers_the_block_fields(deep: Snapshot) -> None:
    at = len("common_config {\n") * DEPTH  # innermost: common_config has no common_config field
    labels = {c.label for c in complete(deep, at)}
    assert labels == set()  # the path is off the schema below the first level: nothing invented


SURROGATES = [
    'common_config { ifmr_quantize { dst_type: "IN\udcffT8" } }\n',
    "common_config { ifmr_quantize { dst_type: IN\ud800T8 } }\n",
    "common_config { ifmr_quantize { dst_\ud800type: INT8 } }\n",
    'skip_layers: "\ud800"\n',
]


@pytest.mark.parametrize("text", SURROGATES, ids=[str(i) for i in range(len(SURROGATES))])
def test_hover_and_completion_on_lone_surrogates(text: str) -> None:
    snap = snapshot(text)
    for at in range(len(text) + 1):
        hover(snap, at)
        complete(snap, at)
    found = hover(snap, text.index("dst_") + 1) if "dst_" in text else None
    if found is not None:
        assert "dst_type" in found.markdown or "SCH" in found.markdown
