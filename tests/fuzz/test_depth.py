"""Nesting 100,000 levels deep: no feature recurses as deep as the input."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from amct_lang.analysis import analyze
from amct_lang.fix import fix
from amct_lang.format import format_text

DEPTH = 100_000
SHAPES = {
    "braces": "common_config {" * DEPTH + "}" * DEPTH,
    "angles": "a: <" * DEPTH + ">" * DEPTH,
    "lists of messages": "a: [{" * DEPTH + "}]" * DEPTH,
    "unclosed": "common_config {" * DEPTH,
}


@pytest.fixture(autouse=True)
def _small_recursion_limit() -> object:
    """A recursion that depends on the input would need more than this (the fast path for
    valid files recurses, but never deeper than fastpath.MAX_DEPTH levels)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(600)
    yield
    sys.setrecursionlimit(old)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_analyze_fmt_and_fix(shape: str) -> None:
    text = SHAPES[shape]
    analysis = analyze(text)
    assert analysis.diagnostics
    result = format_text(analysis)
    assert not result.ok and result.reason  # refused, with a reason, no exception
    fixed = fix(analysis, lambda t: analyze(t))
    assert fixed.text == text or fixed.analysis.tree.text == fixed.text


def test_fmt_of_a_valid_deep_file_is_refused_with_the_limit() -> None:
    text = "a {\n" * DEPTH + "}\n" * DEPTH
    result = format_text(text)
    assert not result.ok and "nested deeper than 100 levels (line 101)" in result.reason


def test_check_fix_command(tmp_path: Path) -> None:
    """check --fix on a deep file with a safe fix at the bottom: the fix is applied or the file
    is left alone, the command ends normally."""
    from amct_lang.cli import main

    path = tmp_path / "deep.cfg"
    text = ("skip_layers: 'a'\nskip_layers: 'a'\n" + "common_config {" * DEPTH + "}" * DEPTH + "\n")
    path.write_text(text, encoding="utf-8")
    assert main(["check", "--fix", str(path)]) in (0, 1)


def test_resolve() -> None:
    """The effective config (amct_lang.resolve) of a deeply nested document and a small model."""
    from amct_lang.model.index import Layer, ModelIndex
    from amct_lang.resolve import resolve

    model = ModelIndex("m.onnx", "onnx", {"conv1": Layer("conv1", "Conv", "onnx", 0)})
    text = ("override_layer_configs {" * DEPTH + "}" * DEPTH + "\nskip_layers: 'conv1'\n")
    analysis = analyze(text, "calibration-onnx")
    effective = resolve(analysis.root, "calibration-onnx", model)
    assert effective is not None
