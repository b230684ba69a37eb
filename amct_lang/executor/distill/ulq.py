"""Fake quantization with gradients, as AMCT's distillation computes it (executor.md §9).

- `ulq_activation`: ULQ for activations. Learned clip_max / clip_min define an asymmetric grid;
  the gradient is straight-through for x inside the grid and, for the clips, the derivative of
  `y = clip(x) + scale * (round(t) - t)` with the rounding error held fixed.
- `arq_weight`: ARQ for weights (symmetric, per channel or per tensor, re-computed from the current
  weights at every step), straight-through gradient.
- `ulq_weight`: ULQ for weights: a learned symmetric scale (initialised by ARQ), with the
  step-size gradient of AMCT's retrain ULQ (scaled by 1 / sqrt(N * (2^(b-1) - 1))).

The arithmetic is written in float32 torch ops in the order AMCT applies them (`x / scale + offset`,
then round half to even, then clamp), so forward outputs equal AMCT's bit for bit.
"""

from __future__ import annotations

import math
from typing import Any

import torch

FLT_EPSILON = 1.1920928955078125e-07  # float32 machine epsilon, AMCT's lower bound for a scale


def grid(bits: int) -> tuple[int, int]:
    """The signed integer range of `bits`-bit quantization."""
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def asymmetric_scale_offset(clip_max: torch.Tensor, clip_min: torch.Tensor,
                            bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale and integer offset of the asymmetric grid spanning [clip_min, clip_max] (and 0)."""
    hi = torch.clamp(clip_max.to(torch.float32), 0, None)
    lo = torch.clamp(clip_min.to(torch.float32), None, 0)
    steps = 2 ** bits - 1
    scale = (hi - lo) / steps
    half = -math.ceil(steps / 2)
    offset = torch.where(hi != lo, half - lo / scale, torch.tensor(float(half), dtype=torch.float32))
    tiny = scale < FLT_EPSILON
    offset = torch.where(tiny, torch.tensor(float(grid(bits)[0])), offset)
    scale = torch.where(tiny, torch.tensor(1.0), scale)
    return scale.to(torch.float32), offset.round().to(torch.int32)


def symmetric_scale(w_max: torch.Tensor, w_min: torch.Tensor, bits: int) -> torch.Tensor:
    """ARQ's symmetric scale: |bound| / (2^(b-1) - 1), or / 2^(b-1) when the negative side is larger."""
    negative_larger = w_max.abs() < w_min.abs()
    levels = negative_larger.to(torch.int64) + (2 ** (bits - 1) - 1)
    bound = torch.where(w_max.abs() > w_min.abs(), w_max.abs(), w_min.abs())
    scale = bound / levels
    return torch.where(scale < FLT_EPSILON, torch.tensor(1.0), scale).to(torch.float32)


def fake_quantize(x: torch.Tensor, scale: torch.Tensor, offset: torch.Tensor, bits: int) -> torch.Tensor:
    """(clamp(round(x / scale + offset)) - offset) * scale, in AMCT's order of operations."""
    lo, hi = grid(bits)
    # one new tensor, then in place: the same operations in the same order, without temporaries
    q = x / scale
    return q.add_(offset).round_().clamp_(lo, hi).sub_(offset).mul_(scale)


class UlqActivation(torch.autograd.Function):
    """ULQ fake quantization of an activation with learned clips.

    forward(x, clip_max, clip_min, clip_max_pre, clip_min_pre, bits, fixed_min) returns
    (y, scale, offset, used_clip_max, used_clip_min). The clips actually used can differ from the
    inputs: fixed_min pins clip_min at 0, and a degenerate clip (max == min, max < 0 or min > 0)
    falls back to the previous step's value, as AMCT does.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, clip_max: torch.Tensor, clip_min: torch.Tensor,  # type: ignore[override]
                clip_max_pre: torch.Tensor, clip_min_pre: torch.Tensor, bits: int,
                fixed_min: bool) -> tuple[torch.Tensor, ...]:
        clip_max, clip_min = usable_clips(clip_max, clip_min, clip_max_pre, clip_min_pre, fixed_min)
        scale, offset = asymmetric_scale_offset(clip_max, clip_min, bits)
        y = fake_quantize(x, scale, offset, bits)
        # copies: the caller writes the clips used back into its parameters after the step
        used_max, used_min = clip_max.detach().clone(), clip_min.detach().clone()
        ctx.save_for_backward(x, used_max, used_min)
        ctx.bits = bits
        ctx.mark_non_differentiable(scale, offset)
        return y, scale, offset, used_max.clone(), used_min.clone()

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor, *_: Any) -> tuple[Any, ...]:  # type: ignore[override]
        x, clip_max, clip_min = ctx.saved_tensors
        grad_x, grad_max, grad_min = ulq_gradients(x, grad_y, clip_max, clip_min, ctx.bits)
        return grad_x, grad_max, grad_min, None, None, None, None


def usable_clips(clip_max: torch.Tensor, clip_min: torch.Tensor, clip_max_pre: torch.Tensor,
                 clip_min_pre: torch.Tensor, fixed_min: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The clips a ULQ step quantizes with (see UlqActivation)."""
    if fixed_min:
        clip_min = torch.zeros_like(clip_min)
    if bool(torch.all(clip_max == clip_min)):
        return clip_max_pre, clip_min_pre
    if bool(torch.all(clip_max < 0)):
        return clip_max_pre, clip_min
    if bool(torch.all(clip_min > 0)):
        return clip_max, clip_min_pre
    return clip_max, clip_min


def ulq_gradients(x: torch.Tensor, grad_y: torch.Tensor, clip_max: torch.Tensor, clip_min: torch.Tensor,
                  bits: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients for x, clip_max and clip_min. The masks are taken against the ends of the integer
    grid (not the clip values), and the rounding error is not masked (executor.md §9)."""
    scale, offset = asymmetric_scale_offset(clip_max, clip_min, bits)
    lo, hi = grid(bits)
    upper = x > scale * (hi - offset)
    lower = x < scale * (lo - offset)
    t = torch.where(upper, clip_max, x)
    t = torch.where(lower, clip_min, t) / scale
    error = (torch.round(t) - t) / (2 ** bits - 1)
    grad_max = torch.sum((error + upper.to(torch.int64)) * grad_y)
    grad_min = torch.sum((lower.to(torch.int64) - error) * grad_y)
    grad_x = torch.where(~(upper | lower), grad_y, torch.tensor(0.0, dtype=torch.float32))
    return grad_x, grad_max, grad_min


def ulq_activation(x: torch.Tensor, clip_max: torch.Tensor, clip_min: torch.Tensor,
                   clip_max_pre: torch.Tensor, clip_min_pre: torch.Tensor, bits: int,
                   fixed_min: bool) -> tuple[torch.Tensor, ...]:
    out = UlqActivation.apply(x, clip_max, clip_min, clip_max_pre, clip_min_pre, bits, fixed_min)
    return tuple(out)


def weight_rows(w: torch.Tensor) -> torch.Tensor:
    """The weight as [C_out, -1]: one row per output channel (Conv2d and Linear keep C_out first)."""
    return w.reshape(w.shape[0], -1)


def arq_scale(w: torch.Tensor, bits: int, channel_wise: bool) -> torch.Tensor:
    """ARQ's scale: one per output channel ([C_out]) or one for the tensor (a 0-d tensor)."""
    rows = weight_rows(w)
    if channel_wise:
        return symmetric_scale(rows.max(dim=1).values, rows.min(dim=1).values, bits)
    return symmetric_scale(rows.max(), rows.min(), bits)


class ArqWeight(torch.autograd.Function):
    """ARQ fake quantization of a weight: scale from the current weight, straight-through gradient."""

    @staticmethod
    def forward(ctx: Any, w: torch.Tensor, bits: int,  # type: ignore[override]
                channel_wise: bool) -> tuple[torch.Tensor, torch.Tensor]:
        scale = arq_scale(w, bits, channel_wise)
        rows = weight_rows(w)
        s = scale.reshape(-1, 1) if scale.dim() else scale
        y = fake_quantize(rows, s, torch.zeros_like(s, dtype=torch.int32), bits).reshape(w.shape)
        ctx.mark_non_differentiable(scale)
        return y, scale

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor, *_: Any) -> tuple[Any, ...]:  # type: ignore[override]
        return grad_y, None, None


def arq_weight(w: torch.Tensor, bits: int, channel_wise: bool) -> tuple[torch.Tensor, torch.Tensor]:
    y, scale = ArqWeight.apply(w, bits, channel_wise)
    return y, scale


class UlqWeight(torch.autograd.Function):
    """ULQ fake quantization of a weight with a learned symmetric scale ([C_out] or 0-d)."""

    @staticmethod
    def forward(ctx: Any, w: torch.Tensor, scale: torch.Tensor, bits: int) -> torch.Tensor:  # type: ignore[override]
        rows = weight_rows(w)
        s = scale.reshape(-1, 1) if scale.dim() else scale
        y = fake_quantize(rows, s, torch.zeros_like(s, dtype=torch.int32), bits).reshape(w.shape)
        ctx.save_for_backward(w, scale)
        ctx.bits = bits
        return y

    @staticmethod
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        w, scale = ctx.saved_tensors
        rows, g = weight_rows(w), weight_rows(grad_y)
        s = scale.reshape(-1, 1) if scale.dim() else scale
        half = 2 ** (ctx.bits - 1)
        upper = rows > s * (half - 1)
        lower = rows < -s * half
        t = rows / s
        step = torch.where(upper, torch.tensor(float(half - 1)),
                           torch.where(lower, torch.tensor(float(-half)), torch.round(t) - t))
        step = step / math.sqrt(rows.shape[1] * (half - 1))
        grad_scale = (step * g).sum(dim=1) if scale.dim() else (step * g).sum()
        return grad_y, grad_scale.reshape(scale.shape), None


def ulq_weight(w: torch.Tensor, scale: torch.Tensor, bits: int) -> torch.Tensor:
    out: torch.Tensor = UlqWeight.apply(w, scale, bits)
    return out
