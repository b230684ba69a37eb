"""The quantization arithmetic on hand-computed cases (executor.md §3, §4, §8)."""

from __future__ import annotations

import numpy as np
import pytest

from amct_lang.executor import quant
from amct_lang.executor.quant import IfmrParams, IfmrStream, arq, ifmr, scale_offset

f32 = np.float32


@pytest.mark.parametrize(
    ("start", "end", "step", "count"),
    [(0.7, 1.3, 0.01, 61), (0.8, 1.2, 0.02, 20), (0.7, 1.3, 0.02, 31), (1.0, 1.0001, 0.01, 1)],
)
def test_candidate_count_is_float32_arange(start: float, end: float, step: float, count: int) -> None:
    ratios = quant.search_ratios(quant.config_float(start), quant.config_float(end), quant.config_float(step))
    assert ratios.dtype == np.float32 and ratios.size == count
    assert ratios[0] == f32(start)


def test_candidates_match_torch_arange_within_an_ulp() -> None:
    torch = pytest.importorskip("torch")
    ours = quant.search_ratios(0.7, 1.3, 0.01)
    theirs = torch.arange(0.7, 1.3, 0.01, dtype=torch.float32).numpy()
    assert ours.size == theirs.size
    assert np.max(np.abs(ours - theirs) / theirs) <= 1.2e-7


@pytest.mark.parametrize(
    ("mx", "mn", "scale"),
    [
        (1.0, -1.0, 1.0 / 127),  # a tie takes the positive branch: /127
        (1.0, -0.5, 1.0 / 127),
        (0.5, -1.0, 1.0 / 128),  # the negative side dominates: /128
        (0.0, -2.56, 2.56 / 128),
    ],
)
def test_symmetric_127_vs_128(mx: float, mn: float, scale: float) -> None:
    s, o = scale_offset(f32(mx), f32(mn), asymmetric=False)
    assert s == f32(f32(max(abs(mx), abs(mn))) / f32(round(max(abs(mx), abs(mn)) / scale)))
    assert abs(float(s) - scale) <= 1e-7 * scale and o == 0


def test_asymmetric_scale_and_offset() -> None:
    s, o = scale_offset(f32(2.0), f32(-1.0), asymmetric=True)
    assert s == f32(3.0) / f32(255) and o == -43  # round(-128 + 85)
    s, o = scale_offset(f32(2.0), f32(0.5), asymmetric=True)  # the range is widened to hold 0
    assert s == f32(2.0) / f32(255) and o == -128


@pytest.mark.parametrize("asymmetric", [False, True])
def test_epsilon_rule(asymmetric: bool) -> None:
    s, o = scale_offset(f32(1e-6), f32(0.0), asymmetric=asymmetric)
    assert s == 1.0 and o == (-128 if asymmetric else 0)
    s, o = scale_offset(f32(0.0), f32(0.0), asymmetric=asymmetric)
    assert s == 1.0 and o == (-128 if asymmetric else 0)
    # just above epsilon stays
    s, _ = scale_offset(f32(2e-5), f32(0.0), asymmetric=False)
    assert s == f32(2e-5) / f32(127)


def test_round_half_to_even() -> None:
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 127.5, -128.5, 300.0], dtype=np.float32)
    assert quant.quantize(x, 1.0).tolist() == [0, 2, 2, 0, -2, -2, 127, -128, 127]
    assert quant.quantize(x, 1.0, 3).tolist() == [3, 5, 5, 3, 1, 1, 127, -125, 127]
    assert quant.fake_quantize(np.array([2.5], np.float32), 1.0, 1).tolist() == [2.0]  # q = 3 -> 2


def test_per_axis_quantize() -> None:
    x = np.ones((2, 3), dtype=np.float32)
    q = quant.quantize(x, np.array([0.5, 0.25], np.float32), axis=0)
    assert q.tolist() == [[2, 2, 2], [4, 4, 4]]
    assert quant.dequantize(q, np.array([0.5, 0.25], np.float32), axis=0).tolist() == x.tolist()


def test_arq_channel_wise_and_per_tensor() -> None:
    w = np.array([[[0.5, -1.0]], [[2.54, 1.0]]], dtype=np.float32)  # [C=2, 1, 2]
    cw = arq(w, channel_wise=True)
    assert cw.scale.tolist() == [f32(1.0) / f32(128), f32(2.54) / f32(127)]
    assert cw.q.tolist() == [[[64, -128]], [[127, 50]]]
    assert cw.offset.tolist() == [0, 0]
    pt = arq(w, channel_wise=False)
    assert pt.scale.tolist() == [f32(2.54) / f32(127)] and pt.q.shape == w.shape
    np.testing.assert_allclose(cw.dequantized(), w, atol=float(cw.scale.max()) / 2)


def test_arq_asymmetric_weights() -> None:
    w = np.array([[-1.0, 2.0]], dtype=np.float32)
    r = arq(w, channel_wise=False, asymmetric=True)
    assert r.scale.tolist() == [f32(3.0) / f32(255)] and r.offset.tolist() == [-43]
    assert r.q.tolist() == [[-128, 127]]


def test_percentile_rank() -> None:
    assert quant.percentile_rank(1000, 1.0) == 1
    assert quant.percentile_rank(1000, 0.9999999) == 1  # 1 - p below FLT_EPSILON
    assert quant.percentile_rank(10_000_000, 0.999999) == 10_000_000 - int(0.999999 * 10_000_000)
    assert quant.percentile_rank(100, 0.9) == 10


def test_ifmr_single_candidate_is_the_percentile_range() -> None:
    x = np.array([-1.0, 0.25, 0.5, 1.0], dtype=np.float32)
    one = IfmrParams(
        max_percentile=1.0, min_percentile=1.0, search_start=1.0, search_end=1.005, search_step=0.01
    )
    r = ifmr(x, one)
    assert r.scale == f32(1.0) / f32(127) and r.offset == 0 and r.index == 0
    r = ifmr(x, IfmrParams(**{**one.__dict__, "asymmetric": True}))
    assert r.scale == f32(2.0) / f32(255) and r.offset == -round(-1.0 / float(f32(2.0) / f32(255))) - 128


def test_ifmr_picks_the_first_minimum_of_the_loss() -> None:
    rng = np.random.default_rng(1)
    x = rng.laplace(size=20_000).astype(np.float32)
    params = IfmrParams()
    r = ifmr(x, params)
    # brute force, in the plainest form
    k = quant.percentile_rank(x.size, params.max_percentile)
    top = np.sort(x)[::-1][k - 1]
    bottom = np.sort(x)[k - 1]
    bound = f32(max(abs(top), abs(bottom)))
    limit = 128 if abs(top) < abs(bottom) else 127
    losses = []
    for ratio in quant.search_ratios(0.7, 1.3, 0.01):
        c = f32(ratio * bound)
        s = f32(c / f32(limit))
        q = np.rint(np.clip(x, -c, c) / s) * s
        losses.append(float(np.mean((q - x).astype(np.float64) ** 2)))
    assert r.index == int(np.argmin(losses))
    np.testing.assert_allclose(r.losses, losses, rtol=1e-6)


@pytest.mark.parametrize("asymmetric", [False, True])
@pytest.mark.parametrize("kind", ["relu", "normal", "laplace", "constant", "zeros", "negative"])
def test_streaming_matches_exact(kind: str, asymmetric: bool) -> None:
    rng = np.random.default_rng(7)
    n = 300_000
    x = {
        "relu": np.maximum(rng.normal(size=n), 0),
        "normal": rng.normal(0.5, 3, size=n),
        "laplace": rng.laplace(size=n),
        "constant": np.full(n, 0.75),
        "zeros": np.zeros(n),
        "negative": -np.abs(rng.normal(size=n)),
    }[kind].astype(np.float32)
    params = IfmrParams(asymmetric=asymmetric)
    exact = ifmr(x, params)
    stream = IfmrStream(params, expected=n)
    for part in np.array_split(x, 7):
        stream.update(part)
    approx = stream.result()
    assert (approx.max_value, approx.min_value) == (exact.max_value, exact.min_value)
    assert not approx.exact and approx.count == n
    # the histogram loss follows the exact one closely; the choice is the same here
    np.testing.assert_allclose(approx.losses, exact.losses, rtol=2e-3, atol=1e-12)
    assert (approx.scale, approx.offset) == (exact.scale, exact.offset)


def test_stream_exact_mode_equals_ifmr() -> None:
    x = np.random.default_rng(3).normal(size=50_000).astype(np.float32)
    s = IfmrStream(IfmrParams(asymmetric=True), exact=True)
    for part in np.array_split(x, 5):
        s.update(part)
    a, b = s.result(), ifmr(x, IfmrParams(asymmetric=True))
    assert (a.scale, a.offset, a.index, a.exact) == (b.scale, b.offset, b.index, True)


def test_streaming_top_k_when_the_run_is_longer_than_expected() -> None:
    x = np.random.default_rng(5).normal(size=4_000_000).astype(np.float32)
    s = IfmrStream(IfmrParams(), expected=1_000_000)  # k from the expected count
    for part in np.array_split(x, 4):
        s.update(part)
    r = s.result()
    k = quant.percentile_rank(x.size, 0.999999)
    assert r.max_value == np.sort(x)[-min(k, s.top.values.size)]  # type: ignore[union-attr]


@pytest.mark.parametrize("asymmetric", [False, True])
@pytest.mark.parametrize("kind", ["relu6", "heavy tails"])
def test_streaming_with_a_subsampled_histogram(kind: str, asymmetric: bool) -> None:
    """Batches beyond 2^18 values: the bulk of the histogram is a 1-in-s subsample; the tails, the
    percentiles and the point mass of a saturated ReLU6 stay exact."""
    rng = np.random.default_rng(11)
    n = 2_400_000
    x = (np.clip(rng.normal(1.5, 2.0, n), 0, 6) if kind == "relu6" else rng.standard_t(3, n)).astype(
        np.float32
    )
    params = IfmrParams(asymmetric=asymmetric)
    exact = ifmr(x, params)
    stream = IfmrStream(params, expected=n)
    for part in np.array_split(x, 3):
        stream.update(part)
    approx = stream.result()
    assert (approx.max_value, approx.min_value) == (exact.max_value, exact.min_value)
    np.testing.assert_allclose(approx.losses, exact.losses, rtol=5e-3)
    assert abs(approx.index - exact.index) <= 1
