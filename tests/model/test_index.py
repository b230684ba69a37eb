"""ModelIndex from real models: ONNX graphs built here or shipped with onnx, PyTorch modules."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from amct_lang.model import ModelError, load_model, nearest_name
from amct_lang.model.index import UnsupportedCode
from amct_lang.model.types import type_match

from .loading import model_file, test_model

onnx = pytest.importorskip("onnx")


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def test_small_cnn(models: Path) -> None:
    m = test_model("small_cnn", models)
    assert m.framework == "onnx"
    kinds = {layer.name: (layer.type, layer.kind, layer.per_channel) for layer in m}
    assert kinds["conv1"] == ("Conv", "weights+activation", True)
    assert kinds["fc"] == ("Gemm", "weights+activation", False)
    assert kinds["proj"] == ("MatMul", "weights+activation", False)
    assert kinds["avgpool"] == ("AveragePool", "activation", False)
    assert kinds["pool1"][1] == kinds["add1"][1] == "tensor"
    assert kinds["relu1"][1] is None
    assert [layer.name for layer in m if layer.fusable] == ["conv1"]  # conv2 feeds a Relu
    assert m.unnamed == Counter({"Conv": 1}) and m.unnamed_quantizable() == 1
    assert m.get("add1").input_count == 2 and m.get("conv1").weight_shape == (8, 3, 3, 3)
    # the residual: pool1 feeds conv2 and add1; add1 reaches avgpool through the unnamed Conv
    assert m.successors["pool1"] == ("conv2", "add1")
    assert m.successors["add1"] == ("avgpool",)
    assert m.paths("pool1", "add1") == 2 and m.paths("conv1", "relu1") == 1 and m.paths("fc", "conv1") == 0
    assert m.between("pool1", "add1") == ["pool1", "conv2", "relu2", "add1"]


def test_constraints_and_aliases(models: Path) -> None:
    m = test_model("odd_ops", models)
    assert "transA" in m.get("fc_transposed").unsupported.text
    assert "not a constant" in str(m.get("mm_dynamic").unsupported)
    assert "global" in m.get("pool_all").unsupported.text
    codes = {name: layer.unsupported.code for name, layer in m.layers.items() if layer.unsupported}
    assert codes == {"fc_transposed": UnsupportedCode.TRANS_A,
                     "mm_dynamic": UnsupportedCode.WEIGHT_NOT_CONSTANT,
                     "pool_all": UnsupportedCode.GLOBAL_POOLING}
    assert not m.get("fc_transposed").quantizable
    deconv, dw = m.get("deconv"), m.get("conv_dw")
    assert deconv.quantizable and deconv.per_channel
    assert [type_match(t, dw) for t in ("DepthwiseConv2D", "Conv2D", "Conv3D")] == [1, 1, 0]
    assert type_match("Conv", dw) == 2 and type_match("Deconvolution", deconv) == 1
    assert type_match("Conv2D", test_model("small_cnn", models).get("conv1")) == 1
    assert type_match("DepthwiseConv2D", test_model("small_cnn", models).get("conv1")) == 0


@pytest.mark.parametrize("name", ["light_resnet50", "light_densenet121", "light_inception_v1", "light_vgg19"])
def test_shipped_topologies(name: str, models: Path) -> None:
    """Counts read independently with onnx agree with the index."""
    path = model_file(name, models)
    graph = onnx.load(str(path)).graph
    m = load_model(path)
    named = [n for n in graph.node if n.name]
    assert list(m.layers) == [n.name for n in named]
    assert Counter(layer.type for layer in m) == Counter(n.op_type for n in named)
    consumers = Counter(t for n in graph.node for t in n.input)
    by_input = {t: n for n in graph.node for t in n.input}
    bn_after_conv = sum(1 for n in graph.node if n.op_type == "Conv" and consumers[n.output[0]] == 1
                        and by_input[n.output[0]].op_type == "BatchNormalization")
    assert sum(layer.fusable for layer in m) == bn_after_conv
    # every Conv's weight is computed from constants (ConstantOfShape): all are quantizable
    assert all(layer.quantizable for layer in m if layer.type in ("Conv", "Gemm"))
    assert m.unnamed_quantizable() == 0


@pytest.mark.parametrize("name, candidates, expected", [
    ("conv_1", ["conv1", "conv2", "fc"], "conv1"),
    ("Conv1", ["conv1", "conv2"], "conv1"),
    ("layer1.0.conv1", ["/layer1/layer1.0/conv1/Conv", "/layer1/layer1.0/conv2/Conv"],
     "/layer1/layer1.0/conv1/Conv"),
    ("layer1/0/conv2", ["layer1.0.conv1", "layer1.0.conv2"], "layer1.0.conv2"),
    ("Opname", ["conv1", "fc", "proj"], None),
    ("fc", [], None),
])
def test_nearest_name(name: str, candidates: list[str], expected: str | None) -> None:
    assert nearest_name(name, candidates) == expected


@pytest.mark.parametrize("content, suffix, message", [
    (None, ".onnx", "no such model file"),
    (b"not a protobuf \xff\xff", ".onnx", "not a readable ONNX model"),
    (b"", ".onnx", "not an ONNX model"),
    (b"x", ".h5", "unknown model kind"),
])
def test_load_errors(tmp_path: Path, content: bytes | None, suffix: str, message: str) -> None:
    path = tmp_path / f"model{suffix}"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelError, match=message):
        load_model(path)


def test_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="is a directory"):
        load_model(tmp_path)


def test_missing_torch_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    path.write_bytes(b"x")
    code = ("import sys\nsys.modules['torch'] = None\nfrom amct_lang.model import load_model, ModelError\n"
            f"try:\n    load_model({str(path)!r})\nexcept ModelError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "needs torch" in out and "'.[torch]'" in out


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
class TestTorch:
    def test_pickled_module(self, models: Path) -> None:
        m = test_model("torch:ResidualNet", models)
        assert m.framework == "torch" and m.graph_exact
        assert [(layer.name, layer.type) for layer in m if layer.quantizable] == [
            ("conv1", "Conv2d"), ("conv2", "Conv2d"), ("shortcut", "Conv2d"), ("fc", "Linear")]
        assert m.get("conv1").per_channel and not m.get("fc").per_channel
        assert m.successors["relu1"] == ("conv2", "shortcut")  # traced: the residual branch
        assert m.predecessors["pool"] == ("relu2", "shortcut")  # joined by a functional add
        assert m.paths("conv1", "fc") == 2

    def test_torchscript_uses_registration_order(self, models: Path) -> None:
        m = test_model("torchscript:ResidualNet", models)
        assert not m.graph_exact and m.notes
        assert [layer.type for layer in m][:3] == ["Conv2d", "BatchNorm2d", "ReLU"]
        assert m.paths("conv1", "fc") == 1

    def test_state_dict_is_refused(self, tmp_path: Path) -> None:
        import torch

        from .torch_models import ResidualNet

        path = tmp_path / "weights.pth"
        torch.save(ResidualNet().state_dict(), str(path))
        with pytest.raises(ModelError, match="state_dict"):
            load_model(path)
