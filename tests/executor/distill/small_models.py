"""Small PyTorch models for the block-formation tests, shared by tools/amct_distill_oracle.py, which
records the blocks AMCT forms on them (tests/executor/distill/fixtures/amct_blocks.json)."""

from __future__ import annotations

import torch
from torch import nn


class Plain(nn.Module):
    """conv-bn-relu twice, a max-pool, conv-relu, flatten, linear."""

    input_shape = (1, 1, 8, 8)

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.relu2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(8, 16, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.relu3(self.conv3(self.pool(x)))
        return self.fc(torch.flatten(x, 1))


class Residual(nn.Module):
    """A stem, one residual block (the add and the relu after it are functional), a head."""

    input_shape = (1, 3, 8, 8)

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.stem_bn = nn.BatchNorm2d(8)
        self.stem_act = nn.ReLU()
        self.conv_a = nn.Conv2d(8, 8, 3, padding=1)
        self.bn_a = nn.BatchNorm2d(8)
        self.act_a = nn.ReLU()
        self.conv_b = nn.Conv2d(8, 8, 3, padding=1)
        self.bn_b = nn.BatchNorm2d(8)
        self.conv_c = nn.Conv2d(8, 4, 1)
        self.act_c = nn.LeakyReLU(0.1)
        self.fc = nn.Linear(4 * 8 * 8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem_act(self.stem_bn(self.stem(x)))
        y = self.bn_b(self.conv_b(self.act_a(self.bn_a(self.conv_a(x)))))
        x = torch.relu(x + y)
        x = self.act_c(self.conv_c(x))
        return self.fc(x.flatten(1))


class Mlp(nn.Module):
    """Linear layers in an nn.Sequential with several activation types."""

    input_shape = (2, 12)

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(12, 16), nn.Tanh(),
            nn.Linear(16, 16), nn.Sigmoid(),
            nn.Linear(16, 16), nn.ReLU(),
            nn.Linear(16, 6),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class Branch(nn.Module):
    """A conv whose output feeds two convs (no single consumer), then a concatenation."""

    input_shape = (1, 2, 6, 6)

    def __init__(self) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(2, 4, 1)
        self.left = nn.Conv2d(4, 4, 3, padding=1)
        self.left_bn = nn.BatchNorm2d(4)
        self.right = nn.Conv2d(4, 4, 1)
        self.right_act = nn.ReLU()
        self.merge = nn.Conv2d(8, 3, 1)
        self.merge_bn = nn.BatchNorm2d(3)
        self.merge_act = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv0(x)
        a = self.left_bn(self.left(x))
        b = self.right_act(self.right(x))
        return self.merge_act(self.merge_bn(self.merge(torch.cat([a, b], 1))))


MODELS: dict[str, type[nn.Module]] = {"plain": Plain, "residual": Residual, "mlp": Mlp, "branch": Branch}

# (model, config text): the configurations whose blocks are compared with AMCT's
CASES: list[tuple[str, str]] = [
    ("plain", "group_size: 1"),
    ("plain", "group_size: 2"),
    ("plain", "group_size: 3"),
    ("plain", 'group_size: 2 distill_group { start_layer_name: "conv2" end_layer_name: "relu2" }'),
    ("residual", "group_size: 1"),
    ("residual", "group_size: 2"),
    ("residual", 'group_size: 2 distill_group { start_layer_name: "conv_a" end_layer_name: "bn_b" }'),
    ("mlp", "group_size: 1"),
    ("mlp", "group_size: 2"),
    ("mlp", 'group_size: 3 distill_group { start_layer_name: "body.2" end_layer_name: "body.5" }'),
    ("branch", "group_size: 1"),
    ("branch", "group_size: 2"),
]
