#!/usr/bin/env python3
"""End-to-end smoke test of the packaged extension in a real VS Code workbench (code-server).

Starts code-server 4.100.3 on 127.0.0.1 (a free port) with a fresh user-data and extensions
folder, installs amct-lang.vsix, opens a workspace holding a quant.cfg in Debian's Chromium
driven by Playwright, and checks:

1. the status bar shows the language mode "AMCT config" for settings_header.cfg (by its first line
   `# amct-dialect: ...`) and for quant.cfg (by its name): the language contribution works and
   the extension activates without a server;
2. with a server command that does not exist, the extension shows exactly ONE error
   notification naming that command and the setting to change;
3. after switching the setting to a server that exits at once, the extension restarts and
   again shows ONE error notification for the new command (and does not loop);
4. only with --server-command: after switching to that (real) server, no new error shows up and
   the status bar counts the errors it reports for a misspelt field in quant.cfg.

Needs: scripts/install-code-server.sh (run it first, or let this script run it), amct-lang.vsix
(npm run package), `pip install playwright` and /usr/bin/chromium. Never runs `playwright install`.

    python3 test/e2e_smoke.py [--vsix amct-lang.vsix] [--code-server PATH] [--keep]
                              [--server-command 'amct-lang lsp']

code-server and so the server inherit this script's environment (PATH, PYTHONPATH).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXT_DIR = HERE.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
MISSING_CMD = "amct-lang-missing-for-smoke-test"
QUANT_CFG = """\
# proto-message: AMCTConfig
activation_offset : true
activaton_ofset : true
batch_num: 1  # amct-lint: disable=SCH001
common_config : {
    arq_quantize : { channel_wise : true }
    ifmr_quantize : { search_range_start : 0.7  search_step : 0.01  asymmetric : false }
}
skip_layers: ["conv1", 'fc']
"""


def log(msg: str) -> None:
    print(f"[e2e] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_code_server(explicit: str | None) -> str:
    if explicit:
        return explicit
    out = subprocess.run(
        ["bash", str(EXT_DIR / "scripts" / "install-code-server.sh")],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def write_settings(user_data: Path, server_command: list[str]) -> None:
    settings = {
        "security.workspace.trust.enabled": False,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "update.mode": "none",
        "amctLang.server.command": server_command,
    }
    (user_data / "User").mkdir(parents=True, exist_ok=True)
    (user_data / "User" / "settings.json").write_text(json.dumps(settings, indent=2))


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"code-server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("code-server did not become healthy")


def open_file(page, name: str) -> None:
    """Open a workspace file with Quick Open (Ctrl+P)."""
    page.locator(".monaco-workbench").click(position={"x": 700, "y": 450})
    page.keyboard.press("Control+P")
    box = page.locator(".quick-input-widget input")
    box.wait_for(timeout=20_000)
    box.fill(name)
    page.locator(".quick-input-list .monaco-list-row", has_text=name).first.wait_for(timeout=20_000)
    page.keyboard.press("Enter")
    page.locator(".monaco-editor .view-lines").first.wait_for(timeout=20_000)


def error_messages(page, needle: str) -> list[str]:
    texts = page.locator(".notification-list-item-message").all_inner_texts()
    return [t for t in texts if needle in t]


def errors_in_status_bar(problems) -> int:
    label = problems.get_attribute("aria-label") or problems.inner_text()
    digits = re.findall(r"\d+", label)
    return int(digits[0]) if digits else 0


def wait_for(predicate, timeout: float, what: str, page=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    if page is not None:
        texts = page.locator(".notification-list-item-message").all_inner_texts()
        what += f"; notifications shown: {texts}"
    raise AssertionError(f"timed out waiting for {what}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vsix", default=str(EXT_DIR / "amct-lang.vsix"))
    ap.add_argument("--code-server", default=None, help="code-server binary (default: install/lookup)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    ap.add_argument("--server-command", default=None,
                    help="a working server command line (e.g. 'amct-lang lsp') for check 4")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright  # pip install playwright

    vsix = Path(args.vsix)
    if not vsix.is_file():
        log(f"{vsix} not found: run `npm run package` first")
        return 2
    code_server = find_code_server(args.code_server)
    tmp = Path(tempfile.mkdtemp(prefix="amct-e2e-"))
    user_data, extensions, workspace = tmp / "user-data", tmp / "extensions", tmp / "ws"
    workspace.mkdir(parents=True)
    (workspace / "quant.cfg").write_text(QUANT_CFG)
    (workspace / "settings_header.cfg").write_text("# amct-dialect: distill\nbatch_num: 1\n")
    write_settings(user_data, [MISSING_CMD, "lsp"])
    failures: list[str] = []
    checks = 0
    started = time.time()

    subprocess.run(
        [code_server, "--extensions-dir", str(extensions), "--install-extension", str(vsix)],
        check=True, stdout=subprocess.DEVNULL,
    )
    port = free_port()
    server = subprocess.Popen(
        [code_server, "--config", str(tmp / "config.yaml"), "--auth", "none", "--bind-addr", f"127.0.0.1:{port}",
         "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
         "--user-data-dir", str(user_data), "--extensions-dir", str(extensions), str(workspace)],
        stdout=(tmp / "code-server.log").open("w"), stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(port, server)
        log(f"code-server ready on port {port} after {time.time() - started:.1f}s")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/?folder={workspace}")
            page.locator(".monaco-workbench").wait_for(timeout=60_000)
            page.locator(".explorer-folders-view, .explorer-viewlet").first.wait_for(timeout=60_000)

            # The header file first: a name the patterns do not claim, recognised by its first line.
            open_file(page, "settings_header.cfg")
            mode = page.locator("#status\\.editor\\.mode")
            mode.wait_for(timeout=20_000)
            checks += 1
            wait_for(lambda: "AMCT config" in mode.inner_text(), 20, "'AMCT config' from the first line")
            log(f"settings_header.cfg language mode: {mode.inner_text().strip()!r}")
            open_file(page, "quant.cfg")
            wait_for(lambda: page.locator(".tab.active").inner_text().startswith("quant.cfg"), 20, "quant.cfg tab")

            checks += 1
            # 1. Language mode in the status bar.
            wait_for(lambda: "AMCT config" in mode.inner_text(), 20, "language mode 'AMCT config'")
            log(f"status bar language mode: {mode.inner_text().strip()!r}")

            checks += 1
            # 2. Missing server: exactly one clear error message.
            wait_for(lambda: error_messages(page, MISSING_CMD), 30, "the 'server missing' message")
            time.sleep(3)  # would a second message or a restart loop show up?
            msgs = error_messages(page, MISSING_CMD)
            log(f"missing-server messages: {msgs}")
            if len(msgs) != 1:
                failures.append(f"expected 1 message for the missing server, got {len(msgs)}: {msgs}")
            elif "amctLang.server.command" not in msgs[0] or "pip install amct-lang" not in msgs[0]:
                failures.append(f"message lacks the setting or the install hint: {msgs[0]}")
            all_errors = page.locator(".notification-list-item-message").all_inner_texts()
            if len(all_errors) != 1:
                failures.append(f"expected 1 notification in all, got {len(all_errors)}: {all_errors}")

            checks += 1
            # 3. A server that exits at once: change the setting, the extension restarts.
            exits_cmd = [sys.executable, "-c", "import sys; sys.stderr.write('smoke: boom\\n'); sys.exit(3)"]
            # (a workspace setting: code-server notices edits there, not always in User/)
            (workspace / ".vscode").mkdir(exist_ok=True)
            (workspace / ".vscode" / "settings.json").write_text(
                json.dumps({"amctLang.server.command": exits_cmd}, indent=2))
            wait_for(lambda: error_messages(page, "smoke: boom"), 30, "the 'exited at once' message", page)
            time.sleep(3)
            msgs = error_messages(page, "smoke: boom")
            log(f"exits-at-once messages: {msgs}")
            if len(msgs) != 1:
                failures.append(f"expected 1 message for the exiting server, got {len(msgs)}: {msgs}")
            elif "exit code 3" not in msgs[0] or "amctLang.server.pythonPath" not in msgs[0]:
                failures.append(f"message lacks the exit code: {msgs[0]}")

            # 4. A working server: diagnostics arrive, no error message.
            if args.server_command:
                checks += 1
                before = len(page.locator(".notification-list-item-message").all_inner_texts())
                (workspace / ".vscode" / "settings.json").write_text(
                    json.dumps({"amctLang.server.command": shlex.split(args.server_command)}, indent=2))
                problems = page.locator("#status\\.problems")
                wait_for(lambda: errors_in_status_bar(problems) > 0, 60, "diagnostics from the server", page)
                log(f"status bar problems: {problems.inner_text().strip()!r}")
                after = page.locator(".notification-list-item-message").all_inner_texts()
                if len(after) != before:
                    failures.append(f"new notifications with a working server: {after[before:]}")

            page.screenshot(path=str(tmp / "final.png"))
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if failures or args.keep:
            log(f"kept {tmp} (code-server.log, final.png)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    log(f"took {time.time() - started:.1f}s")
    for f in failures:
        log(f"FAIL: {f}")
    failed = min(checks, len(failures))
    print(f"{checks - failed} passed, {failed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
