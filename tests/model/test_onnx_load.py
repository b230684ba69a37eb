"""The one ONNX loader (--model and the executor): clear refusals of files that are not ONNX, and of
external data that leaves the model's folder; duplicate node names noted."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from amct_lang.model import ModelError, load_model
from amct_lang.model.onnx_load import read_onnx

from .loading import model_file

onnx = pytest.importorskip("onnx")


def _external(folder: Path, location: str | None = None) -> Path:
    """small_cnn saved with its weights in an external data file, optionally re-pointed elsewhere."""
    from .onnx_models import small_cnn

    model = small_cnn()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ext.onnx"
    onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location="ext.data",
              size_threshold=0)
    if location is not None:
        proto = onnx.load(str(path), load_external_data=False)
        for tensor in proto.graph.initializer:
            for entry in tensor.external_data:
                if entry.key == "location":
                    entry.value = location
        onnx.save(proto, str(path))
    return path


def test_external_data_beside_the_model_loads(tmp_path: Path) -> None:
    path = _external(tmp_path / "m")
    proto = read_onnx(path, weights=True)
    assert all(t.raw_data or t.float_data for t in proto.graph.initializer)
    assert "conv1" in load_model(path).layers  # the index reads the graph only


@pytest.mark.parametrize("location", ["../outside.data", "/etc/passwd", "sub/../../outside.data"])
def test_external_data_outside_the_folder_is_refused(tmp_path: Path, location: str) -> None:
    (tmp_path / "outside.data").write_bytes(b"\0" * 64)
    path = _external(tmp_path / "m", location)
    for read in (lambda: read_onnx(path, weights=True), lambda: load_model(path)):
        with pytest.raises(ModelError, match="outside the model's folder"):
            read()


def test_external_data_through_a_symlink_out_is_refused(tmp_path: Path) -> None:
    path = _external(tmp_path / "m")
    target = tmp_path / "elsewhere.data"
    os.replace(tmp_path / "m" / "ext.data", target)
    os.symlink(target, tmp_path / "m" / "ext.data")
    with pytest.raises(ModelError, match="outside the model's folder"):
        read_onnx(path, weights=True)


def test_missing_external_data_is_named(tmp_path: Path) -> None:
    path = _external(tmp_path / "m")
    (tmp_path / "m" / "ext.data").unlink()
    with pytest.raises(ModelError, match="does not exist next to the model"):
        load_model(path)


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"x")
    return path


@pytest.mark.parametrize(("make", "says"), [
    (lambda p: p.write_bytes(b""), "is empty"),
    (lambda p: p.write_bytes(os.urandom(512)), "not a readable ONNX model|not an ONNX model"),
    (lambda p: p.write_text("common_config {}\n"), "not a readable ONNX model|not an ONNX model"),
    (_zip, "zip archive"),
    (lambda p: p.write_bytes(b"\x80\x04\x95" + b"\0" * 40), "not a readable ONNX model|not an ONNX model"),
])
def test_not_onnx_is_said_in_one_sentence(tmp_path: Path, make: object, says: str) -> None:
    path = tmp_path / "model.onnx"
    make(path)  # type: ignore[operator]
    with pytest.raises(ModelError, match=says) as info:
        read_onnx(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_truncated_model(tmp_path: Path) -> None:
    whole = model_file("small_cnn", tmp_path).read_bytes()
    path = tmp_path / "cut.onnx"
    path.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(ModelError, match=str(path)):
        load_model(path)


def test_duplicate_node_names_get_a_note(tmp_path: Path) -> None:
    index = load_model(model_file("dup_names", tmp_path))
    assert index.duplicates == {"conv": 1}
    assert any("'conv' (2 nodes)" in note for note in index.notes)
