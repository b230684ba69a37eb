"""Extreme values and shapes through resolution and presentation: FLT_MAX, -FLT_MAX, denormals,
inf and nan reach `amct-lang resolve`, its JSON and hover without an exception, printed as the
float32 AMCT gets; nesting 100,000 deep resolves without recursion."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from model.loading import model_file, test_model

from amct_lang.analysis import analyze
from amct_lang.ide.hover import layer_markdown
from amct_lang.ide.snapshot import Snapshot
from amct_lang.model import ModelIndex
from amct_lang.semantic import IFMR, effective_config, float32
from amct_lang.semantic.present import layer_json, plain, render_table, short_float, show

# (text in the config, what the presentation prints for the float32 AMCT gets)
EDGES = [
    ("3.4028235e38", "3.4028235e+38"),  # FLT_MAX
    ("-3.4028235e38", "-3.4028235e+38"),
    ("3.5e38", "inf"),  # past FLT_MAX: a float field holds inf
    ("1e-45", "1e-45"),  # the smallest denormal
    ("-1.4e-45", "-1e-45"),
    ("1e-50", "0.0"),  # below the smallest denormal: zero
    ("1.17549435e-38", "1.1754944e-38"),  # FLT_MIN
    ("inf", "inf"),
    ("-inf", "-inf"),
    ("nan", "nan"),
]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def cnn(models: Path) -> ModelIndex:
    return test_model("small_cnn", models)


def _config(value: str) -> str:
    return f"common_config {{ ifmr_quantize {{ search_range_end: {value} max_percentile: {value} }} }}\n"


@pytest.mark.parametrize(("text", "shown"), EDGES, ids=[t for t, _ in EDGES])
def test_extreme_floats_resolve_and_print(text: str, shown: str, cnn: ModelIndex) -> None:
    analysis = analyze(_config(text), model=cnn)
    failed = [d.message for d in analysis.diagnostics if "this check failed" in d.message]
    assert not failed, failed  # every rule, not only resolution, takes the value
    lc = effective_config(analysis).layers["conv1"]
    act = lc.activation
    assert isinstance(act, IFMR)
    loaded = analysis.to_message().common_config.ifmr_quantize.search_range_end
    assert struct.pack("<d", act.search_range_end) == struct.pack("<d", loaded) or \
        (math.isnan(act.search_range_end) and math.isnan(loaded))
    assert show(act.search_range_end) == shown
    record = layer_json(lc, analysis.tree.lines)
    json.dumps(record, allow_nan=False)  # inf / nan as text, never a bare NaN
    table = render_table(effective_config(analysis), cnn.path, len(cnn.quantizable()), analysis.tree.lines,
                         "c.cfg")
    assert f"..{shown}(C)" in table
    markdown = layer_markdown(Snapshot(analysis, cnn), "conv1")
    assert markdown is not None and f"`{shown}`" in markdown


VALUES = [3.4028235e38, -3.4028235e38, 3.4028234663852886e38, 1e-45, 5e-324, math.inf, -math.inf,
          math.nan, 0.0, -0.0, 0.1, 1e10, 123456789.0]


@pytest.mark.parametrize("value", VALUES)
def test_short_text_reads_back_as_the_same_float32(value: float) -> None:
    text = short_float(value)
    if math.isnan(value):
        assert text == "nan"
        return
    assert float32(float(text)) == float32(value) or (float32(value) == 0 and float(text) == 0)
    assert plain(value) == (float(text) if math.isfinite(float32(value)) else text)


def test_cli_resolve_on_flt_max(cnn: ModelIndex, models: Path, tmp_path: Path) -> None:
    config = tmp_path / "big.cfg"
    text = "common_config { ifmr_quantize { search_range_end: 3.4028235e38 search_step: 1e38 } }\n"
    config.write_text(text, encoding="utf-8")
    model = model_file("small_cnn", models)
    for fmt in ("table", "json"):
        command = [sys.executable, "-m", "amct_lang", "resolve", str(config), "--model", str(model),
                   "--format", fmt]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert "3.4028235e+38" in done.stdout
    done = subprocess.run([sys.executable, "-m", "amct_lang", "check", str(config), "--model", str(model)],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr and done.returncode in (0, 1)
    assert "this check failed" not in done.stdout, done.stdout


def test_nesting_100000_deep_resolves(cnn: ModelIndex) -> None:
    depth = 100_000
    text = "common_config {" * depth + "}" * depth
    analysis = analyze(text, model=cnn)
    config = effective_config(analysis)  # the binder stops at its depth limit; nothing recurses
    assert "conv1" in config.layers
    assert analysis.semantic.config.layer("c", "Conv").weights is not None
