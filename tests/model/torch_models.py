"""Real PyTorch modules for the distillation tests (import only where torch is installed)."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn


class ResidualNet(nn.Module):
    """conv1-bn1-relu1, then two branches joined by an add: conv2-bn2-relu2 and a 1x1 `shortcut`;
    then pooling and a Linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.relu2 = nn.ReLU()
        self.shortcut = nn.Conv2d(8, 8, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.bn1(self.conv1(x)))
        y = self.relu2(self.bn2(self.conv2(x))) + self.shortcut(x)
        return self.fc(torch.flatten(self.pool(y), 1))


class Untraceable(nn.Module):
    """A forward with data-dependent control flow, which torch.fx cannot trace."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3))
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.features(x)
        if y.sum() > 0:
            y = y * 2
        return self.head(y.mean(dim=(2, 3)))


def save_pickled(module: nn.Module, path: Path) -> Path:
    torch.save(module, str(path))
    return path


def save_script(module: nn.Module, path: Path) -> Path:
    with warnings.catch_warnings():  # deprecated since torch 2.9, still what many users have
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(module), str(path))
    return path
