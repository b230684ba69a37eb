"""Quantization arithmetic as AMCT computes it (executor.md §3, §4, §8), in numpy.

Stable API, shared by the PTQ and distillation executors:

- `int_bounds(bits)`, `FLT_EPSILON`, `config_float(x)`
- `quantize(x, scale, offset, bits, axis)`, `dequantize(q, scale, offset, axis)`,
  `fake_quantize(...)`: ONNX QuantizeLinear / DequantizeLinear semantics, round half to even
- `scale_offset(max, min, asymmetric=..., bits=...)`: min/max -> (float32 scale, int32 offset)
  with the 127-vs-128 rule and the epsilon rule
- `arq(weight, channel_wise=..., asymmetric=..., bits=...) -> WeightQuant`
- `IfmrParams`, `search_ratios(start, end, step)`, `percentile_rank(n, p)`
- `ifmr(data, params) -> ActQuant`: AMCT's exact search over all values in memory
- `IfmrStream(params, exact=False)`: the same search fed batch by batch; by default in bounded
  memory (exact order statistics, loss from a log-linear histogram), `exact=True` keeps every value
  and runs `ifmr` at the end.
- `HfmgStream(bins, asymmetric=..., bits=...)`: AMCT's HFMG (histogram merging), batch by batch.
- Every stream has `update(batch)` and `result() -> ActQuant`; `update` raises ValueError on NaN/inf.

All scales are float32 and all offsets int32, computed in float32 in AMCT's order of operations,
so the numbers equal AMCT's record to the last bit where the inputs do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

FLT_EPSILON = float(np.finfo(np.float32).eps)  # 1.1920929e-07: smaller scales become 1


def int_bounds(bits: int) -> tuple[int, int]:
    """The signed integer range of `bits` bits: (-2^(b-1), 2^(b-1) - 1)."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def config_float(x: float) -> float:
    """A float config value as AMCT's Python reads it: the float32 protobuf stores, printed
    shortest (0.999999 stays 0.999999, not 0.99999898672...)."""
    return float(str(np.float32(x)))


def _along(v: np.ndarray | float, ndim: int, axis: int | None) -> np.ndarray:
    """A per-axis vector shaped to broadcast against an ndim-D array along `axis`."""
    arr = np.asarray(v)
    if axis is None or arr.ndim == 0 or arr.size == 1:
        return arr.reshape(()) if arr.size == 1 else arr
    shape = [1] * ndim
    shape[axis] = arr.size
    return arr.reshape(shape)


def quantize(
    x: np.ndarray,
    scale: np.ndarray | float,
    offset: np.ndarray | int = 0,
    *,
    bits: int = 8,
    axis: int | None = None,
) -> np.ndarray:
    """q = clamp(round(x / scale) + offset) (round half to even), as int32: ONNX QuantizeLinear."""
    x = np.asarray(x, dtype=np.float32)
    s = _along(np.asarray(scale, dtype=np.float32), x.ndim, axis)
    o = _along(np.asarray(offset, dtype=np.float32), x.ndim, axis)
    lo, hi = int_bounds(bits)
    return np.clip(np.rint(x / s) + o, lo, hi).astype(np.int32)


def dequantize(
    q: np.ndarray, scale: np.ndarray | float, offset: np.ndarray | int = 0, *, axis: int | None = None
) -> np.ndarray:
    """x' = (q - offset) * scale, in float32."""
    q = np.asarray(q)
    s = _along(np.asarray(scale, dtype=np.float32), q.ndim, axis)
    o = _along(np.asarray(offset, dtype=np.float32), q.ndim, axis)
    return ((q.astype(np.float32) - o) * s).astype(np.float32)


def fake_quantize(
    x: np.ndarray,
    scale: np.ndarray | float,
    offset: np.ndarray | int = 0,
    *,
    bits: int = 8,
    axis: int | None = None,
) -> np.ndarray:
    """dequantize(quantize(x)): the value the quantized model computes with."""
    return dequantize(quantize(x, scale, offset, bits=bits, axis=axis), scale, offset, axis=axis)


def apply_epsilon(
    scale: np.ndarray, offset: np.ndarray, *, asymmetric: bool, bits: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """A scale below FLT_EPSILON becomes 1 (asymmetric: its offset becomes -2^(b-1))."""
    scale = np.asarray(scale, dtype=np.float32)
    offset = np.asarray(offset)
    tiny = scale < FLT_EPSILON
    if asymmetric:
        offset = np.where(tiny, np.asarray(int_bounds(bits)[0], dtype=offset.dtype), offset)
    return np.where(tiny, np.float32(1.0), scale).astype(np.float32), offset


def scale_offset(
    data_max: np.ndarray | float, data_min: np.ndarray | float, *, asymmetric: bool, bits: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """(scale, offset) from a range, elementwise over arrays of maxima and minima.

    Asymmetric: the range is widened to hold 0, scale = (max - min) / (2^b - 1),
    offset = round(-2^(b-1) - min / scale). Symmetric: scale = max(|max|, |min|) / (2^(b-1) - 1), or
    / 2^(b-1) when the negative side is the larger, offset 0. Then the epsilon rule."""
    mx = np.asarray(data_max, dtype=np.float32)
    mn = np.asarray(data_min, dtype=np.float32)
    half = 1 << (bits - 1)
    if asymmetric:
        mx = np.maximum(mx, np.float32(0))
        mn = np.minimum(mn, np.float32(0))
        steps = (1 << bits) - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = ((mx - mn) / np.float32(steps)).astype(np.float32)
            raw = np.where(mx != mn, np.float32(-half) - mn / scale, np.float32(-half))
        offset_f = raw.astype(np.float32)
        scale, offset_f = apply_epsilon(scale, offset_f, asymmetric=True, bits=bits)
    else:
        negative = np.abs(mx) < np.abs(mn)
        bound = np.where(np.abs(mx) > np.abs(mn), np.abs(mx), np.abs(mn)).astype(np.float32)
        limit = np.where(negative, np.float32(half), np.float32(half - 1)).astype(np.float32)
        scale = (bound / limit).astype(np.float32)
        scale, offset_f = apply_epsilon(scale, np.zeros_like(scale), asymmetric=False, bits=bits)
    return scale, np.rint(offset_f).astype(np.int32)


# -- ARQ: weights ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightQuant:
    """A quantized weight: `q` has the weight's shape; scale/offset one per row of the [C, -1] view
    (channel_wise) or one for the tensor."""

    q: np.ndarray  # int32 values in the integer range
    scale: np.ndarray  # float32, shape [C] or [1]
    offset: np.ndarray  # int32, same shape as scale
    channel_wise: bool
    bits: int = 8

    def dequantized(self) -> np.ndarray:
        """q * scale (minus offset), in float32: the weight the fake-quant model computes with."""
        rows = self.q.reshape(self.q.shape[0], -1).astype(np.float32)
        s = self.scale.reshape(-1, 1) if self.channel_wise else self.scale.reshape(())
        o = (
            self.offset.astype(np.float32).reshape(-1, 1)
            if self.channel_wise
            else self.offset.astype(np.float32).reshape(())
        )
        return ((rows - o) * s).astype(np.float32).reshape(self.q.shape)


def arq(weight: np.ndarray, *, channel_wise: bool, asymmetric: bool = False, bits: int = 8) -> WeightQuant:
    """AMCT's ARQ: the weight (output channels first) reshaped to [C, -1]; one (min, max) per row when
    channel_wise, else one for the tensor; `scale_offset` on it; q = clamp(round(w / s + o)) (AMCT adds
    the offset before rounding; it differs from `quantize` only on exact halves with an odd offset)."""
    w = np.asarray(weight, dtype=np.float32)
    rows = w.reshape(w.shape[0], -1)
    if channel_wise:
        mx, mn = rows.max(axis=1), rows.min(axis=1)
    else:
        mx, mn = rows.max().reshape(1), rows.min().reshape(1)
    scale, offset = scale_offset(mx, mn, asymmetric=asymmetric, bits=bits)
    s = scale.reshape(-1, 1) if channel_wise else scale.reshape(())
    o = offset.astype(np.float32).reshape(-1, 1) if channel_wise else offset.astype(np.float32).reshape(())
    lo, hi = int_bounds(bits)
    q = np.clip(np.rint(rows / s + o), lo, hi).astype(np.int32).reshape(w.shape)
    return WeightQuant(q, scale.reshape(-1), offset.reshape(-1), channel_wise, bits)


# -- IFMR: activations ------------------------------------------------------------------------------
@dataclass(frozen=True)
class IfmrParams:
    """The fields of ifmr_quantize, as the Python doubles AMCT reads (see `config_float`)."""

    max_percentile: float = 0.999999
    min_percentile: float = 0.999999
    search_start: float = 0.7
    search_end: float = 1.3
    search_step: float = 0.01
    asymmetric: bool = False
    bits: int = 8


@dataclass
class ActQuant:
    """An activation's quantization: what goes into the record, and how the search went."""

    scale: float  # a float32 value
    offset: int
    clip_max: float  # the chosen candidate (the max side of the range)
    clip_min: float  # the min side: min_value (asymmetric) or -clip_max
    max_value: float = 0.0  # the percentile values the search started from
    min_value: float = 0.0
    index: int = 0  # the chosen candidate
    losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    count: int = 0  # values seen
    exact: bool = True  # computed from every value (False: the loss from a histogram)


def search_ratios(start: float, end: float, step: float) -> np.ndarray:
    """The candidate ratios `arange(start, end, step)` in float32, half-open: the count is
    ceil((end - start) / step) in double, as torch.arange computes it (61 for 0.7..1.3 by 0.01)."""
    count = max(0, math.ceil((end - start) / step))
    return (start + step * np.arange(count, dtype=np.float64)).astype(np.float32)


def percentile_rank(n: int, p: float) -> int:
    """Which order statistic the percentile takes: 1 when 1 - p < FLT_EPSILON, else n - int(p·n)."""
    if 1.0 - p < FLT_EPSILON:
        return 1
    return max(1, n - int(p * n))


def _candidates(
    max_value: np.float32, min_value: np.float32, params: IfmrParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(max candidates, min side per candidate, scales), float32, as AMCT forms them."""
    bits = params.bits
    ratios = search_ratios(params.search_start, params.search_end, params.search_step)
    if params.asymmetric:
        cands = (ratios * max_value).astype(np.float32)
        scales = ((cands - min_value) / np.float32((1 << bits) - 1)).astype(np.float32)
        lows = np.full_like(cands, min_value)
    else:
        negative = abs(max_value) < abs(min_value)
        bound = np.float32(max(abs(max_value), abs(min_value)))
        cands = (ratios * bound).astype(np.float32)
        limit = (1 << (bits - 1)) if negative else (1 << (bits - 1)) - 1
        scales = (cands / np.float32(limit)).astype(np.float32)
        lows = (-cands).astype(np.float32)
    scales = np.where(scales < FLT_EPSILON, np.float32(1.0), scales).astype(np.float32)
    return cands, lows, scales


def _finish(
    index: int,
    cands: np.ndarray,
    lows: np.ndarray,
    scales: np.ndarray,
    losses: np.ndarray,
    max_value: np.float32,
    min_value: np.float32,
    params: IfmrParams,
    count: int,
    exact: bool,
) -> ActQuant:
    scale = np.float32(scales[index])
    if params.asymmetric:
        offset = int(-np.rint(np.float32(min_value) / scale) - (1 << (params.bits - 1)))
    else:
        offset = 0
    return ActQuant(
        float(scale),
        offset,
        float(cands[index]),
        float(lows[index]),
        float(max_value),
        float(min_value),
        index,
        losses,
        count,
        exact,
    )


_CHUNK = 1 << 20  # values per block of the exact loss (bounds the temporaries)


def ifmr(data: np.ndarray, params: IfmrParams) -> ActQuant:
    """AMCT's IFMR on all values at once (executor.md §3, §8.5-8.7)."""
    x = np.ascontiguousarray(data, dtype=np.float32).reshape(-1)
    n = x.size
    if n == 0:
        raise ValueError("IFMR needs at least one value")
    k_max = percentile_rank(n, params.max_percentile)
    k_min = percentile_rank(n, params.min_percentile)
    max_value = np.float32(np.partition(x, n - k_max)[n - k_max]) if k_max > 1 else np.float32(x.max())
    min_value = np.float32(np.partition(x, k_min - 1)[k_min - 1]) if k_min > 1 else np.float32(x.min())
    max_value = np.float32(max(max_value, np.float32(0)))
    min_value = np.float32(min(min_value, np.float32(0)))
    cands, lows, scales = _candidates(max_value, min_value, params)
    sums = np.zeros(cands.size, dtype=np.float64)
    for start in range(0, n, _CHUNK):
        block = x[start : start + _CHUNK]
        for i in range(cands.size):
            q = np.rint(np.clip(block, lows[i], cands[i]) / scales[i]) * scales[i]
            d = q - block
            sums[i] += float(np.dot(d, d))
    losses = sums / n
    return _finish(int(np.argmin(losses)), cands, lows, scales, losses, max_value, min_value, params, n, True)


# -- IFMR in bounded memory -------------------------------------------------------------------------
_MANTISSA_BITS = 9  # log-linear bins: 2^9 per octave, 0.2 % wide
_SHIFT = 23 - _MANTISSA_BITS
_NBINS = 1 << (32 - _SHIFT)
_SIGN_KEY = 1 << (31 - _SHIFT)


def _bin_edges() -> tuple[np.ndarray, np.ndarray]:
    """Signed value range [lo, hi] of every histogram key (a float32 bit pattern >> _SHIFT)."""
    keys = np.arange(_NBINS, dtype=np.uint64)
    low_bits = (keys << np.uint64(_SHIFT)).astype(np.uint32)
    high_bits = (low_bits.astype(np.uint64) + (1 << _SHIFT) - 1).astype(np.uint32)
    with np.errstate(invalid="ignore"):  # the NaN patterns: never filled (inputs are checked finite)
        a = low_bits.view(np.float32).astype(np.float64)
        b = high_bits.view(np.float32).astype(np.float64)
    lo = np.where(keys >= _SIGN_KEY, b, a)  # negative keys: the magnitude grows with the bits
    hi = np.where(keys >= _SIGN_KEY, a, b)
    return lo, hi


_EDGES: tuple[np.ndarray, np.ndarray] | None = None


def _edges() -> tuple[np.ndarray, np.ndarray]:
    global _EDGES
    if _EDGES is None:
        _EDGES = _bin_edges()
    return _EDGES


class _Extreme:
    """The k largest (or smallest) values seen so far, exactly, and how often the most extreme one
    occurs. Once k values are held, only values strictly beyond the k-th are looked at (one equal
    to it leaves the k extreme values unchanged)."""

    def __init__(self, k: int, largest: bool) -> None:
        self.k = k
        self.largest = largest
        self.values = np.empty(0, dtype=np.float32)  # sorted, the extreme end last
        self.peak = np.float32(0)
        self.peak_count = 0

    @property
    def full(self) -> bool:
        return self.values.size >= self.k

    @property
    def threshold(self) -> np.float32:
        """The k-th most extreme value so far (only grows towards the extreme)."""
        return np.float32(self.values[0])

    def _beyond(self, x: np.ndarray, t: np.float32) -> np.ndarray:
        return x[x > t] if self.largest else x[x < t]

    def _first(self, x: np.ndarray) -> np.ndarray:
        """The k most extreme values of a first batch, without sorting all of it: a threshold from a
        subsample, then every value beyond it (exact; all of x when the guess falls short)."""
        k = self.k
        if x.size <= 4 * k + 4096:
            return x
        step = max(1, x.size // 65536)
        sample = x[::step]
        r = min(sample.size, k // step + 16)
        t = np.float32(
            np.partition(sample, sample.size - r)[sample.size - r]
            if self.largest
            else np.partition(sample, r - 1)[r - 1]
        )
        sel = self._beyond(x, t)
        if sel.size >= k:
            return sel
        ties = int(np.count_nonzero(x == t))
        if sel.size + ties >= k:
            return np.concatenate([sel, np.full(k - sel.size, t, np.float32)])
        return x

    def update(
        self, x: np.ndarray, extreme: np.float32, subset: np.ndarray | None = None
    ) -> tuple[np.float32, int] | None:
        """Add a batch whose most extreme value (max or min) is `extreme`. `subset`, when given, holds
        every value of x beyond the current threshold. Returns the previous peak and its count when
        the batch goes beyond it."""
        dropped = None
        if self.values.size == 0 or (extreme > self.peak if self.largest else extreme < self.peak):
            dropped = (self.peak, self.peak_count) if self.peak_count else None
            self.peak, self.peak_count = extreme, 0
        if self.full:
            t = self.threshold
            if not (extreme > t if self.largest else extreme < t):
                sel = x[:0]
            else:
                sel = self._beyond(subset if subset is not None else x, t)
            if extreme == self.peak and extreme != 0:  # zeros are counted by the histogram already
                where = sel if extreme != t else x  # a saturated extreme: count it in the whole batch
                self.peak_count += int(np.count_nonzero(where == extreme))
            if sel.size == 0:
                return dropped
        else:
            sel = self._first(x)
            if extreme == self.peak and extreme != 0:
                self.peak_count += int(np.count_nonzero(x == extreme))
        merged = np.concatenate([self.values, sel])
        if merged.size > self.k:
            cut = merged.size - self.k
            merged = (
                np.partition(merged, cut)[cut:]
                if self.largest
                else np.partition(merged, self.k - 1)[: self.k]
            )
        merged = np.sort(merged)
        self.values = merged if self.largest else merged[::-1].copy()
        return dropped

    def kth(self, k: int) -> np.float32:
        """The k-th most extreme value held."""
        return np.float32(self.values[self.values.size - k])


_SAMPLE = 1 << 18  # histogram values per tensor and batch, at least (a 1-in-s subsample beyond)


class IfmrStream:
    """IFMR fed one batch at a time.

    `exact=True` keeps every value and runs `ifmr` at the end (AMCT's own memory profile). The
    default keeps, per tensor:
    - the exact top-k and bottom-k values, so max_value and min_value are AMCT's exactly;
    - the exact count of values equal to the running maximum and minimum (point masses such as
      ReLU6's 6.0 that a histogram would smear);
    - a 2^18-key log-linear histogram (0.2 % wide bins) of a deterministic 1-in-s subsample
      (s odd, at least `sample` values per batch; `sample=None`: every value).
    The loss of each candidate is then integrated over the histogram with values spread evenly
    within a bin, so only the choice among near-equal candidates can differ from the exact search.
    `expected` is the total count when known ahead: it sizes the top-k buffers (a longer run keeps
    its percentiles exact as long as the buffers hold the rank it needs)."""

    def __init__(
        self,
        params: IfmrParams,
        *,
        exact: bool = False,
        expected: int | None = None,
        sample: int | None = _SAMPLE,
    ) -> None:
        self.params = params
        self.exact = exact
        self.sample = sample
        self.count = 0
        self.chunks: list[np.ndarray] = []
        self.hist: np.ndarray | None = None
        self.expected = expected
        self.top: _Extreme | None = None
        self.bottom: _Extreme | None = None

    def _rank_bound(self, n: int) -> tuple[int, int]:
        p = self.params
        return percentile_rank(n, p.max_percentile), percentile_rank(n, p.min_percentile)

    def update(self, batch: np.ndarray) -> None:
        x = np.ascontiguousarray(batch, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return
        self.count += x.size
        if self.exact:
            self.chunks.append(x.copy())
            return
        if self.top is None or self.bottom is None:
            # the buffers must hold the rank the final count needs: size them for the expected
            # count, else generously for 64 batches like this one
            k_hi, k_lo = self._rank_bound(self.expected or 64 * x.size)
            self.top, self.bottom = _Extreme(k_hi, True), _Extreme(k_lo, False)
        hi, lo = x.max(), x.min()
        if not (np.isfinite(hi) and np.isfinite(lo)):
            raise ValueError("the values hold NaN or infinity")
        stride = 1 if self.sample is None else max(1, x.size // self.sample)
        if stride == 1:
            self._extremes(x, hi, lo, None, None)
            self._count(self._drop_peaks(x), 1)
            return
        stride |= 1  # odd: the subsample walks through every channel
        # The tails decide the clipping loss and are rare: count them all, from beyond a border under
        # every candidate's clip (>= search_start of the final max_value, which the k-th extreme so
        # far only approaches from below; a first batch takes its own max as the guess).
        edge = np.float32(0.9 * self.params.search_start)
        top_ref = self.top.threshold if self.top.full else hi
        bottom_ref = self.bottom.threshold if self.bottom.full else lo
        t_hi = edge * max(top_ref, np.float32(0))
        t_lo = edge * min(bottom_ref, np.float32(0))
        mask = x > t_hi
        if t_lo < 0:
            mask |= x < t_lo
        tail = x[mask]
        # the tail holds every value beyond the k-th extremes whenever those lie past the borders
        up = tail if self.top.full and self.top.threshold >= t_hi and t_hi > 0 else None
        down = tail if self.bottom.full and self.bottom.threshold <= t_lo < 0 else None
        self._extremes(x, hi, lo, up, down)
        self._count(self._drop_peaks(tail), 1)
        sub = x[::stride]
        self._count(self._drop_peaks(sub[~mask[::stride]]), stride)

    def _extremes(
        self, x: np.ndarray, hi: np.float32, lo: np.float32, up: np.ndarray | None, down: np.ndarray | None
    ) -> None:
        assert self.top is not None and self.bottom is not None
        for side, extreme, subset in ((self.top, hi, up), (self.bottom, lo, down)):
            dropped = side.update(x, extreme, subset)
            if dropped is not None:  # no longer the extreme: its values join the histogram
                self._count(np.full(1, dropped[0], np.float32), dropped[1])

    def _drop_peaks(self, x: np.ndarray) -> np.ndarray:
        """x without the values equal to the running max and min (nonzero ones): those are counted
        exactly as point masses, like ReLU6's 6.0, which a histogram would smear."""
        assert self.top is not None and self.bottom is not None
        p_hi, p_lo = self.top.peak, self.bottom.peak
        if p_hi != 0 and p_lo != 0:
            return x[(x != p_hi) & (x != p_lo)]
        if p_hi != 0:
            return x[x != p_hi]
        if p_lo != 0:
            return x[x != p_lo]
        return x

    def _count(self, x: np.ndarray, weight: int | float) -> None:
        if self.hist is None:
            self.hist = np.zeros(_NBINS, dtype=np.int64)
        keys = np.right_shift(x.view(np.uint32), _SHIFT)
        if keys.size < 1 << 15:  # few values: no pass over all 2^18 keys
            np.add.at(self.hist, keys, int(weight))
            return
        counts = np.bincount(keys, minlength=_NBINS)
        if weight != 1:
            counts *= int(weight)
        self.hist += counts

    def result(self) -> ActQuant:
        if self.count == 0:
            raise ValueError("IFMR saw no values")
        if self.exact:
            data = np.concatenate(self.chunks) if len(self.chunks) > 1 else self.chunks[0]
            return ifmr(data, self.params)
        assert self.top is not None and self.bottom is not None
        hist = self.hist if self.hist is not None else np.zeros(_NBINS, dtype=np.int64)
        k_hi, k_lo = self._rank_bound(self.count)
        k_hi, k_lo = min(k_hi, self.top.values.size), min(k_lo, self.bottom.values.size)
        max_value = np.float32(max(self.top.kth(k_hi), np.float32(0)))
        min_value = np.float32(min(self.bottom.kth(k_lo), np.float32(0)))
        cands, lows, scales = _candidates(max_value, min_value, self.params)
        peaks = [(float(e.peak), float(e.peak_count)) for e in (self.top, self.bottom) if e.peak != 0]
        if len(peaks) == 2 and peaks[0][0] == peaks[1][0]:
            peaks = peaks[:1]  # constant data: one point
        losses = histogram_losses(hist, cands, lows, scales, peaks)
        index = int(np.argmin(losses))
        return _finish(
            index, cands, lows, scales, losses, max_value, min_value, self.params, self.count, False
        )


def _cube(x: np.ndarray) -> np.ndarray:
    return x * x * x


def _sawtooth_integral(t: np.ndarray) -> np.ndarray:
    """G(t) = integral from -1/2 to t of (u - round(u))^2 du (period integral 1/12)."""
    v = t + 0.5
    n = np.floor(v)
    return n / 12.0 + (_cube(v - n - 0.5) + 0.125) / 3.0


def _const_integral(p: np.ndarray, q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """integral over [p, q] of (v - x)^2 dx (zero where q <= p)."""
    return np.where(q > p, (_cube(q - v) - _cube(p - v)) / 3.0, 0.0)


def _point_error(x: float, cands: np.ndarray, lows: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """(round(clamp(x, low, cand) / s) · s - x)^2 per candidate, in float32 as the exact search."""
    v = np.float32(x)
    q = np.rint(np.clip(v, lows, cands) / scales) * scales
    return ((q - v).astype(np.float64)) ** 2


def histogram_losses(
    hist: np.ndarray,
    cands: np.ndarray,
    lows: np.ndarray,
    scales: np.ndarray,
    points: Sequence[tuple[float, float]] = (),
) -> np.ndarray:
    """Mean over the values of (round(clamp(x, low, cand) / s) · s - x)^2 per candidate, from a
    log-linear histogram (`IfmrStream`), values spread evenly within each bin, plus `points`
    ((value, count) point masses, not in the histogram, counted exactly).

    Values too small to round away from zero under every candidate (|x| < min(s)/2, also when they
    are clipped, since the clip value then rounds to 0 too) contribute x^2 whatever the candidate:
    they are summed once, so the per-candidate work covers only the few octaves that matter."""
    lo_edges, hi_edges = _edges()
    hist = hist.astype(np.float64)
    total = float(hist.sum())
    point_sum = np.zeros(cands.size, dtype=np.float64)
    for value, count in points:
        total += count
        point_sum += count * _point_error(value, cands, lows, scales)
    keys = np.flatnonzero(hist)
    counts = hist[keys]
    a, b = lo_edges[keys], hi_edges[keys]
    zero = (a == 0.0) | (b == 0.0)
    s_min = float(scales.min())
    small = (np.maximum(np.abs(a), np.abs(b)) <= 0.5 * s_min) | zero
    mean_sq = np.where(zero, 0.0, (a * a + a * b + b * b) / 3.0)
    base = float(np.sum(counts[small] * mean_sq[small]))
    a, b, counts = _coarsen(a[~small], b[~small], counts[~small], s_min / 32)
    width = b - a
    s = scales.astype(np.float64).reshape(-1, 1)
    c = cands.astype(np.float64).reshape(-1, 1)
    low = lows.astype(np.float64).reshape(-1, 1)
    q_hi = np.rint(cands / scales).astype(np.float64).reshape(-1, 1) * s  # the clip values, quantized
    q_lo = np.rint(lows / scales).astype(np.float64).reshape(-1, 1) * s
    p_mid, q_mid = np.maximum(a, low), np.minimum(b, c)
    inside = np.where(
        q_mid > p_mid, s**3 * (_sawtooth_integral(q_mid / s) - _sawtooth_integral(p_mid / s)), 0.0
    )
    below = _const_integral(a, np.minimum(b, low), q_lo)
    above = _const_integral(np.maximum(a, c), b, q_hi)
    out = base + ((inside + below + above) / width) @ counts
    return (out + point_sum) / max(total, 1.0)


def _coarsen(
    a: np.ndarray, b: np.ndarray, counts: np.ndarray, cell: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bins narrower than `cell` merged onto a grid of that width (their values spread over the cell):
    at 1/32 of the smallest candidate step the loss barely changes, and the work shrinks to a few
    thousand bins whatever the data's range."""
    narrow = (b - a) < cell
    if not narrow.any() or cell <= 0:
        return a, b, counts
    index = np.floor((a[narrow] + b[narrow]) / (2 * cell))
    cells, inverse = np.unique(index, return_inverse=True)
    merged = np.bincount(inverse, weights=counts[narrow])
    return (
        np.concatenate([cells * cell, a[~narrow]]),
        np.concatenate([(cells + 1) * cell, b[~narrow]]),
        np.concatenate([merged, counts[~narrow]]),
    )


# -- HFMG: activations by histogram merging (calibration-onnx hfmg_quantize) --------------------------
def _histc(x: np.ndarray, bins: int, lo: np.float32, hi: np.float32) -> np.ndarray:
    """torch.histc: `bins` equal bins over [lo, hi], the max in the last bin (lo == hi widens by 1)."""
    if lo == hi:
        lo, hi = np.float32(lo - 1), np.float32(hi + 1)
    pos = ((x - lo) / (hi - lo) * np.float32(bins)).astype(np.int64)
    pos = np.clip(pos, 0, bins - 1)
    return np.bincount(pos, minlength=bins).astype(np.float64)


def _merge_into(
    old: np.ndarray, old_lo: np.float32, old_hi: np.float32, new: np.ndarray, lo: np.float32, hi: np.float32
) -> np.ndarray:
    """AMCT's hfmg_merge_inter: the old histogram's counts reallocated into the new range's bins,
    a bin that spans two new bins split in proportion (values assumed even within a bin)."""
    bins = old.size
    merged = new.copy()
    if abs(float(old_lo) - float(lo)) <= FLT_EPSILON and abs(float(old_hi) - float(hi)) <= FLT_EPSILON:
        return merged + old
    width = np.float32((hi - lo) / np.float32(bins))
    old_width = np.float32((old_hi - old_lo) / np.float32(bins))
    for i in np.flatnonzero(old):
        lower = np.float32(old_lo + np.float32(i) * old_width)
        upper = np.float32(old_lo + np.float32(i + 1) * old_width)
        i_low = int((lower - lo) // width)
        i_high = min(int((upper - lo) // width), bins - 1)
        count = old[i]
        if i_low == i_high:
            merged[i_low] += count
        else:
            boundary = np.float32(lo + np.float32(i_low + 1) * width)
            share = float((boundary - lower) / (upper - lower))
            low_part = float(int(count * share))
            merged[i_low] += low_part
            merged[i_high] += count - low_part
    return merged


class HfmgStream:
    """AMCT's HFMG: one `num_of_bins` histogram per tensor over the running [min, max], merged batch
    by batch; at the end the clip range whose merge into 2^b bins loses least (L2) gives the scale."""

    def __init__(self, bins: int = 4096, *, asymmetric: bool = False, bits: int = 8) -> None:
        self.bins = bins
        self.asymmetric = asymmetric
        self.bits = bits
        self.lo = np.float32(0)
        self.hi = np.float32(0)
        self.hist: np.ndarray | None = None
        self.count = 0

    def update(self, batch: np.ndarray) -> None:
        x = np.ascontiguousarray(batch, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return
        lo, hi = np.float32(x.min()), np.float32(x.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError("the values hold NaN or infinity")
        self.count += x.size
        if self.hist is None:
            self.lo, self.hi, self.hist = lo, hi, _histc(x, self.bins, lo, hi)
            return
        new_lo, new_hi = min(lo, self.lo), max(hi, self.hi)
        new = _histc(x, self.bins, new_lo, new_hi)
        self.hist = _merge_into(self.hist, self.lo, self.hi, new, new_lo, new_hi)
        self.lo, self.hi = new_lo, new_hi

    def result(self) -> ActQuant:
        if self.hist is None:
            raise ValueError("HFMG saw no values")
        left, right = _hfmg_best_range(self.hist, self.lo, self.hi, 1 << self.bits)
        width = np.float32((self.hi - self.lo) / np.float32(self.bins))
        clip_min = np.float32(self.lo + np.float32(left) * width)
        clip_max = np.float32(self.lo + np.float32(right + 1) * width)
        scale, offset = scale_offset(clip_max, clip_min, asymmetric=self.asymmetric, bits=self.bits)
        return ActQuant(
            float(scale),
            int(offset),
            float(clip_max),
            float(clip_min),
            float(self.hi),
            float(self.lo),
            0,
            np.zeros(0),
            self.count,
            True,
        )


def _hfmg_search_ranges(hist: np.ndarray) -> list[tuple[int, int]]:
    """AMCT's hfmg_get_search_range: shrink [left, right] from the side holding fewer values, by
    steps of about 1/100000 of the values, down to a quarter of the bins."""
    ranges: list[tuple[int, int]] = []
    left, right = 0, hist.size - 1
    step = max(math.ceil(float(hist.sum()) / 100000), 1)
    min_bins = math.ceil(hist.size / 4)
    while right - left > min_bins:
        t_left, t_right = left, right
        left_sum = right_sum = 0.0
        while t_left < t_right and left_sum < step:
            left_sum += hist[t_left]
            t_left += 1
        while t_left < t_right and right_sum < step:
            right_sum += hist[t_right]
            t_right -= 1
        if (right - t_right) >= (t_left - left):
            right = t_right
        else:
            left = t_left
        ranges.append((left, right))
    return ranges


def _hfmg_norm(begin: np.ndarray, end: np.ndarray, density: np.ndarray) -> np.ndarray:
    return (end**3 - begin**3) / 3 * density


def _hfmg_best_range(hist: np.ndarray, lo: np.float32, hi: np.float32, dst_bins: int) -> tuple[int, int]:
    """The search range with the least L2 loss of merging into `dst_bins` (AMCT's hfmg_calculate_loss)."""
    ranges = _hfmg_search_ranges(hist)
    if not ranges:
        return 0, hist.size - 1
    n = hist.size
    width = np.float32((hi - lo) / np.float32(n))
    r = np.asarray(ranges, dtype=np.float32)
    density = (hist.astype(np.float32) / width).reshape(-1, 1)
    losses = [_hfmg_losses(r[i : i + 256], n, width, density, dst_bins) for i in range(0, len(r), 256)]
    best = int(np.argmin(np.concatenate(losses)))
    return int(r[best, 0]), int(r[best, 1])


def _hfmg_losses(r: np.ndarray, n: int, width: np.float32, density: np.ndarray, dst_bins: int) -> np.ndarray:
    lefts, rights = r[:, 0], r[:, 1]
    dst_width = (width * (rights - lefts + 1) / np.float32(dst_bins)).astype(np.float32)
    begins = (np.arange(n, dtype=np.float32).reshape(-1, 1) - lefts) * width
    ends = begins + width
    b_idx = np.minimum(np.float32(dst_bins - 1), np.maximum(np.floor(begins / dst_width), 0))
    e_idx = np.minimum(np.float32(dst_bins - 1), np.maximum(np.floor(ends / dst_width), 0))
    half = np.broadcast_to(dst_width / 2, begins.shape)
    centre = b_idx * dst_width + half
    same, diff = b_idx == e_idx, b_idx != e_idx
    loss = _hfmg_norm((begins - centre) * same, (ends - centre) * same, density * same).sum(axis=0)
    loss += _hfmg_norm((begins - centre) * diff, half * diff, density * diff).sum(axis=0)
    mids = (e_idx - b_idx) * diff - 1
    loss += (mids * _hfmg_norm(-half * diff, half * diff, density * diff)).sum(axis=0)
    right_delta = (ends - e_idx * dst_width - half) * diff
    loss += _hfmg_norm(-half * diff, right_delta, density * diff).sum(axis=0)
    return np.where(dst_width < FLT_EPSILON, np.float32(0.0), loss)
