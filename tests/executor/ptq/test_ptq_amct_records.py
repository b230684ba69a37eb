"""Fidelity to AMCT itself: `run --exact` on the ONNX exports of small torch models gives the record
AMCT's own PyTorch PTQ wrote for them (scale_d, scale_w to 1e-5 relative, offsets exact).

The fixtures (tests/executor/ptq/fixtures/amct/<case>/) hold the ONNX export, the calibration
samples, both configs and AMCT's numbers; `tools/amct_ptq_oracle.py --amct PATH` re-derives them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from amct_lang.analysis import analyze
from amct_lang.executor.ptq import quantize
from amct_lang.executor.record import read_record

FIXTURES = Path(__file__).parent / "fixtures" / "amct"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "record.json").exists())


def amct_record(case: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return json.loads((FIXTURES / case / "record.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def run(case: str, exact: bool) -> dict:  # type: ignore[type-arg]
    folder = FIXTURES / case
    return quantize(
        folder / "onnx.cfg", folder / "model.onnx", data=folder / "calib.npz", batch_size=4, exact=exact
    ).record  # type: ignore[return-value]


def test_cases_cover_the_asked_variants() -> None:
    texts = {c: (FIXTURES / c / "amct.cfg").read_text() for c in CASES}
    assert any("activation_offset: false" in t for t in texts.values())  # symmetric activations
    assert any("activation_offset" not in t and "asymmetric" not in t for t in texts.values())  # asymmetric
    assert any("channel_wise: false" in t for t in texts.values())
    types = set()
    for c in CASES:
        record = amct_record(c)
        types |= {len(v["scale_w"]) > 1 for v in record.values()}
    assert types == {True, False}


@pytest.mark.parametrize("case", CASES)
def test_exact_record_equals_amct(case: str) -> None:
    want = amct_record(case)
    got = run(case, exact=True)
    assert set(got) == set(want)
    for key, expected in want.items():
        rec = got[key]
        if expected["scale_d"] is None:
            assert rec.scale_d is None
        else:
            assert rec.scale_d == pytest.approx(expected["scale_d"], rel=1e-5), key
            assert rec.offset_d == expected["offset_d"], key
        assert len(rec.scale_w) == len(expected["scale_w"]), key
        np.testing.assert_allclose(rec.scale_w, expected["scale_w"], rtol=1e-5, err_msg=key)
        assert list(rec.offset_w) == expected["offset_w"], key


@pytest.mark.parametrize("case", CASES)
def test_streaming_record_is_close_to_amct(case: str) -> None:
    """The default (bounded memory) search: weights and offsets after ReLU exact, each scale_d within
    one candidate step of AMCT's."""
    want = amct_record(case)
    got = run(case, exact=False)
    for key, expected in want.items():
        np.testing.assert_allclose(got[key].scale_w, expected["scale_w"], rtol=1e-5)
        if expected["scale_d"] is not None:
            assert got[key].scale_d == pytest.approx(expected["scale_d"], rel=0.03), key


@pytest.mark.parametrize("case", CASES[:1])
def test_record_text_passes_the_record_dialect(case: str) -> None:
    folder = FIXTURES / case
    result = quantize(
        folder / "onnx.cfg", folder / "model.onnx", data=folder / "calib.npz", batch_size=4, exact=True
    )
    analysis = analyze(result.record_text, "record")
    assert not analysis.diagnostics
    assert read_record(result.record_text).keys() == result.record.keys()
