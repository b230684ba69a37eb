"""Calibration data: read it (.npz, a folder of .npy files, a folder of images), check it against the
model's inputs, and cut it into batches.

Arrays load with allow_pickle=False. Every check names the input and says what the model expects.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import PtqError
from .graph import Graph

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm")


@dataclass(frozen=True)
class InputSpec:
    name: str
    dtype: np.dtype  # type: ignore[type-arg]
    shape: tuple[int | None, ...]  # None: a dynamic dim

    @property
    def sample_shape(self) -> tuple[int | None, ...]:
        return self.shape[1:]

    @property
    def batch(self) -> int | None:
        return self.shape[0] if self.shape else None


@dataclass(frozen=True)
class ImageOptions:
    """How a folder of images becomes an input tensor (Pillow)."""

    resize: int | None = None  # shorter side to this many pixels
    crop: int | None = None  # centre crop to crop x crop
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)  # after scaling
    std: tuple[float, ...] = (1.0, 1.0, 1.0)
    scale: float = 1.0 / 255.0  # pixel values times this first
    layout: str = "NCHW"  # or NHWC
    bgr: bool = False


def input_specs(graph: Graph) -> list[InputSpec]:
    from onnx import helper

    specs = []
    for inp in graph.inputs:
        t = inp.type.tensor_type
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(t.elem_type))
        dims = tuple(
            d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in t.shape.dim
        )
        specs.append(InputSpec(inp.name, dtype, dims))
    return specs


def load(
    path: str | os.PathLike[str], specs: list[InputSpec], images: ImageOptions | None = None
) -> dict[str, np.ndarray]:
    """The samples at `path`, keyed by input name (first axis = samples)."""
    p = Path(path)
    if not p.exists():
        raise PtqError(f"{p}: no such calibration data (give an .npz, or a folder of .npy files or images)")
    if p.is_file():
        if p.suffix.lower() == ".npz":
            return _npz(p)
        if p.suffix.lower() == ".npy":
            return {_only(specs, p).name: _npy(p)}
        raise PtqError(f"{p}: calibration data must be an .npz, or a folder of .npy files or of images")
    files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
    npys = [f for f in files if f.suffix.lower() == ".npy"]
    pictures = [f for f in files if f.suffix.lower() in IMAGE_SUFFIXES]
    if npys:
        names = {s.name for s in specs}
        if all(f.stem in names for f in npys):  # one file per input, first axis = samples
            return {f.stem: _npy(f) for f in npys}
        spec = _only(specs, p)
        arrays = [_npy(f) for f in npys]  # one file per sample (or per batch)
        ranks = {a.ndim for a in arrays}
        full = len(spec.shape)
        if ranks == {full - 1}:
            return {spec.name: _stack(arrays, p)}
        if ranks == {full}:
            return {spec.name: _concat(arrays, p)}
        raise PtqError(
            f"{p}: the .npy files must each hold one sample ({full - 1}-D) or a batch ({full}-D) "
            f"of input '{spec.name}'; they are {sorted(ranks)}-D"
        )
    if pictures:
        return {_only(specs, p).name: read_images(pictures, images or ImageOptions())}
    raise PtqError(f"{p}: the folder holds no .npy files and no images")


def _only(specs: list[InputSpec], p: Path) -> InputSpec:
    if len(specs) != 1:
        raise PtqError(
            f"{p}: the model has {len(specs)} inputs ({', '.join(s.name for s in specs)}); give an "
            ".npz keyed by input name, or one .npy per input named after it"
        )
    return specs[0]


def _npz(p: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(p, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    except ValueError as exc:
        raise PtqError(f"{p}: holds pickled objects, which are not read ({exc}); save plain arrays") from None
    except Exception as exc:  # noqa: BLE001 - zip and format errors
        raise PtqError(f"{p}: not a readable .npz archive ({type(exc).__name__}: {exc})") from None


def _npy(p: Path) -> np.ndarray:
    try:
        return np.load(p, allow_pickle=False)
    except ValueError as exc:
        raise PtqError(f"{p}: holds pickled objects, which are not read ({exc}); save plain arrays") from None
    except Exception as exc:  # noqa: BLE001
        raise PtqError(f"{p}: not a readable .npy file ({type(exc).__name__}: {exc})") from None


def _stack(arrays: list[np.ndarray], p: Path) -> np.ndarray:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise PtqError(f"{p}: the .npy samples have different shapes: {sorted(shapes)[:3]}")
    return np.stack(arrays)


def _concat(arrays: list[np.ndarray], p: Path) -> np.ndarray:
    shapes = {a.shape[1:] for a in arrays}
    if len(shapes) > 1:
        raise PtqError(f"{p}: the .npy batches have different sample shapes: {sorted(shapes)[:3]}")
    return np.concatenate(arrays)


def read_images(files: list[Path], opt: ImageOptions) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:
        raise PtqError("reading images needs Pillow: pip install 'amct-lang[run]'") from None
    out = []
    for f in files:
        try:
            with Image.open(f) as im:
                img = im.convert("RGB")
        except Exception as exc:  # noqa: BLE001
            raise PtqError(f"{f}: not a readable image ({type(exc).__name__})") from None
        if opt.resize:
            w, h = img.size
            ratio = opt.resize / min(w, h)
            img = img.resize((max(1, round(w * ratio)), max(1, round(h * ratio))), Image.Resampling.BILINEAR)
        if opt.crop:
            w, h = img.size
            if w < opt.crop or h < opt.crop:
                raise PtqError(f"{f}: {w}x{h} is smaller than the crop {opt.crop}; add --resize")
            left, top = (w - opt.crop) // 2, (h - opt.crop) // 2
            img = img.crop((left, top, left + opt.crop, top + opt.crop))
        a = np.asarray(img, dtype=np.float32) * np.float32(opt.scale)
        if opt.bgr:
            a = a[..., ::-1]
        a = (a - np.asarray(opt.mean, np.float32)) / np.asarray(opt.std, np.float32)
        out.append(a.transpose(2, 0, 1) if opt.layout.upper() == "NCHW" else a)
    shapes = {a.shape for a in out}
    if len(shapes) > 1:
        raise PtqError(
            f"the images have different sizes after preprocessing ({sorted(shapes)[:3]}); give "
            "--resize and --crop"
        )
    return np.ascontiguousarray(np.stack(out), dtype=np.float32)


def check_sample(spec: InputSpec, array: np.ndarray, what: str) -> np.ndarray:
    """`array` (a batch: first axis samples) fit for `spec`, or PtqError saying why not."""
    array = np.asarray(array)
    if array.dtype != spec.dtype:
        if spec.dtype == np.float32 and array.dtype in (np.float64, np.float16):
            array = array.astype(np.float32)  # a lossless-enough widening or narrowing numpy users expect
        else:
            raise PtqError(f"{what}: input '{spec.name}' takes {spec.dtype}, the data is {array.dtype}")
    if array.ndim != len(spec.shape):
        raise PtqError(
            f"{what}: input '{spec.name}' takes {len(spec.shape)}-D batches "
            f"{_shape_text(spec.shape)}, the data is {array.ndim}-D {tuple(array.shape)}"
        )
    for i, (want, got) in enumerate(zip(spec.shape[1:], array.shape[1:], strict=True)):
        if want is not None and want != got:
            raise PtqError(
                f"{what}: input '{spec.name}' takes samples of shape {_shape_text(spec.shape[1:])}, "
                f"the data's are {tuple(array.shape[1:])} (axis {i + 1} differs)"
            )
    if not np.issubdtype(array.dtype, np.floating) or np.all(np.isfinite(array)):
        return array
    raise PtqError(f"{what}: input '{spec.name}' holds NaN or infinity")


def _shape_text(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("N" if d is None else str(d) for d in shape) + ")"


def check_names(keys: Iterable[str], specs: list[InputSpec], what: str) -> None:
    keys = list(keys)
    names = [s.name for s in specs]
    missing = [n for n in names if n not in keys]
    extra = [k for k in keys if k not in names]
    if missing:
        raise PtqError(
            f"{what}: no data for model input {', '.join(repr(m) for m in missing)} (the data has "
            f"{', '.join(repr(k) for k in keys) or 'nothing'}); key arrays by the model's input names"
        )
    if extra:
        raise PtqError(
            f"{what}: {', '.join(repr(e) for e in extra)} is not a model input (the inputs are "
            f"{', '.join(repr(n) for n in names)})"
        )


def batch_size_for(specs: list[InputSpec], wanted: int | None) -> int:
    fixed = {s.batch for s in specs if s.batch is not None}
    if len(fixed) > 1:
        raise PtqError(f"the model's inputs have different fixed batch sizes {sorted(fixed)}")
    if fixed:
        (n,) = fixed
        if wanted is not None and wanted != n:
            raise PtqError(f"the model's batch size is fixed at {n}; --batch-size {wanted} cannot run it")
        return n
    if wanted is not None and wanted < 1:
        raise PtqError("--batch-size must be at least 1")
    return wanted or 16


def batches_from_arrays(
    arrays: dict[str, np.ndarray], specs: list[InputSpec], batch_size: int, batch_num: int, what: str
) -> list[dict[str, np.ndarray]]:
    """`batch_num` batches of `batch_size` samples, checked."""
    check_names(arrays, specs, what)
    counts = {k: int(np.asarray(v).shape[0]) if np.asarray(v).ndim else 0 for k, v in arrays.items()}
    if len(set(counts.values())) > 1:
        raise PtqError(f"{what}: the inputs have different sample counts {counts}")
    have = next(iter(counts.values()), 0)
    need = batch_size * batch_num
    if have < need:
        raise PtqError(
            f"{what}: batch_num {batch_num} x batch size {batch_size} needs {need} samples, the data "
            f"has {have}: give more samples, or lower --batch-num / --batch-size"
        )
    out = []
    for b in range(batch_num):
        part = {
            s.name: check_sample(s, arrays[s.name][b * batch_size : (b + 1) * batch_size], what)
            for s in specs
        }
        out.append(part)
    return out


def batches_from_iterable(
    batches: Iterable[Any], specs: list[InputSpec], batch_num: int
) -> Iterator[dict[str, np.ndarray]]:
    """Check the caller's batches (dicts of arrays, or one array for a one-input model) lazily; stop
    after `batch_num`; too few is an error at the end."""
    seen = 0
    for batch in batches:
        if seen == batch_num:
            return
        if not isinstance(batch, dict):
            if len(specs) != 1:
                raise PtqError(
                    f"batch {seen + 1}: the model has {len(specs)} inputs; give dicts keyed by name"
                )
            batch = {specs[0].name: batch}
        what = f"batch {seen + 1}"
        check_names(batch, specs, what)
        yield {s.name: check_sample(s, batch[s.name], what) for s in specs}
        seen += 1
    if seen < batch_num:
        raise PtqError(
            f"batch_num is {batch_num} but the data gave {seen} batch(es): give more, or lower batch_num"
        )
