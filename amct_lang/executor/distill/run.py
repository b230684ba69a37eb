"""Distillation end to end: validate, build the student, calibrate, train block by block, write.

`prepare` does everything that can refuse the run (config errors with the model, blocks that
cannot be formed, data that does not fit the model, outputs that exist, a dump the disk cannot
hold) before any training; `execute` trains and writes. Outputs for a prefix P, all or nothing:
P_fake_quant_model.onnx, P_student.pt (state_dict), P_record.txt, P_report.json (and P_dump/ with
data_dump). While it runs, P.distill-work/ holds a checkpoint after every finished block, so an
interrupted run continues with `resume=True`; it is removed when the outputs are in place.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ...atomic import AtomicWriteError, write_files_atomically
from ...diagnostics import Diagnostic
from ...semantic.types import DataType, DistillSettings, EffectiveConfig
from .. import record as record_file
from . import dump as dumping
from .blocks import Block, BlockError, form_blocks, trace
from .export import factors, to_onnx
from .student import LayerPlan, build_student, calibrate
from .train import BlockResult, ProgressBar, block_data, train_block

SUFFIXES = {"onnx": "_fake_quant_model.onnx", "state_dict": "_student.pt", "record": "_record.txt",
            "report": "_report.json"}
DUMP_SUFFIX = "_dump"
WORK_SUFFIX = ".distill-work"


class DistillError(Exception):
    """The run cannot go on; `diagnostics` (with `analysis`) point into the config when it is at fault."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = (), analysis: Any = None) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)
        self.analysis = analysis


@dataclass
class Prepared:
    text: str
    analysis: Any
    effective: EffectiveConfig
    teacher: nn.Module
    model: nn.Module  # the float model the student starts from (the teacher unless one is given)
    plans: list[LayerPlan]
    blocks: list[Block]
    batches: list[Any]
    batch_num: int
    data_dump: bool
    dump_bytes: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class DistillResult:
    student: nn.Module
    blocks: list[BlockResult]
    report: dict[str, Any]
    outputs: dict[str, str]


# -- validation -------------------------------------------------------------------------------------
def prepare(text: str, model: nn.Module, batches: Sequence[Any], *, teacher: nn.Module | None = None,
            output: str | None = None, overwrite: bool = False, resume: bool = False) -> Prepared:
    from ...analysis import analyze
    from ...model.torch_index import index_module

    model = model.eval()
    teacher = model if teacher is None else teacher.eval()
    index = index_module(model)
    analysis = analyze(text, "distill", model=index)
    errors = [d for d in analysis.diagnostics if d.is_error]
    if errors:
        raise DistillError(f"the config has {len(errors)} error(s) with this model", errors, analysis)
    effective = analysis.effective
    settings = effective.settings if effective is not None else None
    if effective is None or not isinstance(settings, DistillSettings):
        raise DistillError("the config is not a distillation config (distill dialect)")
    groups = settings.distill_groups
    try:
        blocks = form_blocks(trace(teacher), [(g.start_layer_name, g.end_layer_name) for g in groups],
                             settings.group_size)
    except BlockError as exc:
        if exc.group is None:
            raise DistillError(str(exc)) from None
        where = groups[exc.group].source
        raise DistillError("a distill_group cannot be distilled",
                           [Diagnostic("MOD007", str(exc), where.start or 0, where.end or 0)],
                           analysis) from None
    if not blocks:
        raise DistillError("the model has no Conv2d or Linear layer to distill")
    batches = list(batches)
    if not batches:
        raise DistillError("the data holds no batch")
    _check_data(teacher, batches)
    prep = Prepared(text, analysis, effective, teacher, model, layer_plans(effective), blocks, batches,
                    settings.batch_num, settings.data_dump)
    if output is not None:
        _check_outputs(output, prep, overwrite, resume)
    return prep


def _check_data(teacher: nn.Module, batches: Sequence[Any]) -> None:
    first = batches[0]
    shapes = [tuple(t.shape) for t in (first if isinstance(first, (tuple, list)) else [first])]
    try:
        with torch.no_grad():
            teacher(*first) if isinstance(first, (tuple, list)) else teacher(first)
    except Exception as exc:  # noqa: BLE001 - any failure here means the data does not fit the model
        raise DistillError(f"the data does not fit the model: running it on a batch of shape "
                           f"{', '.join(map(str, shapes))} fails with {type(exc).__name__}: {exc}") from None


def layer_plans(effective: EffectiveConfig) -> list[LayerPlan]:
    """The fake quantization of each quantized layer, from its effective config."""
    plans = []
    for lc in effective.layers.values():
        act, w = lc.activation, lc.weights
        if not lc.quantized or act is None or w is None:
            continue
        clips = getattr(act, "clip_max_min", None)
        plans.append(LayerPlan(
            lc.name, act_bits=_bits(act), fixed_min=bool(getattr(act, "fixed_min", False)),
            clip_max=clips.clip_max if clips is not None else None,
            clip_min=clips.clip_min if clips is not None else None,
            weight_algo=w.NAME, weight_bits=_bits(w), channel_wise=bool(getattr(w, "channel_wise", True))))
    return plans


def _bits(part: Any) -> int:
    return 4 if getattr(part, "dst_type", DataType.INT8) == DataType.INT4 else 8


def output_paths(prefix: str) -> dict[str, str]:
    return {kind: prefix + suffix for kind, suffix in SUFFIXES.items()}


def _check_outputs(prefix: str, prep: Prepared, overwrite: bool, resume: bool) -> None:
    folder = os.path.dirname(os.path.abspath(prefix))
    if not os.path.isdir(folder):
        raise DistillError(f"{prefix}: the output folder {folder} does not exist")
    paths = list(output_paths(prefix).values()) + ([prefix + DUMP_SUFFIX] if prep.data_dump else [])
    existing = [p for p in paths if os.path.exists(p)]
    if existing and not overwrite:
        raise DistillError(f"{existing[0]} already exists; choose another --output prefix or allow "
                           "overwriting (--overwrite)")
    work = prefix + WORK_SUFFIX
    if os.path.exists(os.path.join(work, CHECKPOINT)) and not resume:
        raise DistillError(f"{work} holds an unfinished run; continue it with --resume, or delete the "
                           "folder to start again")
    if prep.data_dump:
        prep.dump_bytes = dumping.estimate(prep.teacher, prep.blocks, prep.batches)
        try:
            dumping.check_space(folder, prep.dump_bytes)
        except dumping.DumpError as exc:
            raise DistillError(str(exc)) from None


# -- the run ------------------------------------------------------------------------------------------
CHECKPOINT = "checkpoint.pt"


def fingerprint(prep: Prepared, epochs: int, lr: float) -> str:
    """What a checkpoint must match to be resumed: config, blocks, model weights' shapes, data, settings."""
    h = hashlib.sha256()
    h.update(prep.text.encode("utf-8", "surrogateescape"))
    h.update(repr([b.modules for b in prep.blocks]).encode())
    h.update(repr([(k, tuple(v.shape)) for k, v in prep.teacher.state_dict().items()]).encode())
    for batch in prep.batches:
        for t in (batch if isinstance(batch, (tuple, list)) else [batch]):
            h.update(repr(tuple(t.shape)).encode())
            h.update(t.detach().contiguous().numpy().tobytes()[:4096])
    h.update(repr((epochs, lr)).encode())
    return h.hexdigest()


def execute(prep: Prepared, *, epochs: int = 1, lr: float = 1e-3, output: str | None = None,
            resume: bool = False, overwrite: bool = False, progress: bool = False,
            protect: Iterable[str] = ()) -> DistillResult:
    if epochs < 1:
        raise DistillError(f"epochs must be at least 1, not {epochs}")
    started = time.perf_counter()
    work = output + WORK_SUFFIX if output is not None else None
    key = fingerprint(prep, epochs, lr)
    student = build_student(prep.model, prep.plans)
    results: list[BlockResult] = []
    first = 0
    if resume and work is not None:
        first, results = _restore(work, key, student, prep.blocks)
    else:
        calibrate(student, prep.batches, prep.batch_num)
    teacher_side = None
    dump_folder = None
    if prep.data_dump and work is None:
        prep.notes.append("data_dump: true needs an output prefix (the dump goes to PREFIX_dump/); the "
                          "teacher's data stayed in memory")
    if prep.data_dump:
        dump_folder = os.path.join(work, "dump") if work is not None else None
        if dump_folder is not None:
            if not dumping.complete(dump_folder, len(prep.blocks), len(prep.batches)):
                shutil.rmtree(dump_folder, ignore_errors=True)
                os.makedirs(dump_folder)
                dumping.write(dump_folder, prep.teacher, prep.blocks, prep.batches)
    bar = ProgressBar(len(prep.blocks), first=first) if progress else None
    epoch_time: list[float] = []
    for i in range(first, len(prep.blocks)):
        block = prep.blocks[i]
        if dump_folder is not None:
            folder, index = dump_folder, i
            teacher_side = lambda step, folder=folder, index=index: dumping.load(folder, index, step)  # noqa: E731
        t0 = time.perf_counter()
        pairs, replaced = block_data(prep.teacher, student, block, prep.batches, teacher_side)
        result = train_block(student, block, pairs, epochs, lr, bar)
        result.teacher_input_used = replaced
        epoch_time.append(time.perf_counter() - t0)  # the block's inputs and its training
        results.append(result)
        if bar is not None:
            bar.done(result, i)
        if work is not None:
            _save_checkpoint(work, key, i + 1, student, results)
    report = build_report(prep, student, results, epochs, lr, time.perf_counter() - started, sum(epoch_time))
    outputs: dict[str, str] = {}
    if output is not None:
        try:
            outputs = write_outputs(output, prep, student, report, overwrite, protect, dump_folder)
        except DistillError as exc:
            if work is None or not os.path.exists(os.path.join(work, CHECKPOINT)):
                raise
            raise DistillError(f"{exc}. The trained student is kept in {work}: fix the problem and run again "
                               "with --resume to write the outputs without training again") from None
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    return DistillResult(student, results, report, outputs)


def _save_checkpoint(work: str, key: str, done: int, student: nn.Module, results: list[BlockResult]) -> None:
    os.makedirs(work, exist_ok=True)
    buffer = io.BytesIO()
    torch.save({"fingerprint": key, "done": done, "state_dict": student.state_dict(),
                "results": [_result_dict(r) for r in results]}, buffer)
    write_files_atomically({os.path.join(work, CHECKPOINT): buffer.getvalue()}, overwrite=True)


def _restore(work: str, key: str, student: nn.Module, blocks: list[Block]) -> tuple[int, list[BlockResult]]:
    path = os.path.join(work, CHECKPOINT)
    if not os.path.exists(path):
        raise DistillError(f"nothing to resume: {path} does not exist (no block of an earlier run finished)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a damaged checkpoint
        raise DistillError(f"{path}: cannot read the checkpoint ({exc}); delete {work} to start "
                           "again") from None
    if state.get("fingerprint") != key:
        raise DistillError(f"{path} was written for another config, model, data, epochs or lr; run with the "
                           f"same inputs to resume, or delete {work} to start again")
    student.load_state_dict(state["state_dict"])
    done = int(state["done"])
    results = [BlockResult(blocks[i], r["loss_before"], r["loss_after"], r["epoch_losses"],
                           r["teacher_input_used"], r.get("restored", False))
               for i, r in enumerate(state["results"])]
    return done, results


def _result_dict(r: BlockResult) -> dict[str, Any]:
    return {"block": list(r.block.modules), "group": r.block.group, "loss_before": r.loss_before,
            "loss_after": r.loss_after, "epoch_losses": r.epoch_losses,
            "teacher_input_used": r.teacher_input_used,
            "restored": r.restored}


def build_report(prep: Prepared, student: nn.Module, results: list[BlockResult], epochs: int, lr: float,
                 seconds: float, training_seconds: float) -> dict[str, Any]:
    layers = factors(student)
    skipped = [lc.name for lc in prep.effective.layers.values() if not lc.quantized]
    return {
        "epochs": epochs, "lr": lr, "batches": len(prep.batches), "batch_num": prep.batch_num,
        "seconds": round(seconds, 3), "seconds_per_epoch": round(training_seconds / max(1, epochs), 3),
        "blocks": [_result_dict(r) for r in results],
        "layers": layers, "not_quantized": skipped, "notes": prep.effective.notes + prep.notes,
    }


def record_entries(report: dict[str, Any]) -> list[tuple[str, record_file.LayerRecord]]:
    out = []
    for name, f in report["layers"].items():
        bits = max(f["act_bits"], f["weight_bits"])
        out.append((name, record_file.LayerRecord(
            f["scale_d"], f["offset_d"], tuple(f["scale_w"]), tuple(0 for _ in f["scale_w"]),
            "INT4" if bits == 4 else None)))
    return out


def write_outputs(prefix: str, prep: Prepared, student: nn.Module, report: dict[str, Any], overwrite: bool,
                  protect: Iterable[str], dump_folder: str | None) -> dict[str, str]:
    paths = output_paths(prefix)
    example = prep.batches[0][0] if isinstance(prep.batches[0], (tuple, list)) else prep.batches[0]
    state = io.BytesIO()
    torch.save(student.state_dict(), state)
    files: dict[str | os.PathLike[str], bytes] = {
        paths["onnx"]: to_onnx(student, example[:1]),
        paths["state_dict"]: state.getvalue(),
        paths["record"]: record_file.record_text(record_entries(report)).encode(),
        paths["report"]: (json.dumps(report, indent=1) + "\n").encode(),
    }
    try:
        write_files_atomically(files, overwrite=overwrite, protect=protect)
    except AtomicWriteError as exc:
        raise DistillError(str(exc)) from None
    if dump_folder is not None:
        target = prefix + DUMP_SUFFIX
        if os.path.exists(target) and overwrite:
            shutil.rmtree(target)
        os.replace(dump_folder, target)
        paths["dump"] = target
    return paths
