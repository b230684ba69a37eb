"""The packaged extension in a real VS Code workbench (code-server 4.100.3), driven by Playwright
with Debian's Chromium: the language server's diagnostics reach the Problems panel, its
completions the suggest widget, its hover the hover widget.

What each check expects comes from the project itself (the analysis of the workspace file, the
schema's fields and doc comments), so changing the fixture file is all a new case needs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from amct_lang.analysis import analyze

from . import code_server
from .extension_build import REPO, build_vsix, require

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "quant.cfg"
# ROS' dynamic-reconfigure file: Python, but `*calibration*.cfg` claims it for AMCT config
FOREIGN = Path(__file__).resolve().parents[1] / "ide" / "fixtures" / "foreign" / "camera_calibration.cfg"
HOVER_FIELD = "activation_offset"  # a top-level field of the fixture, hovered for its doc
COMPLETION_PREFIX = "comm"  # typed on a new last line: every top-level field it starts is offered
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]
WAIT = 60.0  # seconds: workbench load, extension activation and server start on a busy machine
T = TypeVar("T")

pytestmark = pytest.mark.slow


def _normalized(text: str) -> str:
    return " ".join(text.split())


def poll(probe: Callable[[], T], what: str, timeout: float = WAIT) -> T:
    """The first truthy value of `probe()`, retried until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


@dataclass
class Workbench:
    page: Any  # playwright.sync_api.Page
    running: code_server.Running
    text: str
    workspace: Path = Path()

    @contextmanager
    def evidence(self, name: str) -> Iterator[None]:
        """On failure: a screenshot, the notifications shown and code-server's log in the report."""
        try:
            yield
        except Exception as exc:
            # outside pytest's basetemp, which keeps only the last few runs
            shot = Path(tempfile.mkdtemp(prefix=f"amct-vscode-{name}-")) / "screen.png"
            try:
                self.page.screenshot(path=str(shot))
                notes = self.page.locator(".notification-list-item-message").all_inner_texts()
            except Exception as inner:  # noqa: BLE001 - the page itself may be gone
                notes = [f"(page unavailable: {inner})"]
            raise AssertionError(f"{exc}\nscreenshot: {shot}\nnotifications: {notes}\n"
                                 f"code-server log ({self.running.log}):\n{self.running.log_tail()}") from exc

    def command(self, title: str) -> None:
        """Run a command by its title from the command palette."""
        self.page.keyboard.press("Control+Shift+P")
        box = self.page.locator(".quick-input-widget input")
        box.wait_for(timeout=WAIT * 1000)
        box.fill(f">{title}")
        self.page.locator(".quick-input-list .monaco-list-row", has_text=title).first.wait_for(
            timeout=WAIT * 1000)
        self.page.keyboard.press("Enter")

    def focus_editor(self) -> None:
        self.page.locator(".monaco-editor .view-lines").first.click()

    def go_to(self, offset: int) -> None:
        """Put the cursor at a text offset (Go to Line/Column, 1-based)."""
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        self.focus_editor()
        self.page.keyboard.press("Control+G")
        box = self.page.locator(".quick-input-widget input")
        box.wait_for(timeout=WAIT * 1000)
        box.fill(f":{line}:{column}")
        self.page.keyboard.press("Enter")


def _open_file(page: Any, name: str) -> None:
    """Open a workspace file with Quick Open (Ctrl+P)."""
    page.locator(".monaco-workbench").click(position={"x": 700, "y": 450})
    page.keyboard.press("Control+P")
    box = page.locator(".quick-input-widget input")
    box.wait_for(timeout=WAIT * 1000)
    box.fill(name)
    page.locator(".quick-input-list .monaco-list-row", has_text=name).first.wait_for(timeout=WAIT * 1000)
    page.keyboard.press("Enter")
    page.locator(".monaco-editor .view-lines").first.wait_for(timeout=WAIT * 1000)


@pytest.fixture(scope="module")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workbench]:
    require(["node", "npm", CHROMIUM], ["playwright"])
    from playwright.sync_api import sync_playwright

    vsix = build_vsix()
    binary = code_server.install()
    home = tmp_path_factory.mktemp("vscode")
    workspace = home / "workspace"
    (workspace / ".vscode").mkdir(parents=True)
    shutil.copy(FIXTURE, workspace / FIXTURE.name)
    shutil.copy(FOREIGN, workspace / FOREIGN.name)
    # workspace settings: code-server reads the server command there (and the extension
    # restricts it to them only in untrusted workspaces; trust is off)
    (workspace / ".vscode" / "settings.json").write_text(json.dumps({
        "amctLang.server.command": [sys.executable, "-m", "amct_lang", "lsp"],
        "editor.wordBasedSuggestions": "off",  # only the server's completions in the widget
    }, indent=2))
    # the server runs from this checkout whether or not it is pip-installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), str(REPO / "lsp"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    with code_server.serve(binary, vsix, workspace, home, env) as running, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            bench = Workbench(page, running, FIXTURE.read_text(encoding="utf-8"), workspace)
            with bench.evidence("open"):
                page.goto(running.url)
                page.locator(".monaco-workbench").wait_for(timeout=WAIT * 1000)
                page.locator(".explorer-folders-view").first.wait_for(timeout=WAIT * 1000)
                _open_file(page, FIXTURE.name)
                mode = page.locator("#status\\.editor\\.mode")
                poll(lambda: "AMCT config" in mode.inner_text(), "the language mode 'AMCT config'")
            yield bench
        finally:
            browser.close()


def test_problems_panel_lists_the_diagnostic(workbench: Workbench) -> None:
    expected = [d for d in analyze(workbench.text).diagnostics if d.code.startswith("SCH")]
    assert expected, f"{FIXTURE.name} should have a schema error to look for"
    page = workbench.page
    with workbench.evidence("problems"):
        workbench.focus_editor()
        page.keyboard.press("Control+Shift+M")
        panel = page.locator(".markers-panel")
        try:
            panel.wait_for(timeout=5000)
        except Exception:  # noqa: BLE001 - the browser kept the shortcut: use the palette
            workbench.command("View: Show Problems")
            panel.wait_for(timeout=WAIT * 1000)

        def shown() -> str:
            text = _normalized(panel.inner_text())
            return text if all(_normalized(d.message) in text and d.code in text for d in expected) else ""

        poll(shown, f"{[(d.code, d.message) for d in expected]} in the Problems panel")
        for d in expected:
            row = panel.locator(".monaco-list-row", has_text=d.message).first
            line, col = analyze(workbench.text).tree.lines.line_col(d.start)
            assert f"Ln {line + 1}, Col {col + 1}" in row.inner_text(), row.inner_text()
        page.keyboard.press("Control+Shift+M")  # hide the panel again


def test_hover_shows_the_field_documentation(workbench: Workbench) -> None:
    analysis = analyze(workbench.text)
    field = analysis.schema.top(analysis.dialect.name).fields_by_name[HOVER_FIELD]
    doc = analysis.schema.doc(field).text.splitlines()[0]
    page = workbench.page
    with workbench.evidence("hover"):
        name = page.locator(".monaco-editor .view-lines span > span").filter(
            has_text=re.compile(rf"^\s*{HOVER_FIELD}\s*$")).first
        name.wait_for(timeout=WAIT * 1000)
        hover = page.locator(".monaco-hover:not(.hidden)")

        def shown() -> str:
            # away and back: a hover asked before the server was up shows nothing
            page.mouse.move(5, 5)
            name.hover()
            try:
                hover.first.wait_for(timeout=3000)
            except Exception:  # noqa: BLE001 - not yet: try again
                return ""
            text = _normalized(" ".join(hover.all_inner_texts()))
            return text if _normalized(doc) in text else ""

        text = poll(shown, f"a hover with {doc!r}")
        assert HOVER_FIELD in text
        page.mouse.move(5, 5)


def test_completion_offers_the_fields(workbench: Workbench) -> None:
    analysis = analyze(workbench.text)
    top = analysis.schema.top(analysis.dialect.name)
    expected = sorted(f.name for f in top.fields if f.name.startswith(COMPLETION_PREFIX))
    assert expected, f"no top-level field starts with {COMPLETION_PREFIX!r}"
    page = workbench.page
    with workbench.evidence("completion"):
        workbench.go_to(len(workbench.text))
        page.keyboard.press("Enter")
        page.keyboard.type(COMPLETION_PREFIX)
        widget = page.locator(".suggest-widget.visible")

        def offered() -> list[str]:
            page.keyboard.press("Escape")
            page.keyboard.press("Control+Space")
            try:
                widget.wait_for(timeout=3000)
                page.locator(".suggest-widget.visible .monaco-list-row").first.wait_for(timeout=3000)
            except Exception:  # noqa: BLE001 - "no suggestions" while the server starts: again
                return []
            labels = widget.locator(".monaco-list-row .label-name").all_inner_texts()
            return labels if all(name in labels for name in expected) else []

        poll(offered, f"{expected} in the suggest widget")
        page.keyboard.press("Escape")


def _notification(page: Any, text: str) -> Any:
    return page.locator(".notification-list-item", has_text=text).first


def test_a_python_cfg_gets_one_note_and_its_language_offered(workbench: Workbench) -> None:
    page = workbench.page
    with workbench.evidence("foreign"):
        _open_file(page, FOREIGN.name)
        toast = _notification(page, "looks like a Python file, not an AMCT config")
        toast.wait_for(timeout=WAIT * 1000)
        buttons = toast.locator(".monaco-button").all_inner_texts()
        choice = "Open as Python" if "Open as Python" in buttons else "Open as Plain Text"
        toast.locator(".monaco-button", has_text=choice).first.click()
        mode = page.locator("#status\\.editor\\.mode")
        want = "Python" if choice == "Open as Python" else "Plain Text"
        poll(lambda: want in mode.inner_text(), f"the language mode {want!r}")


def test_a_changed_server_command_applies_without_reload(workbench: Workbench) -> None:
    """Point amctLang.server.command at a program that does not exist: the extension restarts
    the server at once and says, in one sentence, what to install; then put it back."""
    page = workbench.page
    settings = workbench.workspace / ".vscode" / "settings.json"
    good = settings.read_text(encoding="utf-8")
    values = json.loads(good)
    missing = str(workbench.workspace / "no-such-amct-lang")
    values["amctLang.server.command"] = [missing, "lsp"]
    with workbench.evidence("settings"):
        _open_file(page, FIXTURE.name)
        settings.write_text(json.dumps(values, indent=2), encoding="utf-8")
        try:
            toast = _notification(page, "no-such-amct-lang")
            toast.wait_for(timeout=WAIT * 1000)
            message = _normalized(toast.locator(".notification-list-item-message").inner_text())
            assert "pip install '.[lsp]'" in message and "amct-lang checkout" in message, message
            assert message.count(". ") == 0 and len(message.split()) <= 30, message  # one short sentence
        finally:
            settings.write_text(good, encoding="utf-8")
