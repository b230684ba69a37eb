"""data_dump: the teacher's block data on disk, the size estimate, and the refusal when it does not fit."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the distillation executor needs torch (pip install torch)")

from torch import nn  # noqa: E402

from amct_lang.executor.distill import dump  # noqa: E402
from amct_lang.executor.distill.api import distill  # noqa: E402
from amct_lang.executor.distill.run import DistillError  # noqa: E402


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(64, 5)).eval()


DATA = torch.from_numpy(np.random.RandomState(0).randn(24, 1, 8, 8).astype(np.float32))


def test_dump_holds_every_block_and_batch_and_gives_the_same_student(tmp_path: Path) -> None:
    with_dump = distill("data_dump: true", _net(), DATA, str(tmp_path / "a"), batch_size=8, epochs=2)
    without = distill("data_dump: false", _net(), DATA, str(tmp_path / "b"), batch_size=8, epochs=2)
    folder = tmp_path / "a_dump"
    blocks, batches = len(with_dump.blocks), 3
    assert len(list(folder.glob("block*_input_*.npy"))) == blocks * batches
    assert len(list(folder.glob("block*_output_*.npy"))) == blocks * batches
    # the first block's input is the data itself
    np.testing.assert_array_equal(np.load(folder / "block000_input_1.npy"), DATA[8:16].numpy())
    # the estimate given up front is the size written (npy headers aside)
    written = sum(f.stat().st_size for f in folder.glob("*.npy"))
    estimate = dump.estimate(_net(), [r.block for r in with_dump.blocks], list(torch.split(DATA, 8)))
    assert estimate <= written <= estimate * dump.MARGIN
    a, b = with_dump.student.state_dict(), without.student.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not (tmp_path / "b_dump").exists() and not (tmp_path / "a.distill-work").exists()


def test_a_dump_larger_than_the_free_space_is_refused(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(dump.DumpError, match="data_dump needs about .* but only .* are free"):
        dump.check_space(str(tmp_path), free + (1 << 30))
    dump.check_space(str(tmp_path), 1024)  # a small one fits


def test_the_refusal_comes_before_training_and_writes_nothing(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The estimate for this data is compared with the free space of the output folder; a folder on a
    file system with less room than that is refused (here: a limit below the estimate)."""
    monkeypatch.setattr(dump, "MARGIN", float(shutil.disk_usage(tmp_path).free))  # every dump is too big
    with pytest.raises(DistillError, match="data_dump needs about"):
        distill("data_dump: true", _net(), DATA, str(tmp_path / "a"), batch_size=8)
    assert os.listdir(tmp_path) == []
