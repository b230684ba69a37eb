"""ULQ and ARQ fake quantization against AMCT's own functions, and against finite differences.

The expectations in fixtures/ulq_amct.npz are AMCT's UlqRetrainFuncQAT / ArqRetrainFuncQAT run on
seeded tensors (tools/amct_distill_oracle.py re-derives them from an AMCT checkout)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the distillation executor needs torch (pip install torch)")

from amct_lang.executor import quant  # noqa: E402
from amct_lang.executor.distill import ulq  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
AMCT = np.load(FIXTURES / "ulq_amct.npz")
# (bits, fixed_min, clip_max, clip_min, clip_max_pre, clip_min_pre), as in the oracle tool
ULQ_CASES = [
    (8, False, 2.5, -1.25, 2.0, -1.0), (8, True, 2.5, -1.25, 2.0, -1.0),
    (4, False, 2.5, -1.25, 2.0, -1.0), (4, True, 2.5, -1.25, 2.0, -1.0),
    (8, False, 7.0, -6.5, 2.0, -1.0), (4, False, 0.3, -0.2, 2.0, -1.0),
    (8, False, 1.5, 0.5, 2.0, -1.0), (4, True, -0.5, -1.0, 2.0, -1.0),
]
ARQ_CASES = [((6, 3, 3, 3), 8, True), ((6, 3, 3, 3), 8, False), ((6, 3, 3, 3), 4, True),
             ((6, 3, 3, 3), 4, False), ((10, 7), 8, False), ((10, 7), 4, False), ((10, 7), 8, True)]


def _ulq_run(i: int) -> tuple[torch.Tensor, ...]:
    bits, fixed_min, cmax, cmin, pmax, pmin = ULQ_CASES[i]
    x = torch.from_numpy(AMCT[f"ulq{i}_x"]).requires_grad_(True)
    clip_max = torch.tensor(cmax, requires_grad=True)
    clip_min = torch.tensor(cmin, requires_grad=True)
    y, scale, offset, used_max, used_min = ulq.ulq_activation(
        x, clip_max, clip_min, torch.tensor(pmax), torch.tensor(pmin), bits, fixed_min)
    y.backward(torch.from_numpy(AMCT[f"ulq{i}_g"]))
    return x, clip_max, clip_min, y, scale, offset, used_max, used_min


@pytest.mark.parametrize("i", range(len(ULQ_CASES)), ids=[f"int{c[0]}-fixed_min={c[1]}-clips={c[2]},{c[3]}"
                                                         for c in ULQ_CASES])
def test_ulq_equals_amct(i: int) -> None:
    x, clip_max, clip_min, y, scale, offset, used_max, used_min = _ulq_run(i)
    # forward, scale, offset and the clips used: bit for bit
    np.testing.assert_array_equal(y.detach().numpy(), AMCT[f"ulq{i}_y"])
    np.testing.assert_array_equal(scale.numpy(), AMCT[f"ulq{i}_scale"])
    np.testing.assert_array_equal(offset.numpy(), AMCT[f"ulq{i}_offset"])
    used = np.array([used_max.item(), used_min.item()], np.float32)
    np.testing.assert_array_equal(used, AMCT[f"ulq{i}_used"])
    # gradients: x exactly (a mask), the clips to float32 summation order
    np.testing.assert_array_equal(x.grad.numpy(), AMCT[f"ulq{i}_grad_x"])
    grads = np.array([clip_max.grad.item(), clip_min.grad.item()], np.float32)
    np.testing.assert_allclose(grads, AMCT[f"ulq{i}_grad_clips"], rtol=1e-5, atol=1e-6)


def test_the_cases_cover_clipping_on_both_sides() -> None:
    """A case list where nothing is clipped would not test the masks."""
    clipped_high = clipped_low = 0
    for i in range(len(ULQ_CASES)):
        grad_x = AMCT[f"ulq{i}_grad_x"]
        x = AMCT[f"ulq{i}_x"]
        clipped_high += int(((grad_x == 0) & (x > 0)).sum())
        clipped_low += int(((grad_x == 0) & (x < 0)).sum())
    assert clipped_high > 20 and clipped_low > 20


@pytest.mark.parametrize("i", range(len(ARQ_CASES)), ids=[f"{c[0]}-int{c[1]}-channel_wise={c[2]}"
                                                         for c in ARQ_CASES])
def test_arq_equals_amct(i: int) -> None:
    _, bits, channel_wise = ARQ_CASES[i]
    w = torch.from_numpy(AMCT[f"arq{i}_w"]).requires_grad_(True)
    y, scale = ulq.arq_weight(w, bits, channel_wise)
    y.backward(torch.from_numpy(AMCT[f"arq{i}_g"]))
    np.testing.assert_array_equal(y.detach().numpy(), AMCT[f"arq{i}_y"])
    np.testing.assert_array_equal(scale.reshape(-1).numpy(), AMCT[f"arq{i}_scale"].reshape(-1))
    np.testing.assert_array_equal(w.grad.numpy(), AMCT[f"arq{i}_g"])  # straight through
    # the numpy ARQ the PTQ executor uses gives the same scales and the same weights
    ref = quant.arq(AMCT[f"arq{i}_w"], channel_wise=channel_wise, bits=bits)
    np.testing.assert_array_equal(ref.scale.reshape(-1), AMCT[f"arq{i}_scale"].reshape(-1))
    np.testing.assert_array_equal(ref.dequantized(), AMCT[f"arq{i}_y"])


def _frozen(x: torch.Tensor, clip_max: torch.Tensor, clip_min: torch.Tensor, bits: int
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The masks and the rounding error (in grid steps) at a point, computed in float32 as ULQ does."""
    scale, offset = ulq.asymmetric_scale_offset(clip_max.float(), clip_min.float(), bits)
    lo, hi = ulq.grid(bits)
    x = x.float()
    upper = x > scale * (hi - offset)
    lower = x < scale * (lo - offset)
    t = torch.where(upper, clip_max.float(), torch.where(lower, clip_min.float(), x)) / scale
    return upper, lower, (torch.round(t) - t).double()


def _surrogate(x: torch.Tensor, clip_max: torch.Tensor, clip_min: torch.Tensor, bits: int,
               frozen: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """ULQ's output written as clip(x) + scale * (round(t) - t), the rounding error and the masks held
    at their values at one point: the function whose derivative the ULQ gradients are."""
    upper, lower, error = frozen
    s = (torch.clamp(clip_max, 0, None) - torch.clamp(clip_min, None, 0)) / (2 ** bits - 1)
    clipped = torch.where(upper, clip_max, torch.where(lower, clip_min, x))
    return clipped + s * error


@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("fixed_min", [False, True])
def test_gradients_are_the_derivative_of_the_frozen_error_form(bits: int, fixed_min: bool) -> None:
    gen = torch.Generator().manual_seed(7 + bits)
    x = (torch.randn(4, 50, generator=gen) * 1.5).double()
    cmax, cmin = torch.tensor(2.0, dtype=torch.float64), torch.tensor(-1.5, dtype=torch.float64)
    if fixed_min:
        cmin = torch.tensor(0.0, dtype=torch.float64)
    # the surrogate equals the fake-quantized output (same values, another way to write them)
    y, *_ = ulq.ulq_activation(x.float(), cmax.float(), cmin.float(), cmax.float(), cmin.float(), bits, False)
    frozen = _frozen(x, cmax, cmin, bits)
    np.testing.assert_allclose(_surrogate(x, cmax, cmin, bits, frozen).numpy(), y.numpy(), atol=1e-5)
    # finite differences of the surrogate (float64) agree with its autograd derivative ...
    xs, cm, cn = (v.clone().requires_grad_(True) for v in (x, cmax, cmin))
    # (with fixed_min, clip_min is not learned and sits on the kink of min(clip_min, 0): not checked)
    inputs = (xs, cm) if fixed_min else (xs, cm, cn)
    def surrogate(a: torch.Tensor, b: torch.Tensor, *c: torch.Tensor) -> torch.Tensor:
        return _surrogate(a, b, c[0] if c else cmin, bits, frozen)

    assert torch.autograd.gradcheck(surrogate, inputs, eps=1e-7, atol=1e-5)
    # ... and ULQ's backward equals that derivative
    g = torch.randn(4, 50, generator=gen).double()
    _surrogate(xs, cm, cn, bits, frozen).backward(g)
    gx, gmax, gmin = ulq.ulq_gradients(x.float(), g.float(), cmax.float(), cmin.float(), bits)
    np.testing.assert_allclose(gx.numpy(), xs.grad.numpy(), atol=1e-6)
    np.testing.assert_allclose(gmax.item(), cm.grad.item(), rtol=1e-4, atol=1e-5)
    if not fixed_min:
        np.testing.assert_allclose(gmin.item(), cn.grad.item(), rtol=1e-4, atol=1e-5)


def test_clipped_values_follow_the_clip_exactly() -> None:
    """Where x is clipped at the top the output is the top of the grid, whose derivative in clip_max is
    1 + rounding error: a finite difference of the real forward shows it."""
    x = torch.tensor([5.0, 6.0, 7.0])
    h = 1e-3

    def top(c: float) -> float:
        c_max, zero = torch.tensor(c), torch.tensor(0.0)
        y, *_ = ulq.ulq_activation(x, c_max, zero, c_max, zero, 8, True)
        return float(y[0])

    fd = (top(2.0 + h) - top(2.0 - h)) / (2 * h)
    _, gmax, _ = ulq.ulq_gradients(x[:1], torch.ones(1), torch.tensor(2.0), torch.tensor(0.0), 8)
    assert abs(fd - gmax.item()) < 1e-2


@pytest.mark.parametrize("bits,channel_wise", [(8, True), (4, False)])
def test_ulq_weight_starts_as_arq_and_learns_its_scale(bits: int, channel_wise: bool) -> None:
    gen = torch.Generator().manual_seed(3)
    w = torch.randn(5, 4, 3, 3, generator=gen).requires_grad_(True)
    scale = ulq.arq_scale(w.detach(), bits, channel_wise).clone().requires_grad_(True)
    y = ulq.ulq_weight(w, scale, bits)
    arq_y = ulq.arq_weight(w.detach(), bits, channel_wise)[0]
    np.testing.assert_array_equal(y.detach().numpy(), arq_y.numpy())
    g = torch.randn(5, 4, 3, 3, generator=gen)
    y.backward(g)
    assert scale.grad is not None and scale.grad.shape == scale.shape and torch.isfinite(scale.grad).all()
    np.testing.assert_array_equal(w.grad.numpy(), g.numpy())
    # the step-size gradient, written out for one channel
    rows, s = w.detach().reshape(5, -1), scale.detach().reshape(-1, 1) if channel_wise else scale.detach()
    t = rows / s
    half = 2 ** (bits - 1)
    step = torch.where(rows > s * (half - 1), half - 1.0, torch.where(rows < -s * half, -float(half),
                                                                     torch.round(t) - t))
    summed = (step * g.reshape(5, -1)).sum(dim=1) if channel_wise else (step * g.reshape(5, -1)).sum()
    expected = summed / np.sqrt(rows.shape[1] * (half - 1))
    np.testing.assert_allclose(scale.grad.numpy().reshape(-1), expected.numpy().reshape(-1), rtol=1e-5,
                               atol=1e-6)
