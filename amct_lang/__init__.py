"""amct-lang from Python: check, resolve and format AMCT configs, with plain data as results.

    import amct_lang

    findings = amct_lang.check("quant.cfg")                      # a path, or the text itself
    findings = amct_lang.check('common_config { ifmr_quantize { search_step: 0 } }\\n')
    layers = amct_lang.resolve("quant.cfg", model="resnet50.onnx")["layers"]
    text = amct_lang.format("quant.cfg")
    result = amct_lang.quantize("quant.cfg", "model.onnx", batches, output="out/net")   # PTQ
    result = amct_lang.distill("distill.cfg", module, data, output="out/net")          # distillation

Everything here is imported on first call, so `import amct_lang` (and the `check` command's
start-up) stays as light as before. The typed semantic model behind `resolve` is
`amct_lang.semantic` (for programs that want enums and float32 values instead of plain data).
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

if TYPE_CHECKING:
    from .analysis import Analysis
    from .model.index import ModelIndex

__all__ = ["ConfigError", "check", "distill", "format", "quantize", "resolve"]
P = ParamSpec("P")
R = TypeVar("R")

class ConfigError(ValueError):
    """The input could not be used: an unreadable file, a model that cannot be read, a config with
    errors where a result needs a valid one (resolve), a text the formatter refuses."""


def _text(text_or_path: str | os.PathLike[str]) -> tuple[str, str]:
    """(text, name shown in messages). A path-like object, or a one-line string naming an existing
    file, is read as a file (UTF-8); any other string is the config text itself."""
    if isinstance(text_or_path, os.PathLike) or ("\n" not in text_or_path and "{" not in text_or_path
                                                 and os.path.isfile(text_or_path)):
        from .cli.inputs import InputError, read_source

        name = os.fspath(text_or_path)
        try:
            return read_source(name).text, name
        except InputError as exc:
            raise ConfigError(str(exc)) from None
    return text_or_path, "<text>"


def _model(model: str | os.PathLike[str] | ModelIndex | None) -> ModelIndex | None:
    if model is None or not isinstance(model, (str, os.PathLike)):
        return model
    from .model import ModelError, load_model

    try:
        return load_model(os.fspath(model))
    except ModelError as exc:
        raise ConfigError(str(exc)) from None


def _analyze(text_or_path: str | os.PathLike[str], dialect: str | None,
             model: str | os.PathLike[str] | ModelIndex | None) -> Analysis:
    from .analysis import analyze

    text, _ = _text(text_or_path)
    return analyze(text, dialect, model=_model(model))


def _position(analysis: Analysis, offset: int) -> dict[str, int]:
    line, column = analysis.tree.lines.line_col(offset)
    return {"line": line + 1, "column": column + 1, "offset": offset}


def check(text_or_path: str | os.PathLike[str], *, dialect: str | None = None,
          model: str | os.PathLike[str] | ModelIndex | None = None) -> list[dict[str, Any]]:
    """Every finding of the config, in file order, as dicts: code, severity ("error", "warning",
    "info"), message, start / end ({line, column, offset}, 1-based line and column), related places
    and fixes ({title, safe, edits: [{start, end, new_text}]}, offsets into the text).
    `model`: an ONNX / PyTorch model path (or a ModelIndex) for the model checks."""
    analysis = _analyze(text_or_path, dialect, model)
    return [{
        "code": d.code, "severity": d.severity.value, "message": d.message,
        "start": _position(analysis, d.start), "end": _position(analysis, d.end),
        "related": [{"message": r.message, "start": _position(analysis, r.start),
                     "end": _position(analysis, r.end)} for r in d.related],
        "fixes": [{"title": f.title, "safe": f.safe,
                   "edits": [{"start": e.start, "end": e.end, "new_text": e.new_text} for e in f.edits]}
                  for f in d.fixes],
    } for d in analysis.diagnostics]


def _resolve(text_or_path: str | os.PathLike[str], *, model: str | os.PathLike[str] | ModelIndex,
             dialect: str | None = None) -> dict[str, Any]:
    """Every layer's effective config under the config and model (what `amct-lang resolve --format
    json` prints), as {"dialect", "layers": [...], "settings", "notes"}. Raises ConfigError when the
    config has errors (there is no effective config to speak of) or the model does not fit it."""
    from .semantic import ModelMismatch, effective_config
    from .semantic.present import layer_json, plain

    analysis = _analyze(text_or_path, dialect, model)
    errors = [d for d in analysis.diagnostics if d.is_error]
    if errors:
        first = errors[0]
        where = _position(analysis, first.start)
        raise ConfigError(f"the config has {len(errors)} error(s), the first at line {where['line']}: "
                          f"[{first.code}] {first.message}")
    try:
        config = effective_config(analysis)
    except (ModelMismatch, ValueError) as exc:
        raise ConfigError(str(exc)) from None
    lines = analysis.tree.lines
    return {"dialect": config.dialect, "layers": [layer_json(lc, lines) for lc in config.layers.values()],
            "settings": plain(config.settings) if config.settings is not None else None,
            "notes": list(config.notes)}


def _format(text_or_path: str | os.PathLike[str], *, dialect: str | None = None) -> str:
    """The config in the formatter's layout (comments kept, meaning unchanged). Raises ConfigError
    when the formatter refuses the text (syntax errors), saying why."""
    from .format import format_text

    text, name = _text(text_or_path)
    result = format_text(text, dialect)
    if result.text is None:
        raise ConfigError(f"{name}: not formatted: {result.reason}")
    return result.text


def quantize(*args: Any, **kwargs: Any) -> Any:
    """Post-training quantization of an ONNX model as the config says: amct_lang.executor.ptq.quantize
    (numpy, onnx and onnxruntime load on this call only)."""
    from .executor.ptq import quantize as run

    return run(*args, **kwargs)


def distill(*args: Any, **kwargs: Any) -> Any:
    """Quantization-aware distillation of a torch module: amct_lang.executor.distill.api.distill
    (torch loads on this call only)."""
    from .executor.distill.api import distill as run

    return run(*args, **kwargs)


class _Api(Generic[P, R]):
    """An API function that shares its name with a submodule (amct_lang.format, amct_lang.resolve):
    calling it runs the function; its other attributes are the submodule's, so code that imports
    the submodule through the package (`from amct_lang import format as fmt; fmt.format_text`)
    keeps working."""

    def __init__(self, function: Callable[P, R], module: str) -> None:
        self._function = function
        self._module = module
        self.__doc__ = function.__doc__
        self.__name__ = module.rsplit(".", 1)[-1]
        self.__module__ = __name__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._function(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._module), name)


format = _Api(_format, "amct_lang.format")  # noqa: A001 - the API's name for it
resolve = _Api(_resolve, "amct_lang.resolve")


class _Package(types.ModuleType):
    """Keeps `amct_lang.format` and `amct_lang.resolve` the functions: importing the submodules of
    the same names (the formatter, the resolution entry point) would otherwise replace the package
    attributes with the modules."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in __all__ and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
