"""`amct_lang.distill(...)`: quantization-aware distillation from Python."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from .run import DistillError, DistillResult, execute, prepare


def as_batches(data: Any, batch_size: int = 16) -> list[Any]:
    """Batches from a tensor or array (split along the first axis), a sequence of batches, or an
    iterable such as a DataLoader (of tensors, or of (input, label) pairs: the input is taken)."""
    if isinstance(data, np.ndarray):
        data = torch.from_numpy(np.ascontiguousarray(data))
    if isinstance(data, torch.Tensor):
        if data.dim() == 0 or data.shape[0] == 0:
            raise DistillError("the data holds no sample")
        return list(torch.split(data.to(torch.float32), batch_size))
    if isinstance(data, Iterable):
        out = []
        for item in data:
            if isinstance(item, (tuple, list)) and item and isinstance(item[0], torch.Tensor):
                item = item[0]
            if isinstance(item, np.ndarray):
                item = torch.from_numpy(item)
            if not isinstance(item, torch.Tensor):
                raise DistillError(f"the data yields a {type(item).__name__}; give tensors (or (input, "
                                   "label) pairs)")
            out.append(item.to(torch.float32))
        return out
    raise DistillError(f"cannot read batches from a {type(data).__name__}; give a tensor, an array or a "
                       "DataLoader")


def read_config(config: str | os.PathLike[str]) -> str:
    """The config text: `config` is a path when it names an existing file, else the text itself."""
    if isinstance(config, os.PathLike) or ("\n" not in config and os.path.isfile(config)):
        with open(config, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    return str(config)


def distill(config: str | os.PathLike[str], model: nn.Module, data: Any, output: str | None = None, *,
            epochs: int = 1, lr: float = 1e-3, teacher: nn.Module | None = None, batch_size: int = 16,
            resume: bool = False, overwrite: bool = False, progress: bool = False) -> DistillResult:
    """Distill `model` into its fake-quantized student as the distill config describes.

    config: a distill config file or its text. model: the float torch.nn.Module (not changed).
    data: training inputs (tensor/array split into `batch_size` batches, or a DataLoader).
    output: a prefix for the outputs (QDQ ONNX, state_dict, record, report); None writes nothing.
    teacher: the float model the student learns from (default: `model`).
    Raises DistillError (with positioned diagnostics for config problems) before any training when
    the run cannot go on.
    """
    text = read_config(config)
    prep = prepare(text, model, as_batches(data, batch_size), teacher=teacher, output=output,
                   overwrite=overwrite, resume=resume)
    return execute(prep, epochs=epochs, lr=lr, output=output, resume=resume, overwrite=overwrite,
                   progress=progress)
