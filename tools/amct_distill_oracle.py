"""Re-derive the distillation test expectations by running AMCT's own code.

    python tools/amct_distill_oracle.py --amct /path/to/amct [--out tests/executor/distill/fixtures]

`--amct` is a checkout (work tree) of github hicann/amct that holds
`amct_pytorch/classic/graph_based/amct_pytorch/` and `amct_pytorch/common/`, with the `*_pb2.py`
modules generated from its `proto/` folder (`python -m grpc_tools.protoc -I. --python_out=.
amct_pytorch/classic/graph_based/amct_pytorch/proto/*.proto`, run in the checkout). AMCT's package
`__init__` files import compiled parts and every tool; they are not run: the parent packages are
registered as plain namespaces and only the modules needed are imported.

Writes:
- `ulq_amct.npz`: AMCT's UlqRetrainFuncQAT (INT8/INT4, fixed_min on/off, clips inside, around and
  outside the data) and ArqRetrainFuncQAT (INT8/INT4, per channel/tensor, Conv2d and Linear
  weights) on seeded tensors: inputs, forward outputs, scales, offsets and gradients.
- `amct_blocks.json`: the distill blocks AMCT's create_distill_config forms for the models and
  configs of `small_models.CASES`.
Nothing from AMCT is copied: only the numbers its functions return.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import json
import os
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "tests" / "executor" / "distill" / "fixtures"
PACKAGE = "amct_pytorch.classic.graph_based.amct_pytorch"

# (bits, fixed_min, clip_max, clip_min, clip_max_pre, clip_min_pre): the ULQ cases
ULQ_CASES: list[tuple[int, bool, float, float, float, float]] = [
    (8, False, 2.5, -1.25, 2.0, -1.0),
    (8, True, 2.5, -1.25, 2.0, -1.0),
    (4, False, 2.5, -1.25, 2.0, -1.0),
    (4, True, 2.5, -1.25, 2.0, -1.0),
    (8, False, 7.0, -6.5, 2.0, -1.0),  # clips wider than the data
    (4, False, 0.3, -0.2, 2.0, -1.0),  # most values clipped
    (8, False, 1.5, 0.5, 2.0, -1.0),  # clip_min > 0: falls back to the previous clip_min
    (4, True, -0.5, -1.0, 2.0, -1.0),  # clip_max < 0: falls back to the previous clip_max
]
# (weight shape, bits, channel_wise): the ARQ cases
ARQ_CASES: list[tuple[tuple[int, ...], int, bool]] = [
    ((6, 3, 3, 3), 8, True), ((6, 3, 3, 3), 8, False), ((6, 3, 3, 3), 4, True), ((6, 3, 3, 3), 4, False),
    ((10, 7), 8, False), ((10, 7), 4, False), ((10, 7), 8, True),
]


def load_amct(root: Path) -> dict[str, Any]:
    """AMCT's modules, imported without running its package __init__ files."""
    for name, rel in (("amct_pytorch", "amct_pytorch"), ("amct_pytorch.classic", "amct_pytorch/classic"),
                      ("amct_pytorch.classic.graph_based", "amct_pytorch/classic/graph_based"),
                      (PACKAGE, "amct_pytorch/classic/graph_based/amct_pytorch")):
        module = types.ModuleType(name)
        module.__path__ = [str(root / rel)]
        sys.modules[name] = module
    # AMCT exports with the TorchScript-based ONNX exporter; torch >= 2.9 defaults to dynamo
    original = torch.onnx.export

    @functools.wraps(original)
    def legacy_export(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("dynamo", False)
        return original(*args, **kwargs)

    torch.onnx.export = legacy_export  # type: ignore[assignment]
    return {
        "ulq": importlib.import_module(f"{PACKAGE}.custom_op.ulq_retrain.ulq_retrain").UlqRetrainFuncQAT,
        "arq": importlib.import_module(f"{PACKAGE}.custom_op.arq_retrain.arq_retrain").ArqRetrainFuncQAT,
        "interface": importlib.import_module(f"{PACKAGE}.distillation_interface"),
    }


def ulq_expectations(ulq: Any) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for i, (bits, fixed_min, cmax, cmin, pmax, pmin) in enumerate(ULQ_CASES):
        gen = torch.Generator().manual_seed(100 + i)
        x = (torch.randn(2, 3, 5, 7, generator=gen) * 1.5).requires_grad_(True)
        g = torch.randn(2, 3, 5, 7, generator=gen)
        clip_max = torch.tensor(cmax, requires_grad=True)
        clip_min = torch.tensor(cmin, requires_grad=True)
        params = {"num_bits": bits, "fixed_min": fixed_min, "asymmetric": True,
                  "acts_scale": None, "acts_offset": None}
        y, scale, offset, used_max, used_min = ulq.apply(
            x, clip_max, clip_min, torch.tensor(pmax), torch.tensor(pmin), params, None, False, None, 1)
        y.backward(g)
        key = f"ulq{i}"
        out.update({f"{key}_x": x.detach().numpy(), f"{key}_g": g.numpy(), f"{key}_y": y.detach().numpy(),
                    f"{key}_scale": scale.detach().numpy(), f"{key}_offset": offset.numpy(),
                    f"{key}_used": np.array([used_max.item(), used_min.item()], np.float32),
                    f"{key}_grad_x": x.grad.numpy(),  # type: ignore[union-attr]
                    f"{key}_grad_clips": np.array([clip_max.grad.item(), clip_min.grad.item()],  # type: ignore[union-attr]
                                                  np.float32)})
    return out


def arq_expectations(arq: Any) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for i, (shape, bits, channel_wise) in enumerate(ARQ_CASES):
        gen = torch.Generator().manual_seed(200 + i)
        w = (torch.randn(*shape, generator=gen) * 0.3).requires_grad_(True)
        g = torch.randn(*shape, generator=gen)
        channels = shape[0] if channel_wise else 1
        scale, offset = torch.full((channels,), float("nan")), torch.full((channels,), float("nan"))
        params = {"num_bits": bits, "channel_wise": channel_wise, "with_offset": False,
                  "module_type": "Conv2d" if len(shape) == 4 else "Linear", "module": None}
        y, scale, _ = arq.apply(w, scale, offset, params, torch.zeros(channels, dtype=torch.int8))
        y.backward(g)
        key = f"arq{i}"
        out.update({f"{key}_w": w.detach().numpy(), f"{key}_g": g.numpy(), f"{key}_y": y.detach().numpy(),
                    f"{key}_scale": scale.detach().numpy(), f"{key}_grad_w": w.grad.numpy()})  # type: ignore[union-attr]
    return out


def block_expectations(interface: Any) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("small_models", FIXTURES.parent / "small_models.py")
    assert spec is not None and spec.loader is not None
    models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(models)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, text) in enumerate(models.CASES):
            torch.manual_seed(0)
            model = models.MODELS[name]().eval()
            cfg, out = os.path.join(tmp, f"{i}.cfg"), os.path.join(tmp, f"{i}.json")
            Path(cfg).write_text(text + "\n")
            interface.create_distill_config(out, model, torch.randn(*model.input_shape), cfg)
            groups = json.loads(Path(out).read_text())["distill_group"]
            results.append({"model": name, "config": text, "blocks": groups})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amct", required=True, type=Path, help="a work tree of github hicann/amct")
    parser.add_argument("--out", type=Path, default=FIXTURES)
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # AMCT writes its log folder (amct_log/) into the working directory
        try:
            amct = load_amct(args.amct.resolve())
            arrays = {**ulq_expectations(amct["ulq"]), **arq_expectations(amct["arq"])}
            blocks = block_expectations(amct["interface"])
        finally:
            os.chdir(here)
    np.savez_compressed(out / "ulq_amct.npz", **arrays)
    (out / "amct_blocks.json").write_text(json.dumps(blocks, indent=1) + "\n")
    print(f"wrote {len(ULQ_CASES)} ULQ and {len(ARQ_CASES)} ARQ cases, {len(blocks)} block cases "
          f"to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
