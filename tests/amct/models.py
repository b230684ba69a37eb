"""The small PyTorch models the AMCT probes are judged against (built here, never stored).

`tools/amct_verdicts.py` hands the same models to AMCT; the differential test saves them as
TorchScript for `amct-lang check --model`. Names are what a probe's `# amct-model:` header says.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class Cnn(nn.Module):
    """conv1-bn1-relu1, avgpool, conv2 (depthwise)-relu2, conv3 (1x1), then a Linear `fc`."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(4, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.pool = nn.AvgPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(8, 8, 1)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.relu1(self.bn1(self.conv1(x))))
        x = self.conv3(self.relu2(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


class Mixed(nn.Module):
    """Conv1d, ConvTranspose1d, MaxPool1d and two Linear layers: the other PyTorch types."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 8, 3, padding=1)
        self.relu = nn.ReLU()
        self.deconv = nn.ConvTranspose1d(8, 8, 2, stride=2)
        self.maxpool = nn.MaxPool1d(2)
        self.fc1 = nn.Linear(8 * 8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.deconv(self.relu(self.conv(x))))
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


class Head(nn.Module):
    """Only a MaxPool2d and a Linear: one quantizable layer."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(x), 1))


class Volume(nn.Module):
    """Conv3d-bn-relu, a ConvTranspose2d after pooling the depth away, and a Linear `fc`."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm3d(4)
        self.relu = nn.ReLU()
        self.up = nn.ConvTranspose2d(4, 4, 2, stride=2)
        self.fc = nn.Linear(4 * 8 * 8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn(self.conv(x))).mean(dim=2)
        return self.fc(torch.flatten(self.up(x), 1))


class Recurrent(nn.Module):
    """An LSTM (given its initial state: AMCT needs hx) and a Linear head on its last step."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 8, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state = torch.zeros(1, x.shape[0], 8)
        y, _ = self.lstm(x, (state, state))
        return self.fc(y[:, -1])


MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "cnn": (Cnn, (2, 4, 8, 8)),
    "mixed": (Mixed, (2, 4, 8)),
    "head": (Head, (2, 4, 8, 8)),
    "volume": (Volume, (2, 2, 4, 4, 4)),
    "recurrent": (Recurrent, (2, 5, 4)),
}


def build(name: str) -> tuple[nn.Module, torch.Tensor]:
    """The model `name` (fixed weights) and an input batch for it."""
    factory, shape = MODELS[name]
    torch.manual_seed(0)
    model = factory().eval()
    return model, torch.randn(*shape)
