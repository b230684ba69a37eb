"""Re-derive AMCT's own verdict on every probe config of tests/amct/probes from a copy of AMCT.

    python tools/amct_verdicts.py --amct PATH            # compare with tests/amct/verdicts.json
    python tools/amct_verdicts.py --amct PATH --write    # record the verdicts anew
    python tools/amct_verdicts.py --amct PATH --only calibration/hfmg_bins_1000

PATH is a copy of github.com/hicann/amct: a work tree, or a bare git directory (its HEAD is
extracted to a temporary folder). Nothing of AMCT is written into this repository: only the
verdicts (accept, or reject with AMCT's message), which are facts about AMCT.

How AMCT PyTorch's classic, graph-based tool is brought up on a CPU machine:
- its protos are compiled with grpc_tools.protoc, with the same include roots as its CMakeLists;
- `amct_pytorch/__init__.py` and `amct_pytorch/classic/__init__.py` import AMCT's LLM stack
  (transformers), so both are replaced by empty packages that only carry `__path__`;
  `amct_pytorch.classic.graph_based.amct_pytorch` (the package every module imports from) loads as is;
- AMCT calls torch.onnx.export without `dynamo=`, which torch >= 2.9 defaults to the dynamo
  exporter: the default becomes dynamo=False.

Each probe runs AMCT's public API end to end, in a process of its own (forked after the import:
AMCT keeps singletons), on the model its `# amct-model:` header names (tests/amct/models.py):
- calibration: create_quant_config -> (with DMQ: quantize_preprocess -> batch_num forwards) ->
  quantize_model -> batch_num calibration forwards -> save_model;
- retrain: create_quant_retrain_config -> create_quant_retrain_model -> two training steps, an inference ->
  save_quant_retrain_model;
- distill: create_distill_config -> create_distill_model -> distill (one epoch) -> save_distill_model.
The first exception is the verdict "reject" with its message; reaching the end is "accept".
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import traceback
import types
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PROBES = REPO / "tests" / "amct" / "probes"
VERDICTS = REPO / "tests" / "amct" / "verdicts.json"
ROOT = "amct_pytorch.classic.graph_based.amct_pytorch"
PROTO_DIR = "amct_pytorch/classic/graph_based/amct_pytorch/proto"
# CMakeLists: these four compile from the repository root, the other two inside the proto folder
ROOTED_PROTOS = ("basic_info", "calibration_config_pytorch", "scale_offset_record_pytorch",
                 "retrain_config_pytorch")
LOCAL_PROTOS = ("distill_config_pytorch", "quant_calibration_config_pytorch")
KINDS = ("calibration", "retrain", "distill")
TIME_LIMIT = 300  # seconds per probe: a probe AMCT needs longer for gets no verdict


class TooLong(Exception):
    pass


def _too_long(signum: int, frame: Any) -> None:
    raise TooLong


def work_tree(path: Path, scratch: Path) -> Path:
    """A folder holding amct_pytorch/: `path` itself, or HEAD of the git directory `path`."""
    if (path / "amct_pytorch").is_dir():
        return path
    out = scratch / "amct"
    out.mkdir()
    archive = subprocess.run(["git", f"--git-dir={path}", "archive", "HEAD", "amct_pytorch"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out


def compile_protos(src: Path, out: Path) -> None:
    protoc = [sys.executable, "-m", "grpc_tools.protoc"]
    out.mkdir(parents=True, exist_ok=True)
    for name in ROOTED_PROTOS:
        subprocess.run([*protoc, "-I=./", f"-I=./{PROTO_DIR}/", f"--python_out={out}",
                        f"{PROTO_DIR}/{name}.proto"], cwd=src, check=True)
    local_out = out / PROTO_DIR
    local_out.mkdir(parents=True, exist_ok=True)
    for name in LOCAL_PROTOS:
        subprocess.run([*protoc, "-I=./", f"--python_out={local_out}", f"{name}.proto"], cwd=src / PROTO_DIR,
                       check=True)


def bring_up(src: Path, generated: Path) -> Any:
    """Import AMCT PyTorch's graph-based package; returns it."""
    for name, sub in (("amct_pytorch", "amct_pytorch"), ("amct_pytorch.classic", "amct_pytorch/classic")):
        stub = types.ModuleType(name)
        stub.__path__ = [str(src / sub)]
        sys.modules[name] = stub
    # the proto package finds the generated *_pb2 modules next to its own sources
    spec = importlib.util.spec_from_file_location(
        f"{ROOT}.proto", src / PROTO_DIR / "__init__.py",
        submodule_search_locations=[str(generated / PROTO_DIR), str(src / PROTO_DIR)])
    assert spec is not None and spec.loader is not None
    proto = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = proto
    spec.loader.exec_module(proto)

    import torch

    export = torch.onnx.export

    @functools.wraps(export)
    def export_without_dynamo(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("dynamo", False)
        return export(*args, **kwargs)

    torch.onnx.export = export_without_dynamo
    torch.set_num_threads(1)
    return importlib.import_module(ROOT)


# -- one probe ------------------------------------------------------------------------------------

def header(text: str, key: str, default: str | None = None) -> str | None:
    for line in text.splitlines()[:10]:
        line = line.strip()
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    return default


def run_calibration(amct: Any, cfg: str, model: Any, data: Any, work: str) -> None:
    import torch

    config = os.path.join(work, "config.json")
    amct.create_quant_config(config, model, data, config_defination=cfg)
    with open(config, encoding="utf-8") as handle:
        settings = json.load(handle)
    batch_num = settings.get("batch_num", 1)
    modified = os.path.join(work, "modified.onnx")
    record = os.path.join(work, "record.txt")
    if any(isinstance(v, dict) and v.get("dmq_balancer_param") for v in settings.values()):
        # DMQ: the balancing statistics come from a forward pass of quantize_preprocess's model first
        balancing = amct.quantize_preprocess(config, record, model, data)
        with torch.no_grad():
            for _ in range(batch_num):
                balancing(data)
    calibration = amct.quantize_model(config, modified, record, model, data)
    with torch.no_grad():
        for _ in range(batch_num):
            calibration(data)
    amct.save_model(modified, record, os.path.join(work, "out"))


def run_retrain(amct: Any, cfg: str, model: Any, data: Any, work: str) -> None:
    import torch

    config = os.path.join(work, "config.json")
    record = os.path.join(work, "record.txt")
    amct.create_quant_retrain_config(config, model, data, config_defination=cfg)
    qat = amct.create_quant_retrain_model(config, model, record, data)
    qat.train()
    optimizer = torch.optim.SGD(qat.parameters(), lr=1e-3)
    for _ in range(2):
        optimizer.zero_grad()
        qat(data).float().pow(2).mean().backward()
        optimizer.step()
    qat.eval()
    with torch.no_grad():  # the inference after training writes the record
        qat(data)
    amct.save_quant_retrain_model(config, qat, record, os.path.join(work, "out"), data)


def run_distill(amct: Any, cfg: str, model: Any, data: Any, work: str) -> None:
    import copy

    import torch

    config = os.path.join(work, "config.json")
    amct.create_distill_config(config, model, data, config_defination=cfg)
    student = amct.create_distill_model(config, copy.deepcopy(model), data)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data), batch_size=len(data))

    sample = importlib.import_module(f"{ROOT}.distill.distill_sample").ModelSingleTensorInput()
    distilled = amct.distill(model, student, config, loader, epochs=1, lr=1e-4, sample_instance=sample)
    amct.save_distill_model(distilled, os.path.join(work, "out"), data)


RUNNERS = {"calibration": run_calibration, "retrain": run_retrain, "distill": run_distill}


def judge(probe: str) -> dict[str, str]:
    """AMCT's verdict on one probe (runs in a forked child)."""
    sys.path.insert(0, str(REPO))
    from tests.amct.models import build

    quiet = os.open(os.devnull, os.O_WRONLY)  # AMCT and the ONNX exporter log a lot
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)

    path = PROBES / probe
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    kind = probe.split("/")[0]
    model, data = build(header(text, "amct-model", "cnn") or "cnn")
    amct = sys.modules[ROOT]
    signal.signal(signal.SIGALRM, _too_long)
    signal.alarm(TIME_LIMIT)
    with tempfile.TemporaryDirectory() as work:
        try:
            RUNNERS[kind](amct, str(path), model, data, work)
        except TooLong:
            return {"verdict": "none", "message": f"AMCT did not finish within {TIME_LIMIT} s"}
        except Exception as exc:  # noqa: BLE001 - every failure of AMCT is a verdict
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return {"verdict": "reject", "message": f"{type(exc).__name__}: {exc}".strip(),
                    "raised_in": f"{Path(where.filename).name}:{where.name}"}
    return {"verdict": "accept"}


def probe_names(only: list[str]) -> list[str]:
    names = sorted(str(p.relative_to(PROBES)) for p in PROBES.glob("*/*.cfg"))
    if only:
        names = [n for n in names if any(n == o or n.startswith(o.rstrip("/") + "/") or
                                         n.removesuffix(".cfg") == o for o in only)]
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amct", required=True, type=Path, help="AMCT work tree or bare git directory")
    parser.add_argument("--write", action="store_true", help=f"write {VERDICTS.relative_to(REPO)}")
    parser.add_argument("--only", nargs="*", default=[], help="probe names (kind/name) or kinds")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    os.environ.setdefault("AMCT_LOG_LEVEL", "ERROR")
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        src = work_tree(args.amct.resolve(), scratch)
        generated = scratch / "generated"
        compile_protos(src, generated)
        bring_up(src, generated)
        names = probe_names(args.only)
        context = multiprocessing.get_context("fork")
        with context.Pool(args.jobs, maxtasksperchild=1) as pool:
            found = dict(zip(names, pool.map(judge, names, chunksize=1), strict=True))
    for name in [n for n in names if found[n]["verdict"] == "none"]:
        print(f"{name}: {found.pop(name)['message']}; no verdict recorded")
        names.remove(name)
    recorded: dict[str, Any] = json.loads(VERDICTS.read_text(encoding="utf-8")) if VERDICTS.exists() else {}
    changed = [n for n in names if recorded.get(n, {}).get("verdict") != found[n]["verdict"]
               or recorded.get(n, {}).get("message") != found[n].get("message")]
    for name in changed:
        print(f"{name}: recorded {recorded.get(name)}, AMCT says {found[name]}")
    if args.write:
        recorded.update(found)
        recorded = {k: recorded[k] for k in sorted(recorded) if (PROBES / k).exists()}
        VERDICTS.write_text(json.dumps(recorded, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                            encoding="utf-8")
        print(f"wrote {len(recorded)} verdicts to {VERDICTS.relative_to(REPO)}")
        return 0
    print(f"{len(names) - len(changed)} of {len(names)} probes as recorded")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
