"""`amct-lang run`: the outputs, and every kind of bad input: a clear message, a non-zero exit,
nothing written, the inputs untouched."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import pytest

from amct_lang.analysis import analyze
from amct_lang.cli.main import main
from amct_lang.executor.ptq import PtqError, quantize

from .onnx_models import residual_net, samples, write_case

CFG = "# amct-dialect: calibration-onnx\nbatch_num: 2\n"
SUFFIXES = ("_fake_quant_model.onnx", "_deploy_model.onnx", "_record.txt", "_report.json", "_report.html")


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def case(tmp_path: Path) -> tuple[Path, Path, Path]:
    return write_case(tmp_path / "in", residual_net(), {"x": samples((3, 8, 8))}, CFG)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["run", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def run_on(
    capsys: pytest.CaptureFixture[str], cfg: Path, model: Path, data: Path, output: Path, *extra: str
) -> tuple[int, str, str]:
    """`amct-lang run` on these inputs, batches of 4."""
    return run_cli(
        capsys,
        str(cfg),
        "--model",
        str(model),
        "--data",
        str(data),
        "--output",
        str(output),
        "--batch-size",
        "4",
        *extra,
    )


def test_run_writes_five_files_and_a_valid_record(
    case: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, data, cfg = case
    prefix = tmp_path / "out" / "net"
    prefix.parent.mkdir()
    code, out, err = run_on(capsys, cfg, model, data, prefix)
    assert code == 0, err
    for suffix in SUFFIXES:
        assert Path(str(prefix) + suffix).is_file()
    record = Path(str(prefix) + "_record.txt").read_text()
    assert not analyze(record, "record").diagnostics
    assert "conv1" in out and "output y" in out  # the summary table and the end-to-end line
    # the two models run in onnxruntime
    import onnxruntime as ort

    x = samples((3, 8, 8), n=2, seed=9)
    for suffix in SUFFIXES[:2]:
        sess = ort.InferenceSession(str(prefix) + suffix, providers=["CPUExecutionProvider"])
        assert sess.run(None, {"x": x})[0].shape == (2, 4)


def test_batch_num_flag_wins_and_says_so(
    case: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, data, cfg = case
    code, _, err = run_cli(
        capsys,
        str(cfg),
        "--model",
        str(model),
        "--data",
        str(data),
        "--output",
        str(tmp_path / "o"),
        "--batch-size",
        "2",
        "--batch-num",
        "3",
        "-q",
    )
    assert code == 0
    assert "batch_num 3 from the command line (the config says 2" in err


def test_existing_outputs_are_refused_unless_force(
    case: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, data, cfg = case
    args = [
        str(cfg),
        "--model",
        str(model),
        "--data",
        str(data),
        "--output",
        str(tmp_path / "o"),
        "--batch-size",
        "4",
        "-q",
    ]
    assert run_cli(capsys, *args)[0] == 0
    before = digest(tmp_path)
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and "already exists; use --force" in err and digest(tmp_path) == before
    assert run_cli(capsys, *args, "--force")[0] == 0


def test_output_prefix_on_the_model_is_refused(
    case: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    model, data, cfg = case
    before = digest(model.parent)
    # PREFIX_record.txt == the config file itself: an input of the run
    cfg_like = model.parent / "x_record.txt"
    cfg_like.write_text(CFG)
    code, _, err = run_on(capsys, cfg_like, model, data, model.parent / "x", "-q", "--force")
    assert code == 2 and "input of this run" in err
    assert digest(model.parent) == {**before, "x_record.txt": digest(model.parent)["x_record.txt"]}


def test_missing_output_folder(
    case: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, data, cfg = case
    code, _, err = run_on(capsys, cfg, model, data, tmp_path / "nowhere" / "net")
    assert code == 2 and "does not exist; create it first" in err
    assert not (tmp_path / "nowhere").exists()


def corrupt(tmp: Path) -> Path:
    p = tmp / "corrupt.onnx"
    p.write_bytes(os.urandom(3000))
    return p


def text_file(tmp: Path) -> Path:
    p = tmp / "notes.onnx"
    p.write_text("this is not a model\n")
    return p


def already_quantized(tmp: Path) -> Path:
    model, data, cfg = write_case(tmp / "q", residual_net(), {"x": samples((3, 8, 8))}, CFG)
    result = quantize(cfg, model, data=data, batch_size=4)
    p = tmp / "quantized.onnx"
    onnx.save(result.fake_quant_model, str(p))
    return p


def unnamed(tmp: Path) -> Path:
    p = tmp / "unnamed.onnx"
    onnx.save(residual_net(names=False), str(p))
    return p


def duplicate(tmp: Path) -> Path:
    m = residual_net()
    for node in m.graph.node:
        if node.name == "conv2":
            node.name = "conv1"
    p = tmp / "duplicate.onnx"
    onnx.save(m, str(p))
    return p


def external_outside(tmp: Path) -> Path:
    folder = tmp / "models"
    folder.mkdir()
    m = residual_net()
    onnx.save(
        m,
        str(folder / "ext.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="weights.bin",
        size_threshold=0,
    )
    (folder / "weights.bin").rename(tmp / "weights.bin")
    m2 = onnx.load(str(folder / "ext.onnx"), load_external_data=False)
    for init in m2.graph.initializer:
        for entry in init.external_data:
            if entry.key == "location":
                entry.value = "../weights.bin"
    onnx.save(m2, str(folder / "ext.onnx"))
    return folder / "ext.onnx"


BAD_MODELS = {
    "corrupt": (corrupt, "not a readable ONNX model"),
    "not onnx": (text_file, "not a readable ONNX model"),
    "already quantized": (already_quantized, "already quantized"),
    "unnamed nodes": (unnamed, "have no name"),
    "duplicate names": (duplicate, "node names must be unique"),
    "external data outside": (external_outside, "outside the model's folder"),
}


@pytest.mark.parametrize("kind", list(BAD_MODELS))
def test_bad_models(
    kind: str, case: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, data, cfg = case
    make, expected = BAD_MODELS[kind]
    bad = make(tmp_path)
    before = digest(tmp_path)
    code, out, err = run_on(capsys, cfg, bad, data, tmp_path / "o")
    assert code == 2, (out, err)
    assert expected in err and "nothing was written" in err and "Traceback" not in err
    assert digest(tmp_path) == before


BAD_DATA = {
    "wrong name": ({"img": samples((3, 8, 8))}, "no data for model input 'x'"),
    "extra name": ({"x": samples((3, 8, 8)), "y": samples((3, 8, 8))}, "'y' is not a model input"),
    "wrong shape": ({"x": samples((3, 9, 8))}, "takes samples of shape (3, 8, 8)"),
    "wrong rank": ({"x": samples((3, 8))}, "takes 4-D batches"),
    "wrong dtype": ({"x": samples((3, 8, 8)).astype(np.int64)}, "takes float32, the data is int64"),
    "too few samples": ({"x": samples((3, 8, 8), n=5)}, "needs 8 samples, the data has 5"),
    "nan in data": ({"x": np.full((8, 3, 8, 8), np.nan, np.float32)}, "holds NaN or infinity"),
}


@pytest.mark.parametrize("kind", list(BAD_DATA))
def test_bad_data(
    kind: str, case: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, _, cfg = case
    arrays, expected = BAD_DATA[kind]
    data = tmp_path / "bad.npz"
    np.savez(data, **arrays)  # type: ignore[arg-type]
    before = digest(tmp_path)
    code, _, err = run_on(capsys, cfg, model, data, tmp_path / "o")
    assert code == 2 and expected in err and "nothing was written" in err, err
    assert digest(tmp_path) == before


def test_pickled_data_is_not_loaded(
    case: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, _, cfg = case
    data = tmp_path / "pickled.npz"
    np.savez(data, x=np.array([{"a": 1}], dtype=object))
    code, _, err = run_on(capsys, cfg, model, data, tmp_path / "o")
    assert code == 2 and "pickled" in err


def test_inf_inside_the_model_names_the_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x = np.abs(samples((3, 8, 8)))
    x[0, 0, 0, 0] = 0.0  # log(0) = -inf in the model
    model, data, cfg = write_case(tmp_path / "in", residual_net(log_input=True), {"x": x}, CFG)
    code, _, err = run_on(capsys, cfg, model, data, tmp_path / "o")
    assert code == 2 and "the input of conv1" in err and "NaN or infinity" in err
    assert not list(tmp_path.glob("o*"))


CONFIG_ERRORS = {
    "typo": (CFG + "comon_config { }\n", "SCH001"),
    "unknown layer": (CFG + 'skip_layers: "conv9"\n', "MOD"),
    "ada": (CFG + "common_config { ada_quantize { } }\n", "RUN001"),
    "dmq": (CFG + "common_config { dmq_balancer { } }\n", "RUN002"),
    "fp16 fake quant": (CFG + "fakequant_precision_mode: FORCE_FP16_QUANT\n", "RUN003"),
    "int16": (CFG + "common_config { ifmr_quantize { dst_type: INT16 } }\n", "RUN004"),
}


@pytest.mark.parametrize("kind", list(CONFIG_ERRORS))
def test_config_errors_are_positioned_diagnostics(
    kind: str, case: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, data, _ = case
    text, code_prefix = CONFIG_ERRORS[kind]
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if i > 2 or "comon" in t)
    before = digest(tmp_path)
    code, out, err = run_on(capsys, cfg, model, data, tmp_path / "o")
    assert code == 1, (out, err)
    assert f"{cfg}:{line}:" in out and f"[{code_prefix}" in out, out
    assert "nothing was written" in err
    assert digest(tmp_path) == before


def test_failure_while_writing_leaves_nothing(
    case: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up while the fourth file is staged: no output file appears."""
    import errno

    from amct_lang import atomic

    model, data, cfg = case
    real_fsync = os.fsync
    calls = {"n": 0}

    def full_disk(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PtqError, match="the disk is full"):
        quantize(cfg, model, data=data, batch_size=4, output=out / "net")
    assert list(out.iterdir()) == []


def test_killed_run_leaves_nothing_or_everything(case: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model, data, cfg = case
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for delay in (0.3, 1.0, 2.0):
        for f in out.iterdir():
            f.unlink()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "amct_lang",
                "run",
                str(cfg),
                "--model",
                str(model),
                "--data",
                str(data),
                "--output",
                str(out / "net"),
                "--batch-size",
                "4",
                "-q",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        finished = sorted(p.name for p in out.iterdir() if not p.name.startswith(".amct-lang-"))
        assert finished in ([], sorted("net" + s for s in SUFFIXES)), finished
