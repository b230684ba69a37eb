"""The repository's own examples: every file in examples/ checks clean (errors none, exit 0), and
every file in examples/broken/ gets exactly the output recorded beside it in `<name>.out`.
Regenerate the recorded outputs after a deliberate message change with
`AMCT_UPDATE_EXAMPLES=1 python -m pytest tests/test_examples.py`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
CLEAN = sorted([*EXAMPLES.glob("*.cfg"), *EXAMPLES.glob("*.txt")])
BROKEN = sorted((EXAMPLES / "broken").glob("*.cfg"))
UPDATE = os.environ.get("AMCT_UPDATE_EXAMPLES") == "1"


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    # Paths relative to the repository, so the recorded output does not depend on the clone's place.
    return subprocess.run(
        [sys.executable, "-m", "amct_lang", "check", str(path.relative_to(REPO))],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )


def test_every_dialect_has_an_example() -> None:
    headers = {line for p in CLEAN for line in p.read_text(encoding="utf-8").splitlines()[:3]}
    for dialect in ("calibration", "calibration-onnx", "distill", "retrain", "record"):
        assert f"# amct-dialect: {dialect}" in headers, dialect


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_example_is_clean(path: Path) -> None:
    result = _check(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error[" not in result.stdout and "warning[" not in result.stdout, result.stdout


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_example_gets_its_recorded_output(path: Path) -> None:
    result = _check(path)
    assert result.returncode == 1, result.stdout + result.stderr
    expected = path.with_suffix(".out")
    if UPDATE or not expected.exists():
        expected.write_text(result.stdout, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"recorded {expected.name}: review it and commit it")
    assert result.stdout == expected.read_text(encoding="utf-8")
