"""Stage 4: weight quantization of each layer (ARQ or NUQ, executor.md §4-5), on the fused weights.

Weights are brought to AMCT's [C_out, -1] row layout, quantized, and put back in the ONNX layout;
`axis` is the ONNX axis the per-channel scales run along (DequantizeLinear's `axis`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..quant import WeightQuant, arq
from .errors import PtqError
from .plan import LayerPlan


@dataclass
class WeightResult:
    q: np.ndarray  # int8, the ONNX layout of the weight
    scale: np.ndarray  # float32, [C] channel-wise or [1]
    offset: np.ndarray  # int32, like scale
    axis: int | None  # ONNX axis of the per-channel scales; None: one scale
    dequantized: np.ndarray  # float32, the ONNX layout: what the quantized model computes with
    sqnr_db: float
    nuq_levels: int | None = None  # NUQ: integer levels kept
    sqnr_uniform_db: float | None = None  # NUQ: the SQNR of the uniform grid before level selection


def _rows(op: str, w: np.ndarray, trans_b: int, group: int) -> tuple[np.ndarray, int]:
    """The weight as output-channel rows, and the ONNX axis of the output channels."""
    if op == "Conv":
        return w, 0
    if op == "ConvTranspose":
        if group != 1:
            raise PtqError(
                "a grouped ConvTranspose cannot take one scale per output channel in ONNX "
                "QDQ; set arq_quantize { channel_wise: false } for it"
            )
        return np.swapaxes(w, 0, 1), 1
    if op == "Gemm":
        return (w, 0) if trans_b else (w.T, 1)
    return w.T, 1  # MatMul: [K, N]


def _unrows(op: str, rows: np.ndarray, trans_b: int) -> np.ndarray:
    if op == "Conv":
        return rows
    if op == "ConvTranspose":
        return np.swapaxes(rows, 0, 1)
    if op == "Gemm" and trans_b:
        return rows
    return rows.T


def sqnr_db(ref: np.ndarray, approx: np.ndarray) -> float:
    """10·log10(signal / error), float64; inf when exact."""
    r = ref.astype(np.float64)
    noise = float(np.sum((r - approx.astype(np.float64)) ** 2))
    signal = float(np.sum(r * r))
    if noise == 0.0:
        return float("inf")
    if signal == 0.0:
        return float("-inf")
    return 10.0 * float(np.log10(signal / noise))


def nuq_levels(
    q: np.ndarray, target: np.ndarray, weight: np.ndarray, steps: int, iterations: int
) -> np.ndarray:
    """**[design]** NUQ on the integer grid: `steps` integer levels chosen by Lloyd's algorithm
    (initialised at the quantiles of the uniform codes, then `iterations` rounds of assign + update,
    each level the rounded weighted mean of its codes' exact values `target` = w/scale, weighted by
    scale²). Returns the new integer codes."""
    flat_t, flat_w = target.reshape(-1).astype(np.float64), weight.reshape(-1).astype(np.float64)
    levels = np.unique(np.quantile(q.reshape(-1), np.linspace(0, 1, steps)).round())
    lo, hi = float(q.min()), float(q.max())
    for _ in range(iterations):
        idx = _nearest(flat_t, levels)
        sums = np.bincount(idx, weights=flat_t * flat_w, minlength=levels.size)
        mass = np.bincount(idx, weights=flat_w, minlength=levels.size)
        moved = np.where(mass > 0, np.round(sums / np.maximum(mass, 1e-300)), levels)
        levels = np.unique(np.clip(moved, lo, hi))
    return levels[_nearest(flat_t, levels)].reshape(q.shape).astype(np.int32)


def _nearest(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    pos = np.clip(np.searchsorted(levels, values), 1, max(levels.size - 1, 1))
    if levels.size == 1:
        return np.zeros(values.shape, dtype=np.intp)
    left = levels[pos - 1]
    right = levels[pos]
    return np.where(np.abs(values - left) <= np.abs(right - values), pos - 1, pos).astype(np.intp)


def quantize_weight(layer: LayerPlan, w: np.ndarray, *, trans_b: int = 0, group: int = 1) -> WeightResult:
    plan = layer.weights
    assert plan is not None
    try:
        rows, axis = _rows(layer.op_type, w.astype(np.float32), trans_b, group if plan.channel_wise else 1)
    except PtqError as exc:
        raise PtqError(f"layer '{layer.name}': {exc.message}") from None
    if not np.all(np.isfinite(rows)):
        raise PtqError(f"layer '{layer.name}': its weight holds NaN or infinity")
    wq: WeightQuant = arq(rows, channel_wise=plan.channel_wise, asymmetric=plan.asymmetric, bits=plan.bits)
    deq_rows = wq.dequantized()
    result_q = wq.q
    levels = None
    uniform_db = None
    if plan.algorithm == "nuq":
        uniform_db = sqnr_db(rows, deq_rows)
        flat_rows = rows.reshape(rows.shape[0], -1)
        scale = wq.scale.reshape(-1, 1) if plan.channel_wise else wq.scale.reshape(1, 1)
        target = flat_rows / scale
        weight = np.broadcast_to(scale.astype(np.float64) ** 2, target.shape)
        result_q = nuq_levels(
            wq.q.reshape(flat_rows.shape), target, weight, plan.num_steps, plan.num_of_iteration
        ).reshape(rows.shape)
        levels = int(np.unique(result_q).size)
        wq = WeightQuant(result_q, wq.scale, wq.offset, wq.channel_wise, wq.bits)
        deq_rows = wq.dequantized()
    q = _unrows(layer.op_type, result_q, trans_b).astype(np.int8)
    deq = np.ascontiguousarray(_unrows(layer.op_type, deq_rows, trans_b))
    return WeightResult(
        np.ascontiguousarray(q),
        wq.scale,
        wq.offset,
        axis if plan.channel_wise else None,
        deq,
        sqnr_db(w, deq),
        levels,
        uniform_db,
    )
