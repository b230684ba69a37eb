"""Resolution on the big topologies onnx ships (ResNet-50, DenseNet-121)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from model.loading import test_model

from amct_lang.analysis import analyze
from amct_lang.semantic import LayerStatus, effective_config

QUANTIZED, SKIPPED, UNSUPPORTED = LayerStatus.QUANTIZED, LayerStatus.SKIPPED, LayerStatus.UNSUPPORTED

CONFIG = """
skip_layers: "n0"
common_config {
  arq_quantize { channel_wise: true }
  ifmr_quantize { search_step: 0.02 }
}
override_layer_types {
  layer_type: "Gemm"
  calibration_config { arq_quantize { channel_wise: false } }
}
override_layer_types {
  layer_type: "AveragePool"
  calibration_config { ifmr_quantize { asymmetric: false } }
}
"""


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.mark.parametrize("name", ["light_resnet50", "light_densenet121"])
def test_every_quantizable_layer_gets_one_config(name: str, models: Path) -> None:
    model = test_model(name, models)
    analysis = analyze(CONFIG, model=model)
    assert not [d for d in analysis.diagnostics if d.is_error], analysis.diagnostics
    result = effective_config(analysis)
    status = {lc.name: lc.status for lc in result.layers.values()}
    assert status["n0"] == SKIPPED
    quantizable = [layer.name for layer in model.quantizable()]
    assert sorted(n for n, s in status.items() if s in (QUANTIZED, SKIPPED)) == sorted(quantizable)
    assert all(s == UNSUPPORTED for n, s in status.items() if n not in quantizable)
    blocks = Counter(lc.block.label for lc in result.quantized() if lc.block)
    types = Counter(model.layers[lc.name].type for lc in result.quantized())
    assert blocks["override_layer_types[0]"] == types["Gemm"]
    assert blocks["override_layer_types[1]"] == types["AveragePool"]
    assert blocks["common_config"] == types["Conv"]
    for lc in result.quantized():
        per_channel = model.layers[lc.name].per_channel
        assert lc.weights is None or lc.weights.channel_wise is per_channel
        expected = "override_layer_types[1]" if lc.type == "AveragePool" else "activation_offset"
        assert lc.activation is not None and lc.activation.source("asymmetric").label == expected
        assert (lc.bn_fusion is not None) == model.layers[lc.name].fusable
