"""The student: a copy of the float model whose quantized Conv2d / Linear layers fake-quantize their
input activation (ULQ) and their weight (ARQ or ULQ), per the effective config of each layer.

Activation clips come from `clip_max_min` when the config gives them; otherwise the quantizer
first observes its input over `batch_num` batches (weights already fake-quantized, activations
still float, as AMCT calibrates) and IFMR (symmetric, default search) sets clip_max = 2^(b-1)-1
steps and clip_min = -2^(b-1) steps of the IFMR scale.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .. import quant
from . import ulq

CLIP_LR = 0.1  # AMCT's learning rate for activation clips
SCALE_LR = 1e-4  # and for learned weight scales


@dataclass(frozen=True)
class LayerPlan:
    """How one Conv2d / Linear is fake-quantized (None clips: IFMR initialises them)."""

    name: str
    act_bits: int = 8
    fixed_min: bool = False
    clip_max: float | None = None
    clip_min: float | None = None
    weight_algo: str = "arq_distill"  # or "ulq_distill"
    weight_bits: int = 8
    channel_wise: bool = True


class ActivationQuantizer(nn.Module):
    """ULQ on a layer's input: learned clips, the previous step's clips as the fallback."""

    clip_max_pre: torch.Tensor
    clip_min_pre: torch.Tensor
    scale: torch.Tensor
    offset: torch.Tensor
    calibrated: torch.Tensor

    def __init__(self, bits: int, fixed_min: bool, clip_max: float | None, clip_min: float | None) -> None:
        super().__init__()
        self.bits = bits
        self.fixed_min = fixed_min
        self.clip_max = nn.Parameter(torch.tensor(1.0 if clip_max is None else float(clip_max)))
        self.clip_min = nn.Parameter(torch.tensor(-1.0 if clip_min is None else float(clip_min)),
                                     requires_grad=not fixed_min)
        self.register_buffer("clip_max_pre", self.clip_max.detach().clone())
        self.register_buffer("clip_min_pre", self.clip_min.detach().clone())
        self.register_buffer("scale", torch.tensor(float("nan")))
        self.register_buffer("offset", torch.tensor(0, dtype=torch.int32))
        self.register_buffer("calibrated", torch.tensor(clip_max is not None))
        self._stream: quant.IfmrStream | None = None

    def observe(self, x: torch.Tensor) -> None:
        if self._stream is None:
            self._stream = quant.IfmrStream(quant.IfmrParams(bits=self.bits))
        self._stream.update(x.detach().cpu().numpy())

    def finish_calibration(self) -> None:
        """Clips from IFMR over what `observe` saw."""
        if bool(self.calibrated) or self._stream is None:
            return
        result = self._stream.result()
        lo, hi = ulq.grid(self.bits)
        scale = np.float32(result.scale)
        with torch.no_grad():
            for target, steps in ((self.clip_max, hi), (self.clip_min, lo)):
                target.fill_(float(np.float32(steps) * scale))
            self.clip_max_pre.copy_(self.clip_max)
            self.clip_min_pre.copy_(self.clip_min)
            self.calibrated.fill_(True)
        self._stream = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not bool(self.calibrated):
            self.observe(x)
            return x
        y, scale, offset, used_max, used_min = ulq.ulq_activation(
            x, self.clip_max, self.clip_min, self.clip_max_pre, self.clip_min_pre, self.bits, self.fixed_min)
        with torch.no_grad():  # the clips used become the parameters and the next fallback (AMCT)
            self.clip_max.copy_(used_max)
            self.clip_min.copy_(used_min)
            self.clip_max_pre.copy_(used_max)
            self.clip_min_pre.copy_(used_min)
            self.scale.copy_(scale.reshape(()))
            self.offset.copy_(offset.reshape(()))
        return y


class WeightQuantizer(nn.Module):
    """ARQ (scale from the current weight at each step) or ULQ (a learned scale, initialised by ARQ)."""

    scale: torch.Tensor

    def __init__(self, weight: torch.Tensor, algo: str, bits: int, channel_wise: bool) -> None:
        super().__init__()
        self.algo = algo
        self.bits = bits
        self.channel_wise = channel_wise
        if algo == "ulq_distill":
            self.scale = nn.Parameter(ulq.arq_scale(weight.detach(), bits, channel_wise).clone())
        else:
            self.register_buffer("scale", ulq.arq_scale(weight.detach(), bits, channel_wise).clone())
        self._cached: tuple[tuple[int, int, int], torch.Tensor] | None = None

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        # without gradients (the passes that feed later blocks) an unchanged weight keeps its result
        key = (weight.data_ptr(), weight._version, self.scale._version)
        if not torch.is_grad_enabled() and self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        if self.algo == "ulq_distill":
            y = ulq.ulq_weight(weight, self.scale, self.bits)
        else:
            y, scale = ulq.arq_weight(weight, self.bits, self.channel_wise)
            with torch.no_grad():
                self.scale.copy_(scale)
        self._cached = None if torch.is_grad_enabled() else \
            ((weight.data_ptr(), weight._version, self.scale._version), y)
        return y

    def integers(self, weight: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """(q as int8, scales per channel or one) of the current weight: what the deploy model holds."""
        with torch.no_grad():
            scale = self.scale if self.algo == "ulq_distill" else \
                ulq.arq_scale(weight, self.bits, self.channel_wise)
            rows = ulq.weight_rows(weight)
            s = scale.reshape(-1, 1) if scale.dim() else scale
            lo, hi = ulq.grid(self.bits)
            q = torch.clamp(torch.round(rows / s), lo, hi).reshape(weight.shape)
        return q.to(torch.int8).numpy(), scale.detach().reshape(-1).numpy().astype(np.float32)


class QuantConv2d(nn.Conv2d):
    act_quant: ActivationQuantizer
    weight_quant: WeightQuantizer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(self.act_quant(x), self.weight_quant(self.weight), self.bias)


class QuantLinear(nn.Linear):
    act_quant: ActivationQuantizer
    weight_quant: WeightQuantizer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(self.act_quant(x), self.weight_quant(self.weight), self.bias)


QUANT_CLASSES: dict[type[nn.Module], type[nn.Module]] = {nn.Conv2d: QuantConv2d, nn.Linear: QuantLinear}


QuantLayer = QuantConv2d | QuantLinear


def quantized(module: nn.Module, plan: LayerPlan) -> QuantLayer:
    """The fake-quant version of a Conv2d / Linear, sharing nothing with the original."""
    cls = QUANT_CLASSES[type(module)]
    q: Any = copy.deepcopy(module)
    q.__class__ = cls
    q.act_quant = ActivationQuantizer(plan.act_bits, plan.fixed_min, plan.clip_max, plan.clip_min)
    q.weight_quant = WeightQuantizer(q.weight, plan.weight_algo, plan.weight_bits, plan.channel_wise)
    return q  # type: ignore[no-any-return]


def build_student(teacher: nn.Module, plans: list[LayerPlan]) -> nn.Module:
    """A deep copy of `teacher` with each planned layer replaced by its fake-quant version; in eval
    mode (BatchNorm keeps its running statistics while its affine parameters learn)."""
    student = copy.deepcopy(teacher)
    for plan in plans:
        parent_name, _, child = plan.name.rpartition(".")
        parent = student.get_submodule(parent_name) if parent_name else student
        setattr(parent, child, quantized(getattr(parent, child), plan))
    return student.eval()


def quant_layers(student: nn.Module) -> dict[str, QuantLayer]:
    return {name: m for name, m in student.named_modules() if isinstance(m, (QuantConv2d, QuantLinear))}


def calibrate(student: nn.Module, batches: list[Any], batch_num: int) -> None:
    """Run the student on `batch_num` batches so each IFMR-initialised quantizer sees its inputs."""
    quantizers = [m.act_quant for m in quant_layers(student).values()]
    if all(bool(q.calibrated) for q in quantizers):
        return
    with torch.no_grad():
        for i in range(batch_num):
            student(batches[i % len(batches)])
    for q in quantizers:
        q.finish_calibration()


def param_groups(modules: list[nn.Module], lr: float) -> list[dict[str, Any]]:
    """AdamW groups: clips at CLIP_LR, weight scales at SCALE_LR, everything else at `lr`."""
    seen: set[int] = set()
    groups: dict[str, list[nn.Parameter]] = {"clip": [], "scale": [], "rest": []}
    for module in modules:
        for name, p in module.named_parameters():
            if id(p) in seen or not p.requires_grad:
                continue
            seen.add(id(p))
            leaf = name.rsplit(".", 1)[-1]
            parent = name.rsplit(".", 2)[-2] if name.count(".") else ""
            kind = "clip" if leaf in ("clip_max", "clip_min") else \
                "scale" if leaf == "scale" and parent == "weight_quant" else "rest"
            groups[kind].append(p)
    rates = {"clip": CLIP_LR, "scale": SCALE_LR, "rest": lr}
    return [{"params": ps, "lr": rates[k]} for k, ps in groups.items() if ps]
