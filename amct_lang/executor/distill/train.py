"""Block-by-block training of the student against the teacher (executor.md §7), as AMCT does it:

for each block in order, for each batch: the teacher's input at the block's first module and the
teacher block's output (its modules run one after another); the student's own input at the same
point (earlier blocks already distilled), replaced by the teacher's when the two differ by more
than half the smaller mean square (AMCT's guard against a diverged prefix); MSE between the
student block's output and the teacher's; AdamW with the clip / scale / other learning rates.

The inputs and targets of a block are computed once per block (the prefix does not change while
the block trains) and reused by every epoch.
"""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .blocks import Block
from .student import param_groups


class _Reached(Exception):
    """Raised by a forward hook to stop the model at a block's first module."""


@dataclass
class BlockResult:
    block: Block
    loss_before: float
    loss_after: float
    epoch_losses: list[float] = field(default_factory=list)
    teacher_input_used: int = 0  # batches where the student's own input had diverged
    restored: bool = False  # training made the block worse: its starting state was put back


@contextmanager
def _stop_at(module: nn.Module, sink: list[torch.Tensor]) -> Iterator[None]:
    def hook(_m: nn.Module, inputs: tuple[Any, ...]) -> None:
        sink.append(inputs[0].detach())
        raise _Reached

    handle = module.register_forward_pre_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def input_of(model: nn.Module, module_name: str, batch: Any) -> torch.Tensor:
    """The input the module receives when `model` runs on `batch` (the forward stops there)."""
    sink: list[torch.Tensor] = []
    with torch.no_grad(), _stop_at(model.get_submodule(module_name), sink):
        try:
            model(*batch) if isinstance(batch, (tuple, list)) else model(batch)
        except _Reached:
            pass
    if not sink:
        raise RuntimeError(f"'{module_name}' was not called when the model ran on the data")
    return sink[0]


def run_chain(modules: Sequence[nn.Module], x: torch.Tensor) -> torch.Tensor:
    for m in modules:
        x = m(x)
    return x


def choose_input(teacher_in: torch.Tensor, student_in: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """The student's own input, unless it is too far from the teacher's (then the teacher's)."""
    norm_t = float((teacher_in ** 2).mean())
    norm_s = float((student_in ** 2).mean())
    diff = float(((teacher_in - student_in) ** 2).mean())
    if diff > min(norm_t, norm_s) * 0.5:
        return teacher_in, True
    return student_in, False


TeacherSide = Callable[[int], tuple[torch.Tensor, torch.Tensor]]  # batch index -> (input, output)


def block_data(teacher: nn.Module, student: nn.Module, block: Block, batches: Sequence[Any],
               teacher_side: TeacherSide | None = None
               ) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], int]:
    """(student input, teacher output) per batch, and how often the teacher's input stood in.
    `teacher_side` gives the teacher's block input and output (from a dump); by default they are
    computed."""
    teacher_modules = [teacher.get_submodule(n) for n in block.modules]
    pairs = []
    replaced = 0
    for step, batch in enumerate(batches):
        if teacher_side is not None:
            t_in, target = teacher_side(step)
        else:
            t_in = input_of(teacher, block.modules[0], batch)
            with torch.no_grad():
                target = run_chain(teacher_modules, t_in)
        s_in, swapped = choose_input(t_in, input_of(student, block.modules[0], batch))
        replaced += swapped
        pairs.append((s_in, target))
    return pairs, replaced


def mean_loss(modules: Sequence[nn.Module], pairs: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> float:
    loss = nn.MSELoss()
    with torch.no_grad():
        return sum(float(loss(run_chain(modules, x), y)) for x, y in pairs) / max(1, len(pairs))


Progress = Callable[[str, int, int], None]  # (what, done, total)


def train_block(student: nn.Module, block: Block, pairs: Sequence[tuple[torch.Tensor, torch.Tensor]],
                epochs: int, lr: float, progress: Progress | None = None) -> BlockResult:
    """Train one block. [design] The learning rates (AMCT's: clips 0.1, weight scales 1e-4, the rest
    `lr`) decay to 0 along a cosine over the block's steps, so training ends on a settled state
    rather than on the last of many 0.1-sized clip steps; and a block whose loss ends above where it
    started gets its starting state back (AMCT keeps whatever the last step left)."""
    modules = [student.get_submodule(n) for n in block.modules]
    before = mean_loss(modules, pairs)
    groups = param_groups(modules, lr)
    result = BlockResult(block, before, before)
    if not groups:
        return result
    start_state = [copy.deepcopy(m.state_dict()) for m in modules]
    optimizer = torch.optim.AdamW(groups, lr=lr)
    total = epochs * len(pairs)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / total)))
    loss_fn = nn.MSELoss()
    for epoch in range(epochs):
        running = 0.0
        for step, (x, y) in enumerate(pairs):
            with torch.enable_grad():
                loss = loss_fn(run_chain(modules, x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            running += float(loss.detach())
            if progress is not None:
                progress(block.name, epoch * len(pairs) + step + 1, total)
        result.epoch_losses.append(running / max(1, len(pairs)))
    result.loss_after = mean_loss(modules, pairs)
    if not result.loss_after <= before:  # also when the loss became NaN
        for m, state in zip(modules, start_state, strict=True):
            m.load_state_dict(state)
        result.restored = True
        result.loss_after = mean_loss(modules, pairs)
    return result


class ProgressBar:
    """A one-line progress bar on standard error (tqdm when installed and the stream is a terminal)."""

    def __init__(self, blocks: int, stream: Any = None, first: int = 0) -> None:
        self.blocks = blocks
        self.stream = stream or sys.stderr
        self.current: Any = None
        self.name = ""
        self.index = first  # blocks finished before this run (a resumed one)

    def __call__(self, name: str, done: int, total: int) -> None:
        if name != self.name:
            self.close()
            self.name = name
            self.index += 1
            self.current = self._bar(total, f"block {self.index}/{self.blocks} {name}")
        if self.current is not None:
            self.current.update(1)

    def _bar(self, total: int, desc: str) -> Any:
        if not getattr(self.stream, "isatty", lambda: False)():
            return None
        try:
            from tqdm import tqdm
        except ImportError:
            return None
        return tqdm(total=total, desc=desc, file=self.stream, leave=False)

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None

    def done(self, result: BlockResult, index: int) -> None:
        self.close()
        print(f"block {index + 1}/{self.blocks} {result.block.name}: loss {result.loss_before:.4g} -> "
              f"{result.loss_after:.4g}", file=self.stream)
