"""amct-lang distill CONFIG --model M --data D --output PREFIX: quantization-aware distillation.

Everything that can refuse the run is checked before any training: the config with the model
(the checker's rules, then the blocks on the traced graph), the data against the model, the output
paths and, with data_dump, the free disk space. Outputs are written all at once at the end; an
interrupted run leaves only its checkpoint folder (PREFIX.distill-work), which --resume continues.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

HELP = "distill a PyTorch model into its fake-quantized student (distill configs)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", metavar="CONFIG", help="the distill config (.cfg)")
    parser.add_argument("--model", required=True, metavar="MODULE:FACTORY|FILE.pt",
                        help="the float model: a factory to call (package.module:function, imported from the "
                        "current folder too) or a pickled nn.Module saved with torch.save(model, path) (this "
                        "runs the pickle's code: only give files you trust)")
    parser.add_argument("--weights", metavar="STATE_DICT.pt", help="a state_dict to load into the model")
    parser.add_argument("--data", required=True, metavar="TRAIN.npz|FOLDER",
                        help="training inputs: an .npz/.npy array (samples along the first axis) or a folder "
                        "of .npy files (one batch each, in name order)")
    parser.add_argument("--output", required=True, metavar="PREFIX",
                        help="writes PREFIX_fake_quant_model.onnx, PREFIX_student.pt, PREFIX_record.txt, "
                        "PREFIX_report.json (and PREFIX_dump/ with data_dump)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per block (default 1)")
    parser.add_argument("--lr", type=float, default=1e-3,
                        help="learning rate of weights and other parameters (clips 0.1, weight scales 1e-4)")
    parser.add_argument("--batch-size", type=int, default=16, help="batch size for array data (default 16)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its last "
                        "finished block (same config, model, data and settings)")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs of an earlier run")


class UsageError(Exception):
    """A problem with the command line inputs (exit code 2)."""


def run(args: argparse.Namespace) -> int:
    from .inputs import InputError, read_source

    try:
        source = read_source(args.config)
    except InputError as exc:
        return _fail(str(exc))
    if args.epochs < 1:
        return _fail(f"--epochs must be at least 1, not {args.epochs}")
    if args.batch_size < 1:
        return _fail(f"--batch-size must be at least 1, not {args.batch_size}")
    try:
        import torch  # noqa: F401
    except ImportError:
        return _fail("distillation needs torch: install the CPU build of torch first, then "
                     "pip install 'amct-lang[torch]'")
    from ..executor.distill.api import as_batches
    from ..executor.distill.run import DistillError, execute, prepare

    try:
        model = load_model(args.model, args.weights)
        batches = as_batches(load_data(args.data), args.batch_size)
        prep = prepare(source.text, model, batches, output=args.output, overwrite=args.overwrite,
                       resume=args.resume)
    except UsageError as exc:
        return _fail(str(exc))
    except DistillError as exc:
        return _report(source.path, exc)
    print(f"{source.path}: {len(prep.plans)} quantized layer(s), {len(prep.blocks)} block(s), "
          f"{len(prep.batches)} batch(es), {args.epochs} epoch(s)", file=sys.stderr)
    if prep.data_dump:
        from ..executor.distill.dump import size_text

        print(f"data_dump: about {size_text(prep.dump_bytes)} of teacher data", file=sys.stderr)
    protect = [args.config, args.data] + ([args.weights] if args.weights else []) + \
        ([args.model] if os.path.exists(args.model) else [])
    try:
        result = execute(prep, epochs=args.epochs, lr=args.lr, output=args.output, resume=args.resume,
                         overwrite=args.overwrite, progress=True, protect=protect)
    except KeyboardInterrupt:
        print(f"amct-lang: interrupted; no output written. Finished blocks are kept in "
              f"{args.output}.distill-work: run again with --resume to continue", file=sys.stderr)
        return 130
    except DistillError as exc:
        return _report(source.path, exc)
    for kind, path in result.outputs.items():
        print(f"wrote {path} ({kind})", file=sys.stderr)
    return 0


def _fail(message: str) -> int:
    print(f"amct-lang: {message}", file=sys.stderr)
    return 2


def _report(path: str, exc: Any) -> int:
    if exc.analysis is not None and exc.diagnostics:
        from .report import text_report

        exc.analysis.diagnostics = exc.diagnostics
        print(text_report(path, exc.analysis, color=sys.stderr.isatty()), file=sys.stderr)
        print(f"amct-lang: {exc}; nothing was trained or written", file=sys.stderr)
        return 1
    return _fail(f"{exc}; nothing was trained or written")


# -- inputs -----------------------------------------------------------------------------------------
def load_model(spec: str, weights: str | None) -> Any:
    import torch

    if os.path.exists(spec):
        model = _model_file(spec)
    elif ":" in spec:
        model = _factory(spec)
    else:
        raise UsageError(f"--model {spec}: no such file, and not a MODULE:FACTORY reference")
    if weights is not None:
        _load_weights(model, weights)
    if not isinstance(model, torch.nn.Module):
        raise UsageError(f"--model {spec}: gives a {type(model).__name__}, not a torch.nn.Module")
    return model


def _model_file(path: str) -> Any:
    import torch

    from ..model.torch_index import _is_torchscript

    _current_folder_importable()  # the classes a pickle names are imported as by a factory
    if _is_torchscript(path):  # type: ignore[arg-type]
        raise UsageError(f"{path}: a TorchScript archive cannot be distilled (its modules cannot be traced "
                         "or re-wrapped); give the model's factory (--model package.module:function) or a "
                         "pickled nn.Module")
    try:
        model = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means "not a model file"
        raise UsageError(f"{path}: not a loadable PyTorch model ({type(exc).__name__}: {exc})") from None
    if isinstance(model, dict):
        raise UsageError(f"{path}: holds a state_dict (weights only); give the model's factory with --model "
                         f"package.module:function and this file with --weights")
    return model


def _factory(spec: str) -> Any:
    module_name, _, attr = spec.rpartition(":")
    _current_folder_importable()
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - ImportError, or an error the module raises on import
        raise UsageError(f"--model {spec}: cannot import {module_name} ({type(exc).__name__}: "
                         f"{exc})") from None
    factory = getattr(module, attr, None)
    if factory is None:
        raise UsageError(f"--model {spec}: {module_name} has no attribute {attr!r}")
    if not callable(factory):
        return factory
    try:
        return factory()
    except Exception as exc:  # noqa: BLE001 - the user's factory failed
        raise UsageError(f"--model {spec}: calling {attr}() raised {type(exc).__name__}: {exc}") from None


def _current_folder_importable() -> None:
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` does: the current folder's modules import


def _load_weights(model: Any, path: str) -> None:
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"--weights {path}: not a loadable state_dict ({type(exc).__name__}: "
                         f"{exc})") from None
    if not isinstance(state, dict):
        raise UsageError(f"--weights {path}: holds a {type(state).__name__}, not a state_dict")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        detail = " ".join(first[1:3]) or first[0]
        raise UsageError(f"--weights {path}: does not fit the model: {detail}") from None


def load_data(path: str) -> Any:
    import numpy as np

    if os.path.isdir(path):
        files = sorted(f for f in os.listdir(path) if f.endswith(".npy"))
        if not files:
            raise UsageError(f"--data {path}: the folder holds no .npy file")
        return [_array(os.path.join(path, f)) for f in files]
    if not os.path.exists(path):
        raise UsageError(f"--data {path}: no such file or folder")
    if path.endswith(".npz"):
        try:
            with np.load(path, allow_pickle=False) as archive:
                keys = list(archive.files)
                named = [k for k in ("x", "input", "inputs", "data", "images") if k in keys]
                key = keys[0] if len(keys) == 1 else (named[0] if named else None)
                if key is None:
                    raise UsageError(f"--data {path}: holds arrays {', '.join(keys)}; name the inputs 'x' "
                                     "(or keep only one array)")
                return np.asarray(archive[key], dtype=np.float32)
        except (OSError, ValueError) as exc:
            raise UsageError(f"--data {path}: not a readable .npz archive ({exc})") from None
    return _array(path)


def _array(path: str) -> Any:
    import numpy as np

    try:
        return np.asarray(np.load(path, allow_pickle=False), dtype=np.float32)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--data {path}: not a readable numpy array ({exc})") from None
