"""Test models by name, as fixture files name them in a `# test-model: NAME` header.

NAME is one of the ONNX models built in onnx_models.py (small_cnn, odd_ops), a model onnx ships
(light_resnet50, light_densenet121, ...), or `torch:CLASS` / `torchscript:CLASS` for a module of
torch_models.py saved with torch.save / torch.jit.save. Missing packages or files skip the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amct_lang.model import ModelIndex, load_model

_HEADER = re.compile(r"#\s*test-model:\s*(\S+)")


def header_model(text: str) -> str:
    m = _HEADER.search(text)
    assert m, "fixture needs a '# test-model: NAME' header"
    return m.group(1)


def model_file(name: str, folder: Path) -> Path:
    if ":" in name:
        how, cls = name.split(":", 1)
        pytest.importorskip("torch")
        from . import torch_models

        module = getattr(torch_models, cls)()
        path = folder / f"{cls}.{how}.pt"
        if not path.exists():
            (torch_models.save_script if how == "torchscript" else torch_models.save_pickled)(module, path)
        return path
    pytest.importorskip("onnx")
    from .onnx_models import model_path

    path = model_path(name, folder)
    if path is None:
        pytest.skip(f"this onnx does not ship {name}.onnx")
    return path


_CACHE: dict[tuple[str, Path], ModelIndex] = {}


def test_model(name: str, folder: Path) -> ModelIndex:
    key = (name, folder)
    if key not in _CACHE:
        _CACHE[key] = load_model(model_file(name, folder))
    return _CACHE[key]


test_model.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test
