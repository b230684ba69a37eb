"""A real VS Code workbench for the tests: code-server on 127.0.0.1, isolated from the user's own.

Everything code-server writes (user data, extensions, its config file) goes to a temporary
folder; the binary comes from vscode-extension/scripts/install-code-server.sh (a cached install
outside the repo, done once per machine).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .extension_build import EXTENSION, run

INSTALL_SCRIPT = EXTENSION / "scripts" / "install-code-server.sh"
# the workbench noise that would cover the editor: welcome page, tips, trust and update prompts
USER_SETTINGS: dict[str, Any] = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "extensions.ignoreRecommendations": True,
    "update.mode": "none",
    "editor.minimap.enabled": False,
    "editor.hover.delay": 100,
}


def install() -> Path:
    """The code-server binary (the script installs it on first use, then only checks it)."""
    out = run(["bash", str(INSTALL_SCRIPT)], EXTENSION, "installing code-server", timeout=900).stdout
    lines = out.strip().splitlines()
    binary = Path(lines[-1]) if lines else Path()
    if not binary.is_file():
        pytest.fail(f"{INSTALL_SCRIPT.name} printed no code-server binary:\n{out}", pytrace=False)
    return binary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    url: str
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait_healthy(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"code-server exited with code {proc.returncode}:\n{log.read_text()[-3000:]}",
                        pytrace=False)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"code-server did not answer /healthz within {timeout:.0f} s:\n{log.read_text()[-3000:]}",
                pytrace=False)


@contextmanager
def serve(binary: Path, vsix: Path, workspace: Path, home: Path, env: dict[str, str]) -> Iterator[Running]:
    """Install `vsix` into a fresh extensions folder and serve `workspace`; `env` is what the
    extension host, and so the language server it starts, runs with."""
    user_data, extensions = home / "user-data", home / "extensions"
    (user_data / "User").mkdir(parents=True, exist_ok=True)
    (user_data / "User" / "settings.json").write_text(json.dumps(USER_SETTINGS, indent=2))
    config = home / "config.yaml"  # else code-server writes ~/.config/code-server/config.yaml
    config.write_text("auth: none\n")
    common = [str(binary), "--config", str(config), "--user-data-dir", str(user_data),
              "--extensions-dir", str(extensions)]
    run([*common, "--install-extension", str(vsix)], home, "installing the .vsix into code-server",
        timeout=120)
    port = _free_port()
    log = home / "code-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*common, "--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry",
             "--disable-update-check", "--disable-workspace-trust", str(workspace)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=workspace, start_new_session=True)
    try:
        _wait_healthy(port, proc, log, timeout=60)
        yield Running(f"http://127.0.0.1:{port}/?folder={workspace}", log)
    finally:
        # code-server's own process group: the extension host and the language server with it
        try:
            os.killpg(proc.pid, 15)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
