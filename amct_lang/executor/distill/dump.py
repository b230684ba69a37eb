"""data_dump: the teacher's block inputs and outputs on disk, one .npy file per block and batch.

The size is known before anything is written (one teacher pass per batch gives every block's
input and output shape), so a run that the disk cannot hold is refused up front. Files go to a
folder in the work area while the run lasts and move to `PREFIX_dump/` with the other outputs.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .blocks import Block
from .train import run_chain

MARGIN = 1.05  # headroom over the estimate (file headers, the index)


class DumpError(OSError):
    """The dump cannot be written (not enough space, or the folder is unusable)."""


def teacher_pass(teacher: nn.Module, blocks: Sequence[Block],
                 batch: Any) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Every block's teacher input and output for one batch, from one forward pass."""
    inputs: dict[str, torch.Tensor] = {}
    handles = []
    for block in blocks:
        start = block.modules[0]

        def hook(_m: nn.Module, args: tuple[Any, ...], name: str = start) -> None:
            inputs.setdefault(name, args[0].detach())

        handles.append(teacher.get_submodule(start).register_forward_pre_hook(hook))
    try:
        with torch.no_grad():
            teacher(*batch) if isinstance(batch, (tuple, list)) else teacher(batch)
    finally:
        for h in handles:
            h.remove()
    out = []
    with torch.no_grad():
        for block in blocks:
            x = inputs[block.modules[0]]
            out.append((x, run_chain([teacher.get_submodule(n) for n in block.modules], x)))
    return out


def estimate(teacher: nn.Module, blocks: Sequence[Block], batches: Sequence[Any]) -> int:
    """Bytes the dump takes: every block's input and output for every batch (from the first batch's
    shapes, scaled by each batch's size)."""
    first = teacher_pass(teacher, blocks, batches[0])
    per_sample = sum(x[0].numel() // max(1, x[0].shape[0]) + x[1].numel() // max(1, x[1].shape[0])
                     for x in first) * 4
    samples = sum(int((b[0] if isinstance(b, (tuple, list)) else b).shape[0]) for b in batches)
    return per_sample * samples


def check_space(folder: str, needed: int) -> None:
    os.makedirs(folder, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if needed * MARGIN > free:
        raise DumpError(f"data_dump needs about {_size(needed)} in {folder}, but only {_size(free)} are "
                        "free; free some space, or set data_dump: false to keep the teacher's data in memory")


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TiB"


def write(folder: str, teacher: nn.Module, blocks: Sequence[Block], batches: Sequence[Any]) -> None:
    """Dump every block's teacher input/output for every batch into `folder`."""
    for step, batch in enumerate(batches):
        for i, (x, y) in enumerate(teacher_pass(teacher, blocks, batch)):
            np.save(os.path.join(folder, f"block{i:03d}_input_{step}.npy"), x.numpy())
            np.save(os.path.join(folder, f"block{i:03d}_output_{step}.npy"), y.numpy())
    index = {"blocks": [list(b.modules) for b in blocks], "batches": len(batches)}
    with open(os.path.join(folder, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)


def load(folder: str, block: int, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = np.load(os.path.join(folder, f"block{block:03d}_input_{step}.npy"))
    y = np.load(os.path.join(folder, f"block{block:03d}_output_{step}.npy"))
    return torch.from_numpy(x), torch.from_numpy(y)


def complete(folder: str, blocks: int, batches: int) -> bool:
    """Whether a dump folder holds every file (a run interrupted while dumping leaves it partial)."""
    try:
        with open(os.path.join(folder, "index.json"), encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, ValueError):
        return False
    return len(index.get("blocks", ())) == blocks and index.get("batches") == batches


def size_text(n: int) -> str:
    return _size(n)
