"""The one ONNX loader: `--model` (the model index) and the PTQ executor read models through it.

    from amct_lang.model.onnx_load import read_onnx
    proto = read_onnx(path, weights=True)   # onnx.ModelProto, or ModelError with a message for the user

- A folder, a missing file, a file that is not ONNX (a PyTorch archive, text, random bytes, a
  truncated download) each get one sentence saying what the file is and what to give instead.
- External data (tensors kept in files beside the model) must stay inside the model's folder: an
  absolute location, or one that climbs out with `..` or a symbolic link, is refused before any
  byte of it is read, whether or not the weights are loaded; so is a data file that is missing.
- `weights=False` (the index) reads only the graph; `weights=True` (the executor) loads the
  external data too.

onnx is imported here only, when a model is read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .index import ModelError

_ZIP, _PICKLE = b"PK\x03\x04", b"\x80"


def read_onnx(path: str | Path, *, weights: bool = False) -> Any:
    """The onnx.ModelProto in `path` (with its external data when `weights`). Raises ModelError."""
    try:
        import onnx
    except ImportError:
        raise ModelError("reading an ONNX model needs the onnx package: pip install '.[model]' "
                         "from the amct-lang checkout") from None
    p = Path(path)
    if p.is_dir():
        raise ModelError(f"{path}: is a folder; name the .onnx model file")
    if not p.is_file():
        raise ModelError(f"{path}: no such model file")
    try:
        with p.open("rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise ModelError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not head:
        raise ModelError(f"{path}: is empty, not an ONNX model")
    try:
        proto = onnx.load(str(p), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - any decoding failure means "not an ONNX model"
        raise ModelError(f"{path}: not a readable ONNX model{_looks_like(head)} ({type(exc).__name__}); give "
                         "an .onnx file exported from your framework") from None
    if not proto.graph.node:
        raise ModelError(f"{path}: not an ONNX model{_looks_like(head)} (it has no graph nodes)")
    check_external_data(proto, p)
    if weights:
        from onnx import external_data_helper

        try:
            external_data_helper.load_external_data_for_model(proto, str(p.resolve().parent))
        except Exception as exc:  # noqa: BLE001 - a truncated or unreadable data file
            raise ModelError(f"{path}: cannot read its external data ({type(exc).__name__}: {exc})") from None
    return proto


def _looks_like(head: bytes) -> str:
    if head.startswith(_ZIP):
        return " (it is a zip archive: a PyTorch .pt file? export the model to ONNX first)"
    if head.startswith(_PICKLE):
        return " (it is a Python pickle: a PyTorch model? export it to ONNX first)"
    return ""


def check_external_data(proto: Any, path: Path) -> None:
    """Refuse external-data locations outside the model's folder, and missing data files."""
    from onnx import external_data_helper

    folder = path.resolve().parent
    for tensor in external_data_helper._get_all_tensors(proto):
        if not external_data_helper.uses_external_data(tensor):
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        target = (folder / location).resolve()
        if not location or os.path.isabs(location) or (target != folder and folder not in target.parents):
            raise ModelError(f"{path}: tensor '{tensor.name}' keeps its data in '{location}', outside the "
                             f"model's folder {folder}; move the data file next to the model")
        if not target.is_file():
            raise ModelError(f"{path}: tensor '{tensor.name}' keeps its data in '{location}', which does "
                             "not exist next to the model")
