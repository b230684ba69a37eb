"""Stage 7: the report (JSON data and one self-contained HTML page with an inline SVG chart).

Per layer: the effective config with where each value comes from, the record's numbers, the weight
SQNR, and the layer output's cosine similarity and SQNR float vs fake-quant on the calibration batches
kept for it; end to end: the model outputs' similarity, top-1 agreement, and accuracy with labels.
"""

from __future__ import annotations

import html as html_lib
import math
from typing import Any

import numpy as np

from .calibrate import Calibration, _add_outputs, run_batch, session
from .graph import Graph
from .plan import Plan


def _num(x: float | None) -> float | str | None:
    """A JSON-safe number: non-finite values as text."""
    if x is None:
        return None
    x = float(x)
    if math.isfinite(x):
        return x
    return "inf" if x > 0 else ("-inf" if x < 0 else "nan")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel(), b.ravel()
    na, nb = float(np.sqrt(np.dot(a, a))), float(np.sqrt(np.dot(b, b)))
    if na == 0.0 or nb == 0.0:
        return 1.0 if na == nb else 0.0
    return min(1.0, float(np.dot(a, b)) / (na * nb))


def sqnr(ref: np.ndarray, approx: np.ndarray) -> float:
    r = ref.ravel()
    d = r - approx.ravel()
    noise = float(np.dot(d, d))
    signal = float(np.dot(r, r))
    if noise == 0.0:
        return float("inf")
    return 10.0 * math.log10(signal / noise) if signal > 0 else float("-inf")


def _outputs(
    proto: Any, names: list[str], batches: list[dict[str, np.ndarray]]
) -> dict[str, list[np.ndarray]]:
    import onnx

    model = onnx.ModelProto()
    model.CopyFrom(proto)
    _add_outputs(model, names)
    sess = session(model)
    out: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for i, batch in enumerate(batches):
        for n, v in zip(names, run_batch(sess, names, batch, i), strict=True):
            out[n].append(v)
    return out


def build(
    plan: Plan,
    weights: dict[str, Any],
    cal: Calibration,
    fused: Graph,
    fake: Any,
    batches: list[dict[str, np.ndarray]],
    labels: np.ndarray | None,
    folded: list[tuple[str, str]],
    exact: bool,
    notes: list[str],
) -> dict[str, Any]:
    model_outputs = [o.name for o in fused.proto.graph.output]
    layer_out = {layer.name: fused.nodes[layer.name].output[0] for layer in plan.layers}
    watched = sorted(set(layer_out.values()) | set(model_outputs))
    ref = _outputs(fused.proto, watched, batches) if batches else {}
    got = _outputs(fake, watched, batches) if batches else {}

    def compare(tensor: str) -> tuple[float | None, float | None]:
        if tensor not in ref or not ref[tensor]:
            return None, None
        a, b = (
            np.concatenate([x.ravel() for x in ref[tensor]]),
            np.concatenate([x.ravel() for x in got[tensor]]),
        )
        return cosine(a, b), sqnr(a, b)

    layers = []
    for layer in plan.layers:
        act = cal.results.get(layer.name) if layer.activation is not None else None
        w = weights.get(layer.name)
        cos, snr = compare(layer_out[layer.name])
        entry: dict[str, Any] = {
            "name": layer.name,
            "type": layer.op_type,
            "config": layer.provenance,
            "activation": None
            if act is None
            else {
                "algorithm": layer.activation.algorithm if layer.activation else None,
                "scale_d": _num(act.scale),
                "offset_d": act.offset,
                "clip_max": _num(act.clip_max),
                "clip_min": _num(act.clip_min),
                "max_value": _num(act.max_value),
                "min_value": _num(act.min_value),
                "candidate": act.index,
                "values": act.count,
                "exact": act.exact,
            },
            "weights": None
            if w is None
            else {
                "channels": int(w.scale.size),
                "scale_w_min": _num(float(w.scale.min())),
                "scale_w_max": _num(float(w.scale.max())),
                "offsets_nonzero": int(np.count_nonzero(w.offset)),
                "sqnr_db": _num(w.sqnr_db),
                "nuq_levels": w.nuq_levels,
                "sqnr_uniform_db": _num(w.sqnr_uniform_db),
            },
            "output_cosine": _num(cos),
            "output_sqnr_db": _num(snr),
        }
        layers.append(entry)
    tensors = []
    for t in plan.tensors:
        act = cal.results.get(t.key)
        tensors.append(
            {
                "key": t.key,
                "node": t.node,
                "input_index": t.input_index,
                "config": t.provenance,
                "scale_d": _num(act.scale) if act else None,
                "offset_d": act.offset if act else None,
            }
        )
    end = []
    for name in model_outputs:
        cos, snr = compare(name)
        item: dict[str, Any] = {"output": name, "cosine": _num(cos), "sqnr_db": _num(snr)}
        if ref.get(name) and ref[name][0].ndim == 2 and ref[name][0].shape[1] > 1:
            a = np.concatenate(ref[name])
            b = np.concatenate(got[name])
            item["top1_agreement"] = float(np.mean(a.argmax(1) == b.argmax(1)))
            if labels is not None and len(labels) >= len(a):
                lab = np.asarray(labels)[: len(a)]
                item["accuracy_float"] = float(np.mean(a.argmax(1) == lab))
                item["accuracy_fake_quant"] = float(np.mean(b.argmax(1) == lab))
        end.append(item)
    ranked = sorted(
        (x for x in layers if isinstance(x["output_sqnr_db"], float)), key=lambda x: x["output_sqnr_db"]
    )
    return {
        "summary": {
            "quantized_layers": len(plan.layers),
            "tensor_quantize": len(plan.tensors),
            "skipped": [{"layer": n, "type": t, "why": w} for n, t, w in plan.skipped],
            "bn_folded": [{"conv": c, "batchnorm": b} for c, b in folded],
            "calibration_batches": cal.batches,
            "batch_num": plan.batch_num,
            "batch_num_from": plan.batch_num_source,
            "report_batches": len(batches),
            "mode": "exact" if exact else "streaming",
            "weakest_layers": [x["name"] for x in ranked[:3]],
            "notes": notes + plan.notes,
        },
        "layers": layers,
        "tensors": tensors,
        "end_to_end": end,
    }


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f2f2f2}
.weak{background:#fde8e8}.num{text-align:right;font-variant-numeric:tabular-nums}details{font-size:12px}
h1{font-size:20px}h2{font-size:16px;margin-top:1.5em}"""


def _fmt(x: Any, digits: int = 4) -> str:
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return "" if x is None else str(x)


def _chart(layers: list[dict[str, Any]], weakest: set[str]) -> str:
    """An inline SVG bar chart of each layer's output SQNR (dB); the weakest layers in red."""
    values = [(x["name"], x["output_sqnr_db"]) for x in layers]
    finite = [v for _, v in values if isinstance(v, float)]
    if not finite:
        return "<p>No per-layer output SQNR (no calibration batch kept for the report).</p>"
    top = max(max(finite), 1.0)
    bar_h, gap, label_w, width = 16, 4, 260, 420
    height = len(values) * (bar_h + gap) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + width + 80}" height="{height}" '
        'role="img" aria-label="per-layer output SQNR">'
    ]
    for i, (name, v) in enumerate(values):
        y = 20 + i * (bar_h + gap)
        shown = v if isinstance(v, float) else top
        w = max(1.0, width * max(shown, 0.0) / top)
        color = "#d9534f" if name in weakest else "#4a7ebb"
        label = html_lib.escape(name if len(name) <= 40 else "…" + name[-39:])
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" font-size="11" text-anchor="end">{label}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
            f"<title>{html_lib.escape(name)}: {_fmt(v)} dB</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 12}" font-size="11">{_fmt(v, 3)} dB</text>')
    parts.append(
        f'<text x="{label_w}" y="12" font-size="11" fill="#666">output SQNR, float vs fake-quant '
        "(dB, higher is better)</text></svg>"
    )
    return "".join(parts)


def html(report: dict[str, Any]) -> str:
    """One self-contained page: no script, no network."""
    s = report["summary"]
    esc = html_lib.escape
    weakest = set(s["weakest_layers"])
    rows = []
    for x in report["layers"]:
        act, w = x["activation"] or {}, x["weights"] or {}
        config = "".join(f"<div>{esc(k)}: {esc(str(v))}</div>" for k, v in x["config"].items())
        cells = [esc(x["name"]), esc(x["type"])]
        numbers = [
            _fmt(act.get("scale_d"), 8),
            _fmt(act.get("offset_d")),
            _fmt(w.get("channels")),
            _fmt(w.get("sqnr_db")),
            _fmt(x["output_cosine"], 6),
            _fmt(x["output_sqnr_db"]),
        ]
        weak = "weak" if x["name"] in weakest else ""
        rows.append(
            f'<tr class="{weak}">'
            + "".join(f"<td>{c}</td>" for c in cells)
            + "".join(f'<td class="num">{n}</td>' for n in numbers)
            + f"<td><details><summary>config</summary>{config}</details></td></tr>"
        )
    ends = "".join(
        f"<li>{esc(e['output'])}: "
        + ", ".join(f"{esc(k)} {_fmt(v, 6)}" for k, v in e.items() if k != "output")
        + "</li>"
        for e in report["end_to_end"]
    )
    notes = "".join(f"<li>{esc(n)}</li>" for n in s["notes"])
    skipped = "".join(f"<li>{esc(k['layer'])} ({esc(k['type'])}): {esc(k['why'])}</li>" for k in s["skipped"])
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>amct-lang PTQ report</title>'
        f"<style>{_STYLE}</style></head><body><h1>Post-training quantization report</h1>"
        f"<p>{s['quantized_layers']} quantized layer(s), {s['tensor_quantize']} tensor_quantize input(s), "
        f"{len(s['bn_folded'])} BatchNormalization folded; {s['calibration_batches']} calibration batch(es) "
        f"(batch_num from {esc(str(s['batch_num_from']))}); search: {esc(s['mode'])}; per-layer figures on "
        f"{s['report_batches']} batch(es).</p>"
        f"<h2>End to end</h2><ul>{ends or '<li>no batch kept</li>'}</ul>"
        f"<h2>Per-layer output SQNR</h2>{_chart(report['layers'], weakest)}"
        "<h2>Layers</h2><table><tr><th>layer</th><th>type</th><th>scale_d</th><th>offset_d</th>"
        "<th>weight channels</th><th>weight SQNR dB</th><th>output cosine</th><th>output SQNR dB</th>"
        f"<th>effective config</th></tr>{''.join(rows)}</table>"
        + (f"<h2>Skipped</h2><ul>{skipped}</ul>" if skipped else "")
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + "</body></html>\n"
    )
