"""The pre-commit hooks, run by the real pre-commit against temporary git repositories.

pre-commit installs hooks from a git repository at a revision, so the test commits a snapshot of
this source tree (what `pip install .` needs, plus .pre-commit-hooks.yaml) into a scratch repository
and points a project's .pre-commit-config.yaml at it: the same path a user takes, uncommitted
changes included. Installing the hook environment needs the package index (pip).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pre_commit")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git"),
]

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ["pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "amct_lang", "grammar"]

GOOD = """# proto-message: AMCTConfig
activation_offset: true
skip_layers: ["conv1", "conv2"]
common_config {
    arq_quantize {
        channel_wise: true
    }
}
"""
BAD = "batch_num: 1 group_size: 1  # wrong dialect fields and an unknown one\nfmr_quantize { }\n"


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com",
                           "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
                          cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _hook_repo(path: Path) -> str:
    path.mkdir()
    for name in SNAPSHOT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, path / name)
    _git(path, "init", "-q")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "snapshot")
    return _git(path, "rev-parse", "HEAD")


def _project(path: Path, hooks: Path, rev: str, files: dict[str, str]) -> None:
    path.mkdir()
    (path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks.as_posix()}\n    rev: {rev}\n    hooks:\n"
        "      - id: amct-lang-check\n      - id: amct-lang-fmt\n", encoding="utf-8")
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    _git(path, "init", "-q")
    _git(path, "add", "-A")


def _run(project: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=540)


def test_hooks_pass_a_good_config_and_stop_a_bad_one(tmp_path: Path) -> None:
    hooks = tmp_path / "hooks"
    rev = _hook_repo(hooks)
    cache = tmp_path / "cache"

    good = tmp_path / "good"
    # setup.cfg is not an AMCT file: the hooks must leave it alone
    _project(good, hooks, rev, {"configs/quant.cfg": GOOD, "setup.cfg": "[metadata]\nname = x\n"})
    done = _run(good, cache)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "amct-lang check" in done.stdout and "Passed" in done.stdout

    bad = tmp_path / "bad"
    _project(bad, hooks, rev, {"distill.cfg": BAD})
    done = _run(bad, cache)
    assert done.returncode != 0
    assert "SCH001" in done.stdout and "fmr_quantize" in done.stdout
    assert "files were modified by this hook" in done.stdout  # fmt rewrote the one-line file
    rewritten = (bad / "distill.cfg").read_text(encoding="utf-8")
    assert rewritten.startswith("batch_num: 1\ngroup_size: 1  # wrong")
