"""Real ONNX models for the tests, built with onnx.helper and checked with onnx.checker.

`build(name, folder)` writes the named model and returns its path; `shipped(name)` finds one of the
models onnx ships in its backend test data (light_resnet50, light_densenet121, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _init(name: str, *shape: int, seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.1, name)


def _model(nodes: list[Any], inputs: list[Any], outputs: list[Any], inits: list[Any]) -> Any:
    graph = helper.make_graph(nodes, "test", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def small_cnn() -> Any:
    """Conv+BN+Relu, MaxPool, Conv+Relu, residual Add, an unnamed 1x1 Conv, AveragePool, Flatten,
    Gemm, and a MatMul with a constant 2-D weight."""
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        n("BatchNormalization", ["c1", "bn_s", "bn_b", "bn_m", "bn_v"], ["n1"], name="bn1"),
        n("Relu", ["n1"], ["r1"], name="relu1"),
        n("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        n("Conv", ["p1", "w2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        n("Relu", ["c2"], ["r2"], name="relu2"),
        n("Add", ["r2", "p1"], ["a1"], name="add1"),
        n("Conv", ["a1", "w3"], ["c3"]),  # no name: AMCT cannot address it
        n("AveragePool", ["c3"], ["ap"], name="avgpool", kernel_shape=[2, 2], strides=[2, 2]),
        n("Flatten", ["ap"], ["f"], name="flatten"),
        n("Gemm", ["f", "wfc", "bfc"], ["logits"], name="fc", transB=1),
        n("MatMul", ["logits", "wm"], ["y"], name="proj"),
    ]
    inits = [_init("w1", 8, 3, 3, 3), _init("b1", 8), _init("bn_s", 8), _init("bn_b", 8), _init("bn_m", 8),
             numpy_helper.from_array(np.ones(8, np.float32), "bn_v"), _init("w2", 8, 8, 3, 3),
             _init("w3", 8, 8, 1, 1), _init("wfc", 10, 128), _init("bfc", 10), _init("wm", 10, 4)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    return _model(nodes, [x], [y], inits)


def odd_ops() -> Any:
    """Quantizable op types that break a constraint, next to ones that keep them: Gemm with
    transA=1, MatMul of two activations, a depthwise Conv, a ConvTranspose, a global pooling."""
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "wd"], ["d"], name="conv_dw", group=4, pads=[1, 1, 1, 1]),
        n("ConvTranspose", ["d", "wt"], ["u"], name="deconv", strides=[2, 2]),
        n("AveragePool", ["u"], ["g"], name="pool_all", kernel_shape=[16, 16]),
        n("Flatten", ["g"], ["f"], name="flatten"),
        n("Transpose", ["f"], ["ft"], name="transpose", perm=[1, 0]),
        n("Gemm", ["ft", "wfc"], ["h"], name="fc_transposed", transA=1),
        n("MatMul", ["h", "h_t"], ["y"], name="mm_dynamic"),
        n("Transpose", ["h"], ["h_t"], name="transpose2", perm=[1, 0]),
    ]
    # keep topological order: h_t before mm_dynamic
    nodes[6], nodes[7] = nodes[7], nodes[6]
    inits = [_init("wd", 4, 1, 3, 3), _init("wt", 4, 2, 2, 2), _init("wfc", 2, 6)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1])
    return _model(nodes, [x], [y], inits)


def dup_names() -> Any:
    """Two Conv nodes named "conv" (the checker allows it; AMCT addresses layers by name), then a
    uniquely named Gemm."""
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w1"], ["c1"], name="conv", pads=[1, 1, 1, 1]),
        n("Conv", ["c1", "w2"], ["c2"], name="conv", pads=[1, 1, 1, 1]),
        n("Flatten", ["c2"], ["f"], name="flatten"),
        n("Gemm", ["f", "wfc"], ["y"], name="fc", transB=1),
    ]
    inits = [_init("w1", 4, 3, 3, 3), _init("w2", 4, 4, 3, 3), _init("wfc", 2, 256)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    graph = helper.make_graph(nodes, "test", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


BUILDERS: dict[str, Callable[[], Any]] = {"small_cnn": small_cnn, "odd_ops": odd_ops, "dup_names": dup_names}


def build(name: str, folder: Path) -> Path:
    path = folder / f"{name}.onnx"
    if not path.exists():
        onnx.save(BUILDERS[name](), str(path))
    return path


def shipped(name: str) -> Path | None:
    path = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / f"{name}.onnx"
    return path if path.exists() else None


def model_path(name: str, folder: Path) -> Path | None:
    """A built model by name, or a shipped one (None when this onnx does not ship it)."""
    return build(name, folder) if name in BUILDERS else shipped(name)
