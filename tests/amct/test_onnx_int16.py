"""CAL006 with an ONNX model: INT16 activations in a layer override of an AveragePool node are an
error (AMCT rejects them), of a Conv node a warning (AMCT accepts INT16 for Conv)."""

from __future__ import annotations

from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from amct_lang.analysis import analyze  # noqa: E402
from amct_lang.model import load_model  # noqa: E402


def _model(folder: Path) -> Path:
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.1] * 108)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("AveragePool", ["c"], ["y"], name="pool", kernel_shape=[2, 2])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 4])], [weight])
    path = folder / "net.onnx"
    onnx.save(helper.make_model(graph), str(path))
    return path


def _int16(layer: str) -> str:
    return (f'# amct-dialect: calibration-onnx\noverride_layer_configs {{\n    layer_name: "{layer}"\n'
            "    calibration_config { ifmr_quantize { dst_type: INT16 } }\n}\n")


@pytest.mark.parametrize(("layer", "severity"), [("pool", "error"), ("conv", "warning")])
def test_int16_layer_override_by_node_type(layer: str, severity: str, tmp_path: Path) -> None:
    model = load_model(_model(tmp_path))
    found = [d for d in analyze(_int16(layer), model=model).diagnostics if d.code == "CAL006"]
    assert [d.severity.value for d in found] == [severity]


def test_without_the_model_it_is_a_warning() -> None:
    found = [d for d in analyze(_int16("pool")).diagnostics if d.code == "CAL006"]
    assert [d.severity.value for d in found] == ["warning"]
