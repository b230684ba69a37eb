"""The Python API (`import amct_lang`): plain data out, files or text in, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from model.loading import model_file

import amct_lang


def test_check_text_and_path_give_the_same_plain_data(tmp_path: Path) -> None:
    text = 'activation_offset: "true"\nskip_layers: "a"\nskip_layers: "a"\n'
    path = tmp_path / "q.cfg"
    path.write_text(text, encoding="utf-8")
    from_text = amct_lang.check(text)
    assert from_text == amct_lang.check(path) == amct_lang.check(str(path))
    json.dumps(from_text)  # plain data
    first = from_text[0]
    assert first["code"] == "SCH002" and first["severity"] == "error"
    assert first["start"] == {"line": 1, "column": 20, "offset": 19}
    assert first["fixes"] == [{"title": "Remove the quotes", "safe": True,
                               "edits": [{"start": 19, "end": 25, "new_text": "true"}]}]


def test_check_with_a_model_runs_the_model_rules(tmp_path: Path) -> None:
    model = model_file("small_cnn", tmp_path)
    codes = [f["code"] for f in amct_lang.check('skip_layers: "conv_1"\n', model=model)]
    assert "MOD001" in codes
    assert "MOD001" not in [f["code"] for f in amct_lang.check('skip_layers: "conv_1"\n')]


def test_resolve(tmp_path: Path) -> None:
    import amct_lang.resolve  # noqa: F401 - the submodule of that name does not replace the function

    model = model_file("small_cnn", tmp_path)
    result = amct_lang.resolve("common_config { ifmr_quantize { search_step: 0.02 } }\n", model=model)
    json.dumps(result, allow_nan=False)
    conv = next(layer for layer in result["layers"] if layer["layer"] == "conv1")
    assert conv["status"] == "quantized"
    assert conv["activation"]["search_step"] == {"value": 0.02, "source": {"kind": "common_config", "line": 1,
                                                                           "column": 46}}
    assert result["settings"]["activation_offset"] is True
    with pytest.raises(amct_lang.ConfigError, match="error"):
        amct_lang.resolve("common_config { bogus: 1 }\n", model=model)
    with pytest.raises(amct_lang.ConfigError, match="no such model file"):
        amct_lang.resolve("batch_num: 1\n", model=tmp_path / "none.onnx")


def test_format(tmp_path: Path) -> None:
    from amct_lang.format import format_text  # loading the formatter module keeps the function

    assert callable(format_text) and callable(amct_lang.format) and amct_lang.format.__module__ == "amct_lang"
    assert amct_lang.format("common_config {arq_quantize{}}") == "common_config {\n    arq_quantize {}\n}\n"
    with pytest.raises(amct_lang.ConfigError, match="not formatted"):
        amct_lang.format("common_config {")
    with pytest.raises(amct_lang.ConfigError, match="no such file"):
        amct_lang.format(tmp_path / "missing.cfg")
