"""The distilled student as a standard fake-quant QDQ ONNX model, runnable in onnxruntime.

Each quantized Conv2d / Linear becomes
    input -> [Clip to the INT4 grid] -> QuantizeLinear(scale_d, offset_d, int8) -> DequantizeLinear
    weight: int8 initializer -> DequantizeLinear(scale_w per output channel or per tensor, axis 0)
    -> Conv / Gemm, BatchNorm and the rest as in the float model.
INT4 values are held in int8 tensors: the Clip before QuantizeLinear keeps the activation on the
16-level grid (offset_d is in [-8, 7]), and INT4 weights are integers in [-8, 7]; so the model needs
no INT4 tensor type and runs on any onnxruntime with opset 13 QDQ.
"""

from __future__ import annotations

import copy
import io
import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

from . import ulq
from .student import QuantConv2d, QuantLinear, quant_layers

OPSET = 17


class _ActQdq(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, scale: torch.Tensor, offset: torch.Tensor,  # type: ignore[override]
                zero_point: torch.Tensor, bounds: torch.Tensor, bits: int) -> torch.Tensor:
        return ulq.fake_quantize(x, scale, offset, bits)

    @staticmethod
    def symbolic(g: Any, x: Any, scale: Any, offset: Any, zero_point: Any, bounds: Any, bits: int) -> Any:
        if bits < 8:  # keep the values on the narrower grid, then quantize to int8
            low = g.op("Gather", bounds, g.op("Constant", value_t=torch.tensor(0)), axis_i=0)
            high = g.op("Gather", bounds, g.op("Constant", value_t=torch.tensor(1)), axis_i=0)
            x = g.op("Clip", x, low, high)
        return g.op("DequantizeLinear", g.op("QuantizeLinear", x, scale, zero_point), scale, zero_point)


class _WeightDq(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        rows = q.reshape(q.shape[0], -1).to(torch.float32)
        s = scale.reshape(-1, 1) if scale.numel() > 1 else scale.reshape(())
        return (rows * s).reshape(q.shape)

    @staticmethod
    def symbolic(g: Any, q: Any, scale: Any) -> Any:
        return g.op("DequantizeLinear", q, scale, axis_i=0)


class _ExportLayer(nn.Module):
    """A quantized layer frozen to its final factors, in the form the exporter turns into QDQ."""

    act_scale: torch.Tensor
    act_offset: torch.Tensor
    act_zero_point: torch.Tensor
    act_bounds: torch.Tensor
    q: torch.Tensor
    w_scale: torch.Tensor

    def __init__(self, layer: QuantConv2d | QuantLinear) -> None:
        super().__init__()
        act = layer.act_quant
        self.layer = layer
        self.bits = act.bits
        self.register_buffer("act_scale", act.scale.detach().clone().reshape(()))
        self.register_buffer("act_offset", act.offset.detach().clone().to(torch.int32).reshape(()))
        self.register_buffer("act_zero_point", self.act_offset.to(torch.int8))
        lo, hi = ulq.grid(self.bits)  # the ends of the grid in real values
        self.register_buffer("act_bounds", ((torch.tensor([lo, hi]) - self.act_offset) * self.act_scale)
                             .to(torch.float32))
        q, scale = layer.weight_quant.integers(layer.weight.detach())
        self.register_buffer("q", torch.from_numpy(q))
        per_channel = scale.size > 1 or layer.weight_quant.channel_wise
        self.register_buffer("w_scale", torch.from_numpy(scale if per_channel else scale.reshape(())))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _ActQdq.apply(x, self.act_scale, self.act_offset, self.act_zero_point, self.act_bounds,
                          self.bits)
        w = _WeightDq.apply(self.q, self.w_scale)
        if isinstance(self.layer, QuantConv2d):
            return self.layer._conv_forward(x, w, self.layer.bias)
        return nn.functional.linear(x, w, self.layer.bias)


def export_model(student: nn.Module) -> nn.Module:
    """A copy of the student whose quantized layers compute with their final, frozen factors."""
    model = copy.deepcopy(student).eval()
    for name, layer in quant_layers(model).items():
        assert isinstance(layer, (QuantConv2d, QuantLinear))
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, _ExportLayer(layer))
    return model


def to_onnx(student: nn.Module, example: torch.Tensor) -> bytes:
    """The QDQ ONNX model of the student (input `input`, batch dimension dynamic)."""
    model = export_model(student)
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter is deprecated in torch >= 2.9
        torch.onnx.export(model, (example,), buffer, dynamo=False, opset_version=OPSET,  # type: ignore[arg-type]
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                          training=torch.onnx.TrainingMode.EVAL, do_constant_folding=False)
    return buffer.getvalue()


def factors(student: nn.Module) -> dict[str, dict[str, Any]]:
    """Per quantized layer: activation scale/offset/clips, weight scales, bit widths (report, record)."""
    out: dict[str, dict[str, Any]] = {}
    for name, layer in quant_layers(student).items():
        act, wq = layer.act_quant, layer.weight_quant
        _, scale_w = wq.integers(layer.weight.detach())
        out[name] = {
            "scale_d": float(act.scale), "offset_d": int(act.offset),
            "clip_max": float(act.clip_max.detach()), "clip_min": float(act.clip_min.detach()),
            "fixed_min": bool(act.fixed_min), "act_bits": int(act.bits),
            "scale_w": [float(s) for s in np.asarray(scale_w).reshape(-1)], "weight_bits": int(wq.bits),
            "weight_algo": wq.algo, "channel_wise": bool(wq.channel_wise),
        }
    return out
