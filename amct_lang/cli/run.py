"""amct-lang run CONFIG --model M.onnx --data CALIB --output PREFIX: post-training quantization.

Validates first (the same diagnostics as `check --model`, exit 1, nothing written), then quantizes
and writes PREFIX_fake_quant_model.onnx, PREFIX_deploy_model.onnx, PREFIX_record.txt,
PREFIX_report.json and PREFIX_report.html, all or none. Exit 2 for unusable input (model, data,
outputs in the way).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

from ..schema.dialects import DIALECTS

HELP = "quantize an ONNX model as a calibration config describes (post-training quantization)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", metavar="CONFIG", help="a calibration or calibration-onnx config")
    parser.add_argument("--model", required=True, metavar="M.onnx", help="the float ONNX model")
    parser.add_argument(
        "--data",
        required=True,
        metavar="CALIB",
        help="calibration data: an .npz (arrays keyed by input name, first axis = samples), a "
        "folder of .npy files, or a folder of images (see the image options)",
    )
    parser.add_argument("--output", required=True, metavar="PREFIX", help="output path prefix")
    parser.add_argument(
        "--batch-size",
        type=int,
        metavar="N",
        help="samples per calibration batch (default: the model's fixed batch size, else 16)",
    )
    parser.add_argument(
        "--batch-num",
        type=int,
        metavar="N",
        help="calibration batches (default: the config's batch_num, else 1)",
    )
    parser.add_argument(
        "--dialect", choices=sorted(DIALECTS), help="the config's dialect (default: detected)"
    )
    parser.add_argument(
        "--exact",
        action="store_true",
        help="AMCT's arithmetic exactly: every activation kept "
        "in memory and the IFMR search run over all of it (slow, memory-hungry)",
    )
    parser.add_argument("--force", action="store_true", help="replace existing output files")
    parser.add_argument(
        "--deploy-format",
        choices=["onnx", "ascend"],
        default="onnx",
        help="deploy model layout: onnx (QDQ for onnxruntime) or ascend (AscendQuant/"
        "AscendDequant, runs on Ascend only)",
    )
    parser.add_argument(
        "--labels", metavar="L.npy", help="integer labels of the samples: accuracy in the report"
    )
    parser.add_argument(
        "--report-batches",
        type=int,
        metavar="N",
        help="calibration batches the report compares float and fake-quant on (default 1; all of them "
        "with --labels)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bars and no summary table")
    images = parser.add_argument_group("image folders")
    images.add_argument("--resize", type=int, metavar="N", help="resize the shorter side to N pixels")
    images.add_argument("--crop", type=int, metavar="N", help="centre crop N x N")
    images.add_argument("--mean", default="0,0,0", metavar="R,G,B", help="subtracted after scaling")
    images.add_argument("--std", default="1,1,1", metavar="R,G,B", help="divided by after the mean")
    images.add_argument(
        "--pixel-scale",
        type=float,
        default=1 / 255,
        metavar="F",
        help="pixel values times F first (default 1/255)",
    )
    images.add_argument("--layout", choices=["NCHW", "NHWC"], default="NCHW")
    images.add_argument("--bgr", action="store_true", help="channels in BGR order")


def _floats(text: str, flag: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(","))
    except ValueError:
        raise SystemExit(f"amct-lang run: {flag} takes comma-separated numbers, not '{text}'") from None


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    def bar(items: Iterable[Any], total: int, label: str) -> Iterable[Any]:
        return tqdm(
            items,
            total=total,
            desc=label,
            unit="batch" if label == "calibration" else "tensor",
            leave=False,
            file=sys.stderr,
        )

    return bar


def summary_table(report: dict[str, Any]) -> str:
    rows = [("layer", "type", "scale_d", "offset_d", "weight SQNR", "output SQNR")]
    for x in report["layers"]:
        act, w = x["activation"] or {}, x["weights"] or {}

        def f(v: Any, spec: str) -> str:
            return format(v, spec) if isinstance(v, float) else ("" if v is None else str(v))

        rows.append(
            (
                x["name"],
                x["type"],
                f(act.get("scale_d"), ".7g"),
                f(act.get("offset_d"), ""),
                f(w.get("sqnr_db"), ".1f"),
                f(x["output_sqnr_db"], ".1f"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        import numpy as np

        from ..executor.ptq import PtqError, quantize
        from ..executor.ptq.data import ImageOptions
    except ImportError as exc:
        print(
            f"amct-lang run: needs the run extras ({exc.name} is missing): pip install '.[run]'",
            file=sys.stderr,
        )
        return 2
    from .report import text_report

    images = ImageOptions(
        args.resize,
        args.crop,
        _floats(args.mean, "--mean"),
        _floats(args.std, "--std"),
        args.pixel_scale,
        args.layout,
        args.bgr,
    )
    labels = None
    if args.labels:
        try:
            labels = np.load(args.labels, allow_pickle=False)
        except Exception as exc:  # noqa: BLE001
            print(
                f"amct-lang run: {args.labels}: not a readable .npy of labels ({type(exc).__name__})",
                file=sys.stderr,
            )
            return 2
    show = not args.quiet and sys.stderr.isatty()
    try:
        result = quantize(
            args.config,
            args.model,
            output=args.output,
            data=args.data,
            dialect=args.dialect,
            batch_size=args.batch_size,
            batch_num=args.batch_num,
            exact=args.exact,
            labels=labels,
            deploy_format=args.deploy_format,
            force=args.force,
            images=images,
            progress=_progress(show) or _no_progress,
            report_batches=args.report_batches
            if args.report_batches is not None
            else (1 << 30 if labels is not None else 1),
        )
    except PtqError as exc:
        if exc.analysis is not None:
            print(text_report(args.config, exc.analysis, color=sys.stdout.isatty()))
            print(f"amct-lang run: {exc.message}; nothing was written", file=sys.stderr)
            return 1
        print(f"amct-lang run: {exc.message}; nothing was written", file=sys.stderr)
        return 2
    for note in result.notes:
        print(f"amct-lang run: {note}", file=sys.stderr)
    if not args.quiet:
        print(summary_table(result.report))
        for e in result.report["end_to_end"]:
            extras = ", ".join(f"{k} {v:.4f}" for k, v in e.items() if isinstance(v, float) and k != "output")
            print(f"output {e['output']}: {extras}")
        print("wrote " + ", ".join(result.files))
    return 0


def _no_progress(items: Iterable[Any], total: int, label: str) -> Iterable[Any]:
    return items
