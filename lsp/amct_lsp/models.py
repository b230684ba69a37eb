"""Which model belongs to a document, and reading it (once per file version on disk).

A `# amct-model: PATH` header (relative to the document) wins over the `model` setting (relative
to the workspace folder). Models are read by amct_lang.model in the analysis thread and kept until
the file changes on disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODEL_SUFFIXES = (".onnx", ".pt", ".pth")


@dataclass(frozen=True)
class ModelChoice:
    model: Any  # a ModelIndex, or None
    note: str | None = None  # why no model is used although one is named
    header: tuple[int, int] | None = None  # range of the header's path, when the header named it


class Models:
    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[int, int], Any, str | None]] = {}

    def for_document(self, text: str, doc_path: Path | None, setting: str, root: Path | None) -> ModelChoice:
        from amct_lang.ide.layers import model_header

        found = model_header(text)
        if found is not None:
            name, start, end = found
            base = doc_path.parent if doc_path is not None else root
            model, note = self.load(_resolve(name, base))
            return ModelChoice(model, note, (start, end))
        if setting:
            model, note = self.load(_resolve(setting, root))
            return ModelChoice(model, note)
        return ModelChoice(None)

    def load(self, path: Path | None) -> tuple[Any, str | None]:
        if path is None:
            return None, "a relative model path needs a saved file or a workspace folder"
        key = str(path)
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (-1, -1)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
        from amct_lang.model import ModelError, load_model

        try:
            model, note = load_model(path), None
        except ModelError as exc:
            model, note = None, f"model not loaded: {exc}"
        self._cache[key] = (stamp, model, note)
        return model, note


def _resolve(name: str, base: Path | None) -> Path | None:
    path = Path(os.path.expanduser(name))
    if path.is_absolute():
        return path
    if base is None:
        return None
    return base / path


def model_files(doc_path: Path | None, limit: int = 200) -> list[str]:
    """Model files next to a document and one folder down, as paths relative to it."""
    if doc_path is None:
        return []
    base = doc_path.parent
    out: list[str] = []
    try:
        entries = sorted(os.scandir(base), key=lambda e: e.name)
    except OSError:
        return []
    for entry in entries:
        if len(out) >= limit:
            break
        if entry.is_file() and entry.name.lower().endswith(MODEL_SUFFIXES):
            out.append(entry.name)
        elif entry.is_dir() and not entry.name.startswith("."):
            try:
                inner = sorted(os.scandir(entry.path), key=lambda e: e.name)
            except OSError:
                continue
            out.extend(f"{entry.name}/{e.name}" for e in inner
                       if e.is_file() and e.name.lower().endswith(MODEL_SUFFIXES))
    return out[:limit]
