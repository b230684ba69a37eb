"""Blocks against the ones AMCT's create_distill_config forms (fixtures/amct_blocks.json, recorded by
tools/amct_distill_oracle.py), and the refusals for groups that cannot be blocks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the distillation executor needs torch (pip install torch)")

from torch import nn  # noqa: E402

from amct_lang.executor.distill.blocks import BlockError, form_blocks, trace  # noqa: E402

from .small_models import MODELS  # noqa: E402

CASES = json.loads((Path(__file__).parent / "fixtures" / "amct_blocks.json").read_text())


def _config(text: str) -> tuple[list[tuple[str, str]], int]:
    groups = re.findall(r'start_layer_name: "([^"]+)" end_layer_name: "([^"]+)"', text)
    size = re.search(r"group_size: (\d+)", text)
    return groups, int(size.group(1)) if size else 1


@pytest.mark.parametrize("case", CASES, ids=[f"{c['model']}:{c['config']}" for c in CASES])
def test_blocks_equal_amct(case: dict) -> None:
    groups, size = _config(case["config"])
    blocks = form_blocks(trace(MODELS[case["model"]]()), groups, size)
    assert [list(b.modules) for b in blocks] == case["blocks"]


def test_the_cases_include_cascades_user_groups_and_broken_chains() -> None:
    assert any(len(c["blocks"][0]) > 3 for c in CASES)  # a cascade of two units
    assert any("distill_group" in c["config"] for c in CASES)
    assert any(len(b) == 1 for c in CASES for b in c["blocks"])  # a unit cut short by a branch


class TwoHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(1, 2, 1)
        self.b = nn.Conv2d(2, 2, 1)
        self.c = nn.Conv2d(2, 2, 1)
        self.d = nn.Conv2d(2, 2, 1)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.a(x)
        y = self.b(x) + self.c(x)
        return self.d(torch.relu(y))


@pytest.mark.parametrize("groups,message", [
    ([("a", "d")], "more than one path"),
    ([("d", "a")], "are start and end swapped"),
    ([("b", "d")], "function call, not a module"),
    ([("a", "b"), ("b", "b")], "must not overlap"),
    ([("act", "d")], "not called in the model's forward"),
])
def test_groups_that_cannot_be_blocks(groups: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(BlockError, match=message) as info:
        form_blocks(trace(TwoHeads()), groups, 1)
    assert info.value.group == len(groups) - 1 or "path" in message
