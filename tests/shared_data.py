"""The material beside the repository in `../shared` (seed examples, real-world corpus).

A user's clone has nothing beside it: tests over that material are skipped with a visible reason
then. On CI (`CI` set) the material must be there, so its absence fails the run instead of
silently shrinking it. `AMCT_SHARED` points elsewhere when the material lives in another place.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AMCT_SHARED", REPO.parent / "shared"))
EXAMPLES = REPO / "examples"
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _absent(what: str) -> str:
    return f"{what} not found: needs ../shared beside the repository (or AMCT_SHARED)"


def shared_files(*patterns: str) -> list[Path]:
    """Files under ../shared matching the glob patterns, sorted; [] when absent (an error on CI)."""
    files = sorted({p for pattern in patterns for p in SHARED.glob(pattern)})
    if not files and ON_CI:
        raise RuntimeError(_absent(" / ".join(patterns)) + " (CI is set, so this is an error)")
    return files


def shared_cases(*patterns: str) -> list[object]:
    """Parameters for `pytest.mark.parametrize`: the files, or one visibly skipped case."""
    files = shared_files(*patterns)
    if files:
        return list(files)
    return [pytest.param(None, marks=pytest.mark.skip(reason=_absent(" / ".join(patterns))), id="no-shared")]


def require_shared(*patterns: str) -> list[Path]:
    """Inside a test: the files, or skip this test with the reason."""
    files = shared_files(*patterns)
    if not files:
        pytest.skip(_absent(" / ".join(patterns)))
    return files


def own_examples() -> list[Path]:
    """The repository's own examples (always present): clean files of every dialect."""
    return sorted([*EXAMPLES.glob("*.cfg"), *EXAMPLES.glob("*.txt")])
