"""Accuracy on a real task: a CNN with BatchNorm trained here on scikit-learn's digits, then
distilled to INT8 and to INT4 (weights and activations), against its float accuracy and against
INT4 post-training quantization of the same model (the student straight after calibration: IFMR
clips, ARQ weights, no training step)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import pytest

torch = pytest.importorskip("torch", reason="the distillation executor needs torch (pip install torch)")
datasets = pytest.importorskip("sklearn.datasets", reason="the digits data ship with scikit-learn")

from torch import nn  # noqa: E402

from amct_lang.executor.distill.api import distill  # noqa: E402
from amct_lang.executor.distill.run import prepare  # noqa: E402
from amct_lang.executor.distill.student import build_student, calibrate  # noqa: E402

INT8 = """batch_num: 2
distill_data_quant_config { ulq_quantize { dst_type: INT8 } }
distill_weight_quant_config { arq_distill { dst_type: INT8 } }
"""
INT4 = """batch_num: 2
distill_data_quant_config { ulq_quantize { dst_type: INT4 } }
distill_weight_quant_config { arq_distill { dst_type: INT4 } }
"""
SEED = 0
TRAIN = 1300  # of 1797 digits; the other 497 are the test set


class DigitsNet(nn.Module):
    """Six narrow conv-BN-ReLU layers and a linear head: small enough that 4 bits cost accuracy."""

    def __init__(self, width: int = 4, depth: int = 6) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 1
        for _ in range(depth):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
            channels = width
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(width * 64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.body(x), 1))


@contextmanager
def _one_thread() -> Iterator[None]:
    """Single-threaded kernels: the same sums in the same order on every machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@lru_cache(maxsize=1)
def _setup() -> tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    digits = datasets.load_digits()
    x = (torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0 - 0.3) / 0.4
    y = torch.tensor(digits.target)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    x, y = x[order], y[order]
    torch.manual_seed(SEED)
    model = DigitsNet()
    optimizer = torch.optim.Adam(model.parameters(), 3e-3)
    with _one_thread():
        for _ in range(10):
            model.train()
            for i in range(0, TRAIN, 64):
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(x[i:i + 64]), y[i:i + 64]).backward()
                optimizer.step()
    return model.eval(), x[:TRAIN], y[:TRAIN], x[TRAIN:], y[TRAIN:]


def _metrics(model: nn.Module, reference: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    with torch.no_grad():
        out, ref = model(x), reference(x)
    cosine = float((out * ref).sum() / out.norm() / ref.norm())
    return {"accuracy": float((out.argmax(1) == y).float().mean()),
            "agreement": float((out.argmax(1) == ref.argmax(1)).float().mean()), "cosine": cosine}


def _distilled(config: str) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    model, x_train, _, x_test, y_test = _setup()
    with _one_thread():
        batches = list(torch.split(x_train, 32))
        prep = prepare(config, model, batches)
        ptq = build_student(model, prep.plans)
        calibrate(ptq, batches, prep.batch_num)
        result = distill(config, model, x_train, batch_size=32, epochs=3, lr=1e-4)
    return (_metrics(model, model, x_test, y_test), _metrics(ptq, model, x_test, y_test),
            _metrics(result.student, model, x_test, y_test))


def test_int8_distillation_keeps_float_accuracy() -> None:
    float_, _, distilled = _distilled(INT8)
    assert float_["accuracy"] > 0.95  # the float model learned the task
    assert distilled["accuracy"] >= float_["accuracy"] - 0.005, (float_, distilled)


def test_int4_distillation_beats_int4_ptq() -> None:
    float_, ptq, distilled = _distilled(INT4)
    assert ptq["accuracy"] < float_["accuracy"] - 0.005, "4-bit PTQ should cost this model accuracy"
    assert distilled["accuracy"] >= ptq["accuracy"] + 0.008, (ptq, distilled)  # measured: +1.2 points
    assert distilled["accuracy"] >= float_["accuracy"] - 0.03, (float_, distilled)
    assert distilled["agreement"] > ptq["agreement"] and distilled["cosine"] > ptq["cosine"], (ptq, distilled)
