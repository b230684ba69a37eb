"""Small ONNX models built with onnx.helper (no torch) for the PTQ executor's tests, and their data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _init(name: str, array: np.ndarray) -> Any:
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def residual_net(*, seed: int = 0, names: bool = True, log_input: bool = False) -> Any:
    """x[N,3,8,8] -> conv1 -> bn1 -> relu -> pool (MaxPool) -> conv2 (depthwise) -> add (+ pool)
    -> avgpool (AveragePool 2x2) -> conv3 (1x1) -> GlobalAveragePool -> Flatten -> fc (Gemm) -> y.
    `log_input`: a Log first, so zeros in the data become -inf inside the model."""
    rng = np.random.default_rng(seed)
    inits = [
        _init("w1", rng.normal(0, 0.4, (8, 3, 3, 3))),
        _init("b1", rng.normal(0, 0.1, 8)),
        _init("bn_g", rng.uniform(0.5, 1.5, 8)),
        _init("bn_b", rng.normal(0, 0.2, 8)),
        _init("bn_m", rng.normal(0, 0.3, 8)),
        _init("bn_v", rng.uniform(0.5, 2.0, 8)),
        _init("w2", rng.normal(0, 0.4, (8, 1, 3, 3))),
        _init("w3", rng.normal(0, 0.4, (6, 8, 1, 1))),
        _init("b3", rng.normal(0, 0.1, 6)),
        _init("wf", rng.normal(0, 0.4, (4, 6))),
        _init("bf", rng.normal(0, 0.1, 4)),
    ]
    n = (lambda s: s) if names else (lambda s: "")
    first = "x"
    nodes = []
    if log_input:
        nodes.append(helper.make_node("Log", ["x"], ["xl"], name="log"))
        first = "xl"
    nodes += [
        helper.make_node("Conv", [first, "w1", "b1"], ["c1"], name=n("conv1"), pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn_g", "bn_b", "bn_m", "bn_v"], ["n1"], name="bn1"),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], name=n("conv2"), pads=[1, 1, 1, 1], group=8),
        helper.make_node("Add", ["c2", "p1"], ["a1"], name="add"),
        helper.make_node("AveragePool", ["a1"], ["ap"], name="avgpool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["ap", "w3", "b3"], ["c3"], name="conv3"),
        helper.make_node("GlobalAveragePool", ["c3"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "residual",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def mixed_net(*, seed: int = 1) -> Any:
    """x[N,4,6,6] -> deconv (ConvTranspose, stride 2) -> bnd -> relu -> flatten via Reshape ->
    mm (MatMul with a constant [K, 5]) -> y."""
    rng = np.random.default_rng(seed)
    inits = [
        _init("wd", rng.normal(0, 0.4, (4, 3, 2, 2))),
        _init("g", rng.uniform(0.5, 1.5, 3)),
        _init("b", rng.normal(0, 0.2, 3)),
        _init("m", rng.normal(0, 0.3, 3)),
        _init("v", rng.uniform(0.5, 2.0, 3)),
        numpy_helper.from_array(np.array([-1, 3 * 12 * 12], dtype=np.int64), "shape"),
        _init("wm", rng.normal(0, 0.05, (3 * 12 * 12, 5))),
    ]
    nodes = [
        helper.make_node("ConvTranspose", ["x", "wd"], ["d"], name="deconv", strides=[2, 2]),
        helper.make_node("BatchNormalization", ["d", "g", "b", "m", "v"], ["dn"], name="bnd"),
        helper.make_node("Relu", ["dn"], ["dr"], name="relu"),
        helper.make_node("Reshape", ["dr", "shape"], ["flat"], name="reshape"),
        helper.make_node("MatMul", ["flat", "wm"], ["y"], name="mm"),
    ]
    graph = helper.make_graph(
        nodes,
        "mixed",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def samples(shape: tuple[int, ...], n: int = 8, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.3, 1.0, (n, *shape)).astype(np.float32)


def write_case(folder: Path, model: Any, data: dict[str, np.ndarray], config: str) -> tuple[Path, Path, Path]:
    """model.onnx, calib.npz and quant.cfg in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    m, d, c = folder / "model.onnx", folder / "calib.npz", folder / "quant.cfg"
    onnx.save(model, str(m))
    np.savez(d, **data)
    c.write_text(config, encoding="utf-8")
    return m, d, c
