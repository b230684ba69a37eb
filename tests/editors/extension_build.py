"""The VS Code extension's Node project (vscode-extension/): tools, `npm ci`, the packaged .vsix.

Everything is built in a copy of the sources in a cache folder (AMCT_EDITOR_CACHE, by default
~/.cache/amct-lang-editors/extension): node_modules/, out/ and the .vsix never land in the
source tree.

The editor tests skip only on a developer machine without the tools; in CI (`CI` set) a missing
tool is a failure, so the tests can never silently stop running there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "vscode-extension"
CACHE = Path(os.environ.get("AMCT_EDITOR_CACHE", Path.home() / ".cache" / "amct-lang-editors"))
BUILD = CACHE / "extension"  # the copy that is built
VSIX = BUILD / "amct-lang.vsix"
# what the .vsix is built from: a build older than any of these is rebuilt
_SOURCES = ("package.json", "package-lock.json", "tsconfig.json", "language-configuration.json",
            "README.md", ".vscodeignore", "src", "syntaxes", "images", "test")
_NPM_QUIET = ("--no-fund", "--no-audit", "--loglevel=error")


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def require(tools: Iterable[str], modules: Iterable[str] = ()) -> None:
    """Skip (outside CI) or fail (in CI) when a program or Python module is missing."""
    missing = [t for t in tools if shutil.which(t) is None]
    for name in modules:
        try:
            __import__(name)
        except ImportError:
            missing.append(f"python module {name}")
    if not missing:
        return
    what = f"needs {', '.join(missing)} (see .ci/run for how CI installs them)"
    if in_ci():
        pytest.fail(f"CI is set but the editor test {what}", pytrace=False)
    pytest.skip(what)


def run(cmd: list[str], cwd: Path, what: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a build step; on failure, fail the test with the end of its output."""
    env = {**os.environ, "npm_config_update_notifier": "false"}
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        pytest.fail(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}", pytrace=False)
    return proc


def _newest_mtime(paths: Iterable[Path]) -> float:
    newest = 0.0
    for path in paths:
        if path.is_dir():
            newest = max([newest, *(p.stat().st_mtime for p in path.rglob("*") if p.is_file())])
        elif path.exists():
            newest = max(newest, path.stat().st_mtime)
    return newest


def sync_sources() -> Path:
    """Copy the extension's sources (and the repository's LICENSE) into BUILD; files that are
    gone from the sources are removed there too, node_modules/ and out/ are kept."""
    BUILD.mkdir(parents=True, exist_ok=True)
    wanted = {name for name in _SOURCES if (EXTENSION / name).exists()}
    for name in wanted:
        src, dst = EXTENSION / name, BUILD / name
        if src.is_dir():
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    shutil.copy2(REPO / "LICENSE", BUILD / "LICENSE")
    return BUILD


def npm_ci() -> Path:
    """The build folder with `npm ci` done, unless node_modules already matches package-lock.json
    (npm's own record of the installed tree, node_modules/.package-lock.json, is newer)."""
    sync_sources()
    installed = BUILD / "node_modules" / ".package-lock.json"
    lock = BUILD / "package-lock.json"
    if not (installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime):
        run(["npm", "ci", *_NPM_QUIET], BUILD, "npm ci")
    return BUILD


def build_vsix() -> Path:
    """The packaged extension, rebuilt (compile + package) when a source is newer than it."""
    if VSIX.is_file() and VSIX.stat().st_mtime >= _newest_mtime(EXTENSION / s for s in _SOURCES):
        return VSIX
    npm_ci()
    # `vsce package` runs the vscode:prepublish script (type check, then the esbuild bundle) first
    run(["npm", "run", "--silent", "package"], BUILD, "packaging the extension")
    if not VSIX.is_file():
        pytest.fail(f"`npm run package` did not write {VSIX}", pytrace=False)
    return VSIX
