"""Re-derive AMCT's own post-training quantization records for the PTQ fidelity tests.

    python tools/amct_ptq_oracle.py --amct PATH            # compare with tests/executor/ptq/fixtures/amct
    python tools/amct_ptq_oracle.py --amct PATH --write    # rebuild the fixtures and record AMCT anew
    python tools/amct_ptq_oracle.py --amct PATH --only cnn_symmetric

PATH is a copy of github.com/hicann/amct (a work tree or a bare git directory). AMCT PyTorch's
classic graph-based tool is brought up as `tools/amct_verdicts.py` does it (protos compiled with
grpc_tools.protoc, the two package __init__ files that import transformers replaced by stubs,
torch.onnx.export defaulting to dynamo=False).

For every case below, a seeded torch model (BatchNorm with non-trivial running statistics) is
quantized by AMCT's public API (create_quant_config -> quantize_model -> batch_num calibration
forwards -> save_model) with the case's config, and the same model is exported to ONNX (BN kept:
dynamo=False, TrainingMode.PRESERVE, no constant folding, opset 17) with its quantizable nodes
renamed to the torch module names, so the record keys are the same on both sides. --write stores,
per case, in tests/executor/ptq/fixtures/amct/<case>/: model.onnx, calib.npz (the calibration
samples, first axis = samples), amct.cfg (what AMCT read), onnx.cfg (the same config in the
calibration-onnx dialect) and record.json (AMCT's numbers: facts, no AMCT code). The tests then
need neither torch nor AMCT.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "executor" / "ptq" / "fixtures" / "amct"
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))

BATCH = 4  # samples per calibration batch

# case -> (model, AMCT PyTorch config, the same in the calibration-onnx dialect, batch_num)
CASES: dict[str, dict[str, Any]] = {
    "cnn_default": {"model": "cnn", "cfg": "batch_num: 2\n"},
    "cnn_symmetric": {"model": "cnn", "cfg": "batch_num: 2\nactivation_offset: false\n"},
    "cnn_per_tensor": {
        "model": "cnn",
        "cfg": (
            "batch_num: 3\n"
            "common_config {\n"
            "    arq_quantize { channel_wise: false }\n"
            "    ifmr_quantize {\n"
            "        search_range_start: 0.8\n        search_range_end: 1.2\n        search_step: 0.02\n"
            "        max_percentile: 0.9999\n        min_percentile: 0.9999\n        asymmetric: true\n"
            "    }\n"
            "}\n"
        ),
    },
    "dw_symmetric_overrides": {
        "model": "dw",
        "cfg": (
            "batch_num: 2\nactivation_offset: false\n"
            'skip_layers: "conv3"\n'
            'override_layer_configs {\n    layer_name: "fc"\n    calibration_config {\n'
            "        arq_quantize { channel_wise: false }\n"
            "        ifmr_quantize { asymmetric: true search_range_start: 0.7 search_range_end: 1.3 "
            "search_step: 0.02 }\n"
            "    }\n}\n"
        ),
        "types": {"Conv2d": "Conv"},
    },
    "dw_default": {"model": "dw", "cfg": "batch_num: 2\n"},
}


# -- models -----------------------------------------------------------------------------------------
def models() -> dict[str, Any]:
    import torch
    from torch import nn

    class Cnn(nn.Module):
        """Conv+BN+ReLU, AvgPool, Conv+BN+ReLU (stride 2), Linear."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(8)
            self.pool = nn.AvgPool2d(2)
            self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(16)
            self.fc = nn.Linear(16 * 4 * 4, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.pool(torch.relu(self.bn1(self.conv1(x))))
            x = torch.relu(self.bn2(self.conv2(x)))
            return self.fc(torch.flatten(x, 1))

    class Depthwise(nn.Module):
        """Conv+BN+ReLU6, depthwise Conv+BN+ReLU6, 1x1 Conv+BN, global pooling, Linear."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            self.conv2 = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
            self.bn2 = nn.BatchNorm2d(16)
            self.conv3 = nn.Conv2d(16, 24, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(24)
            self.fc = nn.Linear(24, 5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.nn.functional.relu6(self.bn1(self.conv1(x)))
            x = torch.nn.functional.relu6(self.bn2(self.conv2(x)))
            x = self.bn3(self.conv3(x))
            return self.fc(x.mean(dim=(2, 3)))

    return {"cnn": Cnn, "dw": Depthwise}


def build(name: str, samples: int) -> tuple[Any, Any]:
    """The seeded model `name` in eval mode with non-trivial BN statistics, and its samples."""
    import torch

    torch.manual_seed(10)
    model = models()[name]()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)
            assert n > 0
    model.eval()
    data = torch.randn(samples, 3, 16, 16) * 1.5 + 0.2
    return model, data


def batch_num(cfg: str) -> int:
    for line in cfg.splitlines():
        if line.strip().startswith("batch_num:"):
            return int(line.split(":")[1])
    return 1


def onnx_cfg(case: dict[str, Any]) -> str:
    """The AMCT PyTorch config as a calibration-onnx config (layer types in ONNX spelling)."""
    text = str(case["cfg"])
    for torch_type, onnx_type in case.get("types", {}).items():
        text = text.replace(f'"{torch_type}"', f'"{onnx_type}"')
    return "# amct-dialect: calibration-onnx\n" + text


# -- ONNX export ------------------------------------------------------------------------------------
def export_onnx(model: Any, sample: Any, path: Path) -> None:
    """Export with BN kept; quantizable nodes renamed to their module names ("/conv1/Conv" -> "conv1",
    "/features/features.1/conv/conv.0/conv.0.0/Conv" -> "features.1.conv.0.0")."""
    import onnx
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.onnx")
        torch.onnx.export(
            model,
            (sample,),
            raw,
            dynamo=False,
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False,
            opset_version=17,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "n"}, "output": {0: "n"}},
        )
        proto = onnx.load(raw)
    for node in proto.graph.node:
        parts = node.name.strip("/").split("/")
        if node.op_type in ("Conv", "Gemm", "AveragePool", "MatMul", "ConvTranspose") and len(parts) >= 2:
            node.name = module_name(parts[:-1])
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def module_name(scopes: list[str]) -> str:
    """The torch module name from the exporter's scope path: ["features", "features.1", "conv",
    "conv.0", "conv.0.0"] -> "features.1.conv.0.0" (a scope that extends the previous one names a
    child of a Sequential)."""
    full, previous = "", ""
    for scope in scopes:
        if previous and scope.startswith(previous + "."):
            full += scope[len(previous):]
        else:
            full = f"{full}.{scope}" if full else scope
        previous = scope
    return full


# -- AMCT -------------------------------------------------------------------------------------------
def run_amct(name: str, case: dict[str, Any], work: Path) -> dict[str, Any]:
    """AMCT's record for one case (in a forked child; AMCT keeps singletons)."""
    import torch

    from amct_lang.executor.record import read_record

    amct = sys.modules["amct_pytorch.classic.graph_based.amct_pytorch"]
    cfg = str(case["cfg"])
    n = batch_num(cfg)
    model, data = build(case["model"], n * BATCH)
    cfg_path = work / "amct.cfg"
    cfg_path.write_text(cfg, encoding="utf-8")
    config = str(work / "config.json")
    sample = data[:BATCH]
    amct.create_quant_config(config, model, sample, config_defination=str(cfg_path))
    record = str(work / "record.txt")
    calibration = amct.quantize_model(config, str(work / "modified.onnx"), record, model, sample)
    with torch.no_grad():
        for i in range(n):
            calibration(data[i * BATCH : (i + 1) * BATCH])
    amct.save_model(str(work / "modified.onnx"), record, str(work / "out"))
    records = read_record(Path(record).read_text(encoding="utf-8"))
    return {
        key: {
            "scale_d": r.scale_d,
            "offset_d": r.offset_d,
            "scale_w": list(r.scale_w),
            "offset_w": list(r.offset_w),
        }
        for key, r in records.items()
    }


def _child(args: tuple[str, str]) -> tuple[str, dict[str, Any] | str]:
    name, scratch = args
    work = Path(scratch) / name
    work.mkdir(parents=True, exist_ok=True)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    try:
        return name, run_amct(name, CASES[name], work)
    except Exception as exc:  # noqa: BLE001 - reported per case
        return name, f"{type(exc).__name__}: {exc}"


def write_fixture(name: str, case: dict[str, Any], record: dict[str, Any]) -> None:
    import numpy as np

    folder = FIXTURES / name
    folder.mkdir(parents=True, exist_ok=True)
    n = batch_num(str(case["cfg"]))
    model, data = build(case["model"], n * BATCH)
    export_onnx(model, data[:BATCH], folder / "model.onnx")
    np.savez(folder / "calib.npz", input=data.numpy().astype(np.float32))
    (folder / "amct.cfg").write_text(str(case["cfg"]), encoding="utf-8")
    (folder / "onnx.cfg").write_text(onnx_cfg(case), encoding="utf-8")
    (folder / "record.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def compare(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems = []
    for key in sorted(set(expected) | set(got)):
        if key not in got or key not in expected:
            problems.append(f"{key}: only in {'the fixture' if key in expected else 'AMCT now'}")
            continue
        e, g = expected[key], got[key]
        if e != g:
            problems.append(f"{key}: {e} != {g}")
    return problems


def mobilenet_child(args: tuple[str, int]) -> dict[str, Any] | str:
    """AMCT's record for torchvision's MobileNetV2 on `crops` benchmark crops (batches of 4)."""
    scratch, crops = args
    sys.path.insert(0, str(REPO / "benchmarks"))
    import mobilenet_v2

    work = Path(scratch) / "mobilenet"
    work.mkdir(parents=True, exist_ok=True)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    try:
        import torch

        from amct_lang.executor.record import read_record

        amct = sys.modules["amct_pytorch.classic.graph_based.amct_pytorch"]
        model = mobilenet_v2.pretrained()
        data = torch.from_numpy(mobilenet_v2.crops(crops, seed=0))
        cfg = work / "amct.cfg"
        cfg.write_text(f"batch_num: {crops // BATCH}\n", encoding="utf-8")
        config = str(work / "config.json")
        amct.create_quant_config(config, model, data[:BATCH], config_defination=str(cfg))
        record = str(work / "record.txt")
        calibration = amct.quantize_model(config, str(work / "modified.onnx"), record, model, data[:BATCH])
        with torch.no_grad():
            for i in range(crops // BATCH):
                calibration(data[i * BATCH : (i + 1) * BATCH])
        records = read_record(Path(record).read_text(encoding="utf-8"))
        return {
            k: {
                "scale_d": r.scale_d,
                "offset_d": r.offset_d,
                "scale_w": list(r.scale_w),
                "offset_w": list(r.offset_w),
            }
            for k, r in records.items()
        }
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


def compare_mobilenet(record: dict[str, Any], crops: int, scratch: Path) -> int:
    """amct-lang run --exact on the ONNX export of the same model and crops, against AMCT's record."""
    import numpy as np

    sys.path.insert(0, str(REPO / "benchmarks"))
    import mobilenet_v2

    from amct_lang.executor.ptq import quantize

    model = mobilenet_v2.pretrained()
    x = mobilenet_v2.crops(crops, seed=0)
    import torch

    path = scratch / "mobilenet_v2.onnx"
    export_onnx(model, torch.from_numpy(x[:BATCH]), path)
    ours = quantize(
        f"# amct-dialect: calibration-onnx\nbatch_num: {crops // BATCH}\n",
        path,
        [{"input": x[i * BATCH : (i + 1) * BATCH]} for i in range(crops // BATCH)],
        exact=True,
    ).record
    worst_d = worst_w = 0.0
    same_offsets = 0
    for key, want in record.items():
        got = ours[key]
        worst_d = max(worst_d, abs(got.scale_d / want["scale_d"] - 1))
        worst_w = max(worst_w, float(np.max(np.abs(np.array(got.scale_w) / np.array(want["scale_w"]) - 1))))
        same_offsets += got.offset_d == want["offset_d"] and list(got.offset_w) == want["offset_w"]
    print(
        f"mobilenet_v2 ({crops} crops): {len(record)} layers, {same_offsets} with every offset equal, "
        f"largest relative difference scale_d {worst_d:.2g}, scale_w {worst_w:.2g}; keys equal: "
        f"{set(record) == set(ours)}"
    )
    return (
        0 if set(record) == set(ours) and same_offsets == len(record) and max(worst_d, worst_w) <= 1e-5 else 1
    )


def main(argv: list[str] | None = None) -> int:
    from amct_verdicts import bring_up, compile_protos, work_tree

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amct", type=Path, required=True, help="a copy of github.com/hicann/amct")
    parser.add_argument("--write", action="store_true", help="rebuild the fixtures and record AMCT anew")
    parser.add_argument("--only", action="append", default=[], help="a case name (repeatable)")
    parser.add_argument(
        "--mobilenet",
        type=int,
        metavar="CROPS",
        help="instead: MobileNetV2 with its ImageNet "
        "weights (benchmarks/mobilenet_v2.py) on CROPS crops, --exact against AMCT",
    )
    args = parser.parse_args(argv)
    names = args.only or list(CASES)
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        src = work_tree(args.amct.resolve(), scratch)
        generated = scratch / "generated"
        compile_protos(src, generated)
        bring_up(src, generated)
        context = multiprocessing.get_context("fork")
        if args.mobilenet:
            with context.Pool(1, maxtasksperchild=1) as pool:
                found = pool.map(mobilenet_child, [(str(scratch / "runs"), args.mobilenet)])[0]
            if isinstance(found, str):
                print(f"mobilenet_v2: AMCT failed: {found}")
                return 1
            return compare_mobilenet(found, args.mobilenet, scratch)
        with context.Pool(1, maxtasksperchild=1) as pool:
            results = pool.map(_child, [(n, str(scratch / "runs")) for n in names])
    status = 0
    for name, record in results:
        if isinstance(record, str):
            print(f"{name}: AMCT failed: {record}")
            status = 1
            continue
        if args.write:
            write_fixture(name, CASES[name], record)
            print(f"{name}: {len(record)} layers recorded")
            continue
        stored = json.loads((FIXTURES / name / "record.json").read_text(encoding="utf-8"))
        problems = compare(stored, record)
        print(f"{name}: {'same as the fixture' if not problems else 'DIFFERENT'}")
        for p in problems:
            print(f"  {p}")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main())
