"""`amct-lang resolve` and `amct-lang check --model` end to end, through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from model.loading import model_file

from amct_lang.cli.main import main

CASES = Path(__file__).parent / "cases"


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def small_cnn(models: Path) -> str:
    return str(model_file("small_cnn", models))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_table(small_cnn: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["resolve", str(CASES / "skip_precedence.cfg"), "--model", small_cnn], capsys)
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines() if line and line.split()[0] in
            ("conv1", "conv2", "fc", "avgpool")}
    assert "skipped: skip_layers[0]" in rows["conv1"]
    assert "skipped: skip_layer_types[0] 'FullyConnection'" in rows["fc"]
    assert "override_layer_configs[1] (L1)" in rows["conv2"] and "step=0.03(L1)" in rows["conv2"]
    assert "channel_wise=true(D)" in rows["conv2"]
    assert "L1 = override_layer_configs[1] (line 11)" in out and "D = built-in default" in out
    assert "1 node(s) of quantizable types have no name" in err


def test_json(small_cnn: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["resolve", str(CASES / "whole_block.cfg"), "--model", small_cnn, "--format", "json"],
                       capsys)
    assert code == 0
    layers = {item["layer"]: item for item in json.loads(out)}
    conv1 = layers["conv1"]
    assert conv1["block"] == {"kind": "override_layer_types", "index": 0, "line": 8, "column": 22,
                              "detail": "Conv"}
    assert conv1["weights"]["channel_wise"] == {
        "value": True, "source": {"kind": "default", "detail": "Conv has per-channel weights"}}
    start = conv1["activation"]["search_range_start"]
    assert start["value"] == 0.8 and start["source"]["line"] == 10
    assert layers["fc"]["weights"]["channel_wise"]["source"]["kind"] == "common_config"
    assert layers["avgpool"]["weights"] is None


def test_config_with_errors_prints_them_and_no_table(small_cnn: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bad.cfg"
    cfg.write_text('skip_layers: "conv_1"\ncommon_config { arq_quantize { channel_wise: maybe } }\n')
    code, out, err = run(["resolve", str(cfg), "--model", small_cnn], capsys)
    assert code == 1 and out == ""
    assert "MOD001" in err and "did you mean 'conv1'" in err and "SCH002" in err


def test_usage_errors(small_cnn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = str(CASES / "whole_block.cfg")
    code, out, err = run(["resolve", cfg, "--model", str(tmp_path / "none.onnx")], capsys)
    assert (code, out) == (2, "") and "no such model file" in err
    code, out, err = run(["resolve", str(CASES / "distill_precedence.cfg"), "--model", small_cnn], capsys)
    assert (code, out) == (2, "") and "needs a PyTorch model" in err
    with pytest.raises(SystemExit) as exc:
        main(["resolve", cfg])
    assert exc.value.code == 2


def test_check_with_a_model(small_cnn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "quant.cfg"
    cfg.write_text('skip_layers: "fc"\n')
    assert run(["check", "--model", small_cnn, str(cfg)], capsys)[0] == 0
    cfg.write_text('skip_layers: "fc2"\n')
    code, out, _ = run(["check", "--model", small_cnn, str(cfg), "--format", "json"], capsys)
    assert code == 1
    [item] = json.loads(out)
    assert item["code"] == "MOD001" and item["line"] == 1 and item["column"] == 14
    code, _, err = run(["check", "--model", str(tmp_path / "x.onnx"), str(cfg)], capsys)
    assert code == 2 and "no such model file" in err and "Traceback" not in err


def test_distill_table(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = str(model_file("torchscript:ResidualNet", models))
    code, out, err = run(["resolve", str(CASES / "distill_precedence.cfg"), "--model", model], capsys)
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "global" in rows["conv1"] and "clip_max=6.0(GA)" in rows["conv1"]
    assert "ulq(D) clip=ifmr(D)" in rows["conv2"] and "fixed_min=true(M)" in rows["conv2"]
    assert "skipped: quant_skip_layers[0]" in rows["shortcut"]
    assert "registration order" in err
