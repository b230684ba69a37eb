"""The effective config, data-driven: each cases/*.cfg names its model (`# test-model: NAME`) and
states what some layers must get, with where it comes from:

    # expect LAYER: status=skipped reason=skip_layers[0] weights.channel_wise=true@default

Keys: status, block, reason, weights / activation (`unset`: not quantized), weights.FIELD,
activation.FIELD (`algorithm` for the algorithm), options.NAME, inputN.FIELD (tensor_quantize on
input N). A value may be followed by @SOURCE, the label of where it comes from.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from model.loading import header_model, test_model

from amct_lang.analysis import analyze
from amct_lang.resolve import block_for
from amct_lang.semantic import Configured, EffectiveConfig, LayerConfig, effective_config
from amct_lang.semantic.present import show

CASES = sorted((Path(__file__).parent / "cases").glob("*.cfg"))
_EXPECT = re.compile(r"#\s*expect\s+(\S+):\s*(.*)$")
_ITEM = re.compile(r"(\S+?)=(.+?)(?:@(\S+))?(?=\s+\S+=|\s*$)")


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def expectations(text: str) -> list[tuple[str, str, str, str | None]]:
    out = []
    for line in text.splitlines():
        m = _EXPECT.search(line)
        if m:
            for item in _ITEM.finditer(m.group(2)):
                out.append((m.group(1), item.group(1), item.group(2), item.group(3)))
    return out


def lookup(lc: LayerConfig, key: str) -> tuple[Any, str | None]:
    """(value, source label) of `key` in a layer's effective config."""
    if key == "status":
        return lc.status.value, None
    if key in ("block", "reason"):
        src = getattr(lc, key)
        return (src.label if src else None), None
    head, _, name = key.partition(".")
    if head in ("weights", "activation") and not name:
        return ("set" if getattr(lc, head) else None), None
    if head == "options":
        option, _, field = name.partition(".")
        value = getattr(lc, option)
        if field:
            return getattr(value, field), value.source(field).label
        return ("set" if isinstance(value, Configured) else value), lc.source(option).label
    if head.startswith("input"):
        [tensor] = [t for t in lc.inputs if t.input_index == int(head[5:])]
        part, choice = tensor.activation, tensor.activation_source
    else:
        part, choice = getattr(lc, head), lc.source(head)
    assert part is not None, f"{lc.name} has no {head}"
    if name == "algorithm":
        return part.NAME, choice.label
    fields = {n: (v, s.label) for n, v, s in part.items()}
    assert name in fields, f"{lc.name}: no field {key}"
    return fields[name]


def effective(path: Path, models: Path) -> EffectiveConfig:
    text = path.read_text(encoding="utf-8")
    model = test_model(header_model(text), models)
    analysis = analyze(text, model=model)
    errors = [d for d in analysis.diagnostics if d.is_error]
    assert not errors, errors
    return effective_config(analysis)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, models: Path) -> None:
    expected = expectations(path.read_text(encoding="utf-8"))
    assert expected, "a case states at least one expectation"
    result = effective(path, models)
    failures = []
    for layer, key, value, source in expected:
        lc = result.layer(layer)
        assert lc is not None, f"no layer {layer} in the effective config"
        got, got_source = lookup(lc, key)
        if show(got) != value or (source is not None and got_source != source):
            failures.append(f"{layer} {key}: expected {value}@{source}, got {show(got)}@{got_source}")
    assert not failures, "\n".join(failures)


def test_block_for_without_a_model() -> None:
    text = (Path(__file__).parent / "cases" / "skip_precedence.cfg").read_text(encoding="utf-8")
    analysis = analyze(text)
    choose = lambda name, kind: block_for(analysis.root, analysis.dialect.name, name, kind)  # noqa: E731
    assert choose("conv1", "Conv").skipped.label == "skip_layers[0]"
    assert choose("fc", "Gemm").skipped.label == "skip_layer_types[0]"  # FullyConnection stands for Gemm
    assert choose("conv2", "Conv").block.label == "override_layer_configs[1]"
    assert choose("conv9", "Conv").block.label == "override_layer_types[0]"  # Conv2D stands for Conv
    assert choose("conv9", "Conv2D").block.label == "override_layer_types[0]"
    pool = choose("p", "AveragePool")
    assert pool.block.label == "override_layer_types[1]" and pool.config.entry("ifmr_quantize") is not None
    assert choose("x", "Relu").block.kind == "default"  # no common_config: built-in defaults
    assert choose("x", "InnerProduct").skipped.label == "skip_layer_types[0]"  # both stand for Gemm
