"""The server in a real editor nobody here wrote: Neovim (Debian's, 0.7) headless, with its own LSP
client, collecting diagnostics and completion as JSON (probe.lua)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from amct_lang.analysis import analyze

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("probe.lua")
NVIM = shutil.which("nvim")

# An error after Chinese and astral characters on the same line: Neovim maps the server's UTF-16
# columns to byte columns, so a server counting anything else would land elsewhere.
TEXT = """# proto-message: AMCTConfig
# 量化配置 𝛼
skip_layers: "层𝛼" bogus_field: 1
joint_quant: true
common_config {
    ifmr_quantize {
        search_step: 0.01

    }
}
"""
COMPLETION_AT = (7, 8)  # the empty line inside ifmr_quantize


@pytest.mark.skipif(NVIM is None and not os.environ.get("CI"),
                    reason="nvim is not installed (apt-get install neovim); in CI it must run")
def test_neovim_gets_diagnostics_and_completion(tmp_path: Path) -> None:
    assert NVIM is not None, "nvim is missing: CI must install Debian's neovim"
    cfg = tmp_path / "quant.cfg"
    cfg.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "probe.json"
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "lsp"), os.environ.get("PYTHONPATH", "")]),
           "AMCT_PROBE_CMD": json.dumps([sys.executable, "-m", "amct_lang", "lsp"]),
           "AMCT_PROBE_LINE": str(COMPLETION_AT[0]), "AMCT_PROBE_CHARACTER": str(COMPLETION_AT[1]),
           "AMCT_PROBE_OUT": str(out), "XDG_STATE_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    proc = subprocess.run([NVIM, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {PROBE}",
                           str(cfg)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.exists(), f"the probe wrote nothing: {proc.stdout}\n{proc.stderr}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result.get("error") in (None, ""), result["error"]

    expected = analyze(TEXT).diagnostics
    lines = TEXT.split("\n")

    def place(offset: int) -> tuple[int, int]:  # Neovim's (line, byte column)
        line = TEXT.count("\n", 0, offset)
        start = TEXT.rfind("\n", 0, offset) + 1
        return line, len(TEXT[start:offset].encode("utf-8"))

    got = sorted((d["lnum"], d["col"], d["end_lnum"], d["end_col"], d["message"])
                 for d in result["diagnostics"])
    want = sorted((*place(d.start), *place(d.end), d.message) for d in expected)
    assert got == want
    assert {d.get("source") for d in result["diagnostics"]} == {"amct-lang"}
    bogus = next(d for d in result["diagnostics"] if "bogus_field" in d["message"])
    assert lines[bogus["lnum"]].encode("utf-8")[bogus["col"]:bogus["end_col"]] == b"bogus_field"

    labels = [c["label"] for c in sorted(result["completion"], key=lambda c: c.get("sortText") or c["label"])]
    assert labels[:2] == ["search_range_start", "search_range_end"]
    assert "search_step" not in labels and "dst_type" in labels


README = REPO / "README.md"
WAIT_PROBE = Path(__file__).with_name("wait_diagnostics.lua")


def readme_snippet(marker: str) -> str:
    """The ```lua block of the README whose first line is `marker`."""
    text = README.read_text(encoding="utf-8")
    for block in text.split("```lua\n")[1:]:
        body = block.split("```", 1)[0]
        if body.startswith(marker):
            return body
    raise AssertionError(f"no ```lua block starting with {marker!r} in README.md")


@pytest.mark.skipif(NVIM is None and not os.environ.get("CI"),
                    reason="nvim is not installed (apt-get install neovim); in CI it must run")
def test_the_readme_snippet_attaches_and_gets_diagnostics(tmp_path: Path) -> None:
    """The README's Neovim 0.7 text, verbatim as a user's init.lua, with `amct-lang` on PATH."""
    assert NVIM is not None, "nvim is missing: CI must install Debian's neovim"
    init = tmp_path / "init.lua"
    init.write_text(readme_snippet("-- amct-lang for Neovim 0.7+"), encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "amct-lang"  # this checkout's amct-lang, as `pip install '.[lsp]'` would give
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m amct_lang "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    cfg = tmp_path / "quant.cfg"
    cfg.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "probe.json"
    env = {**os.environ, "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
           "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "lsp"), os.environ.get("PYTHONPATH", "")]),
           "AMCT_PROBE_OUT": str(out), "XDG_STATE_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
           "XDG_CACHE_HOME": str(tmp_path)}
    command = [NVIM, "--headless", "-u", str(init), "-i", "NONE", "-n", "-c", f"luafile {WAIT_PROBE}",
               str(cfg)]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.exists(), f"the probe wrote nothing: {proc.stdout}\n{proc.stderr}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["attached"] == 1, result
    expected = {d.message for d in analyze(TEXT).diagnostics}
    assert {d["message"] for d in result["diagnostics"]} == expected
