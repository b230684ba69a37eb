"""Models the config talks about: ONNX graphs (calibration) and PyTorch modules (distillation).

`load_model(path)` reads a model into a ModelIndex (plain data). onnx and torch are imported only
inside it, and only the one the file needs.
"""

from __future__ import annotations

from pathlib import Path

from .index import Layer, ModelError, ModelIndex, nearest_name
from .types import framework_for

ONNX_SUFFIXES = (".onnx",)
TORCH_SUFFIXES = (".pt", ".pth", ".pkl", ".torchscript")

__all__ = ["Layer", "ModelError", "ModelIndex", "framework_for", "load_model", "nearest_name"]


def load_model(path: str | Path) -> ModelIndex:
    """Read an ONNX (.onnx) or PyTorch (.pt/.pth) model. Raises ModelError with a message for the user."""
    p = Path(path)
    if p.is_dir():
        raise ModelError(f"{path}: is a directory; name the model file")
    if not p.exists():
        raise ModelError(f"{path}: no such model file")
    suffix = p.suffix.lower()
    if suffix in ONNX_SUFFIXES:
        from .onnx_index import load_onnx

        return load_onnx(p)
    if suffix in TORCH_SUFFIXES:
        from .torch_index import load_torch

        return load_torch(p)
    raise ModelError(f"{path}: unknown model kind '{p.suffix}'; give an ONNX model (.onnx) for calibration "
                     "configs or a PyTorch model (.pt/.pth) for distillation configs")
