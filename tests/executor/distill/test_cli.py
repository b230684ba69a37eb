"""`amct-lang distill`: outputs, refusals before any training, interrupts and --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the distillation executor needs torch (pip install torch)")

from amct_lang.cli.main import main  # noqa: E402

MODEL = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.fc = nn.Linear(4 * 64, 10)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.conv2(x))
        return self.fc(torch.flatten(x, 1))


def make():
    torch.manual_seed(0)
    return Net()


def broken():
    raise RuntimeError("the weights are not downloaded")
'''
INT4 = """batch_num: 1
distill_data_quant_config { ulq_quantize { dst_type: INT4 } }
distill_weight_quant_config { arq_distill { dst_type: INT4 } }
distill_override_layer_types { layer_type: "Linear"
  distill_data_quant_config { ulq_quantize { dst_type: INT4 } }
  distill_weight_quant_config { arq_distill { dst_type: INT4 channel_wise: false } } }
"""
OUTPUTS = ["run_fake_quant_model.onnx", "run_student.pt", "run_record.txt", "run_report.json"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    name = f"netmod_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(MODEL)
    rng = np.random.RandomState(0)
    np.savez(tmp_path / "train.npz", x=rng.randn(40, 1, 8, 8).astype(np.float32))
    np.savez(tmp_path / "rgb.npz", x=rng.randn(40, 3, 8, 8).astype(np.float32))
    (tmp_path / "int4.cfg").write_text(INT4)
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path, name


def _run(*args: str) -> int:
    return main(["distill", *args])


def test_outputs(workdir: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    tmp, mod = workdir
    assert _run("int4.cfg", "--model", f"{mod}:make", "--data", "train.npz", "--output", "out/run",
                "--epochs", "2") == 0
    assert sorted(os.listdir(tmp / "out")) == sorted(OUTPUTS)  # no work folder left behind
    report = json.loads((tmp / "out" / "run_report.json").read_text())
    assert [b["block"] for b in report["blocks"]] == [["conv1", "bn1", "relu1"], ["conv2", "relu2"], ["fc"]]
    assert all(set(b) >= {"loss_before", "loss_after"} for b in report["blocks"])
    assert set(report["layers"]) == {"conv1", "conv2", "fc"}
    assert report["layers"]["fc"]["act_bits"] == 4 and len(report["layers"]["conv1"]["scale_w"]) == 4
    # the record passes the checker in the record dialect and holds the report's factors
    assert main(["check", "--dialect", "record", "out/run_record.txt"]) == 0
    from amct_lang.executor.record import read_record

    records = read_record((tmp / "out" / "run_record.txt").read_text())
    assert records["conv1"].scale_d == pytest.approx(report["layers"]["conv1"]["scale_d"], rel=1e-7)
    assert records["fc"].dst_type == "INT4"
    # the QDQ model runs in onnxruntime and computes what the student computes
    ort = pytest.importorskip("onnxruntime")
    import onnx

    model = onnx.load(str(tmp / "out" / "run_fake_quant_model.onnx"))
    ops = {n.op_type for n in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Clip", "Conv", "Gemm"} <= ops
    x = np.load(tmp / "train.npz")["x"][:8]
    got = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"input": x})[0]
    student = _student(tmp, mod)
    expected = student(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


def _student(tmp: Path, mod: str) -> torch.nn.Module:
    import importlib

    from amct_lang.executor.distill.run import prepare
    from amct_lang.executor.distill.student import build_student

    net = importlib.import_module(mod).make()
    prep = prepare(INT4, net, [torch.zeros(2, 1, 8, 8)])
    student = build_student(prep.model, prep.plans)
    student.load_state_dict(torch.load(tmp / "out" / "run_student.pt", weights_only=True))
    return student


BAD = [
    ("missing module", 'distill_group { start_layer_name: "conv1" end_layer_name: "conv3" }', "make",
     "train.npz", "MOD001", 1),
    ("unreachable end", 'distill_group { start_layer_name: "relu2" end_layer_name: "conv1" }', "make",
     "train.npz", "no path leads from 'relu2' to 'conv1'", 1),
    ("overlapping groups", 'distill_group { start_layer_name: "conv1" end_layer_name: "relu1" }\n'
     'distill_group { start_layer_name: "bn1" end_layer_name: "conv2" }', "make", "train.npz", "MOD007", 1),
    ("data does not fit", "group_size: 1", "make", "rgb.npz", "the data does not fit the model", 2),
    ("factory raises", "group_size: 1", "broken", "train.npz", "the weights are not downloaded", 2),
    ("no such factory", "group_size: 1", "nothing", "train.npz", "has no attribute 'nothing'", 2),
    ("no such data", "group_size: 1", "make", "missing.npz", "no such file or folder", 2),
]


@pytest.mark.parametrize("config,factory,data,expected,code", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_before_training(workdir: tuple[Path, str], capsys: pytest.CaptureFixture[str],
                                              config: str, factory: str, data: str, expected: str,
                                              code: int) -> None:
    tmp, mod = workdir
    (tmp / "bad.cfg").write_text(config + "\n")
    assert _run("bad.cfg", "--model", f"{mod}:{factory}", "--data", data, "--output", "out/run") == code
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err and "block 1/" not in err  # no training started
    assert os.listdir(tmp / "out") == []
    if code == 1:  # positioned: file:line:col
        assert "bad.cfg:1:" in err or "bad.cfg:2:" in err


def test_pickled_model_and_weights_files(workdir: tuple[Path, str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import importlib
    import sys

    tmp, mod = workdir
    sys.path.insert(0, str(tmp))
    try:
        net = importlib.import_module(mod).make()
    finally:
        sys.path.remove(str(tmp))
    torch.save(net, tmp / "net.pt")
    torch.save(net.state_dict(), tmp / "weights.pt")
    torch.save({"conv1.weight": torch.zeros(1)}, tmp / "other.pt")
    assert _run("int4.cfg", "--model", "net.pt", "--data", "train.npz", "--output", "out/a") == 0
    assert _run("int4.cfg", "--model", "weights.pt", "--data", "train.npz", "--output", "out/b") == 2
    assert "holds a state_dict" in capsys.readouterr().err
    assert _run("int4.cfg", "--model", f"{mod}:make", "--weights", "other.pt", "--data", "train.npz",
                "--output", "out/b") == 2
    assert "does not fit the model" in capsys.readouterr().err
    assert _run("int4.cfg", "--model", f"{mod}:make", "--weights", "weights.pt", "--data", "train.npz",
                "--output", "out/b") == 0
    a = torch.load(tmp / "out" / "a_student.pt", weights_only=True)
    b = torch.load(tmp / "out" / "b_student.pt", weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a)  # the same model either way, the same student


def test_existing_outputs_are_kept(workdir: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    tmp, mod = workdir
    (tmp / "out" / "run_record.txt").write_text("keep me")
    assert _run("int4.cfg", "--model", f"{mod}:make", "--data", "train.npz", "--output", "out/run") == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp / "out" / "run_record.txt").read_text() == "keep me"


def test_a_failed_write_leaves_no_output(workdir: tuple[Path, str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """One output cannot be written (a folder sits at its path): none of the others appears."""
    tmp, mod = workdir
    (tmp / "out" / "run_report.json").mkdir()
    assert _run("int4.cfg", "--model", f"{mod}:make", "--data", "train.npz", "--output", "out/run",
                "--overwrite") == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "--resume" in err
    assert sorted(os.listdir(tmp / "out")) == ["run.distill-work", "run_report.json"]
    assert not os.listdir(tmp / "out" / "run_report.json")
    # with the obstacle gone, --resume writes the outputs from the kept student, without training
    (tmp / "out" / "run_report.json").rmdir()
    assert _run("int4.cfg", "--model", f"{mod}:make", "--data", "train.npz", "--output", "out/run",
                "--resume") == 0
    assert "block 1/" not in capsys.readouterr().err
    assert sorted(os.listdir(tmp / "out")) == sorted(OUTPUTS)


@pytest.mark.timeout(2400)  # three runs of the CLI, each importing torch
def test_interrupt_then_resume_equals_an_uninterrupted_run(workdir: tuple[Path, str]) -> None:
    """Ctrl-C after the first block: no output, a checkpoint; --resume finishes with the same student as a
    run that was never interrupted."""
    tmp, mod = workdir
    env = {**os.environ, "PYTHONPATH": str(tmp) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    args = [sys.executable, "-m", "amct_lang", "distill", "int4.cfg", "--model", f"{mod}:make", "--data",
            "train.npz", "--epochs", "80", "--batch-size", "8"]
    proc = subprocess.Popen([*args, "--output", "out/run"], cwd=tmp, env=env, stderr=subprocess.PIPE,
                            text=True)
    checkpoint = tmp / "out" / "run.distill-work" / "checkpoint.pt"
    deadline = time.monotonic() + 900  # a loaded machine starts torch slowly
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert checkpoint.exists(), proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 130, err
    assert "--resume" in err
    assert sorted(os.listdir(tmp / "out")) == ["run.distill-work"]
    resumed = subprocess.run([*args, "--output", "out/run", "--resume"], cwd=tmp, env=env,
                             capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    assert "block 1/3" not in resumed.stderr  # the finished block was not trained again
    straight = subprocess.run([*args, "--output", "out/straight"], cwd=tmp, env=env, capture_output=True,
                              text=True, timeout=900)
    assert straight.returncode == 0, straight.stderr
    a = torch.load(tmp / "out" / "run_student.pt", weights_only=True)
    b = torch.load(tmp / "out" / "straight_student.pt", weights_only=True)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not (tmp / "out" / "run.distill-work").exists()
