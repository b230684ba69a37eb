"""`amct-lang check --model m.pt` on calibration and retrain configs: the PyTorch model, saved as
TorchScript or as a pickled nn.Module, drives the dialect choice and the model checks."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from .models import build  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CHANNEL_WISE = "common_config {\n    arq_quantize { channel_wise: true }\n}\n"


def _save(kind: str, folder: Path) -> Path:
    model, data = build("cnn")
    path = folder / f"cnn.{kind}.pt"
    if kind == "torchscript":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.jit.save(torch.jit.trace(model, data), str(path))
    else:
        torch.save(model, str(path))
    return path


def _check(folder: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    config = folder / "quant.cfg"
    config.write_text(text, encoding="utf-8")
    # a pickled module names its class by the module path pytest imported it under
    paths = os.pathsep.join([str(REPO), str(REPO / "tests"), os.environ.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "amct_lang", "check", "-v", *args, str(config)],
                          capture_output=True, text=True, cwd=REPO, timeout=300,
                          env={**os.environ, "PYTHONPATH": paths})


@pytest.mark.parametrize("kind", ["torchscript", "pickle"])
def test_calibration_config_with_a_pytorch_model(kind: str, tmp_path: Path) -> None:
    model = _save(kind, tmp_path)
    rejected = _check(tmp_path, CHANNEL_WISE, "--model", str(model))
    assert rejected.returncode == 1, rejected.stderr
    assert "checked as calibration-pytorch" in rejected.stderr
    assert "error[MOD011]" in rejected.stdout and "'pool' (AvgPool2d)" in rejected.stdout
    fixed = CHANNEL_WISE + 'override_layer_types {\n    layer_type: "AvgPool2d"\n' \
        '    calibration_config { arq_quantize { channel_wise: false } }\n}\n' \
        'override_layer_types {\n    layer_type: "Linear"\n' \
        '    calibration_config { arq_quantize { channel_wise: false } }\n}\n'
    accepted = _check(tmp_path, fixed, "--model", str(model))
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_without_the_model_the_same_file_passes(tmp_path: Path) -> None:
    assert _check(tmp_path, CHANNEL_WISE).returncode == 0


def test_retrain_config_with_a_pytorch_model(tmp_path: Path) -> None:
    model = _save("torchscript", tmp_path)
    text = 'quant_skip_layers: "relu1"\nretrain_data_quant_config { ulq_quantize { } }\n'
    proc = _check(tmp_path, text, "--model", str(model), "--dialect", "retrain")
    assert proc.returncode == 1, proc.stderr
    assert "error[RET007]" in proc.stdout and "ReLU module" in proc.stdout
