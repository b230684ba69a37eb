"""The CLI on bad input and awkward surroundings: every case gets a clear message and the right
exit code, and no file is changed that should not be."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from amct_lang.cli import main

UGLY = "batch_num : 1 group_size:2\n"
DUPLICATED = "skip_layers: \"conv1\"\nskip_layers: \"conv1\"\nactivation_offset: true\n"


def _read_only(path: Path, text: str) -> tuple[Path, os.stat_result]:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o444)
    return path, path.stat()


@pytest.mark.parametrize("command,text", [(["fmt"], UGLY), (["check", "--fix"], DUPLICATED)])
def test_a_read_only_file_is_refused_and_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   command: list[str], text: str) -> None:
    path, before = _read_only(tmp_path / "quant.cfg", text)
    assert main([*command, str(path)]) == 2
    after = path.stat()
    assert path.read_text(encoding="utf-8") == text
    def identity(info: os.stat_result) -> tuple[int, int, int]:
        return info.st_ino, info.st_mode, info.st_mtime_ns

    assert identity(after) == identity(before)
    assert "it is read-only; the file is unchanged" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quant.cfg"]


# -- the CLI as a real process -------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
CONFIG = "common_config {\n  arq_quantize { channel_wise: true }\n}\n"


def _run(*args: str, stdin: bytes | None = None,
         shell: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    command: list[str] | str = [sys.executable, "-m", "amct_lang", *args]
    if shell is not None:
        command = shell.replace("AMCT", f"{shlex.quote(sys.executable)} -m amct_lang")
    done = subprocess.run(command, input=stdin, cwd=REPO, env=env, capture_output=True, timeout=120,
                          shell=shell is not None, executable="/bin/bash" if shell else None)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode("utf-8", "replace"),
                                       done.stderr.decode("utf-8", "replace"))


# (what the file holds, what the one message must say)
NOT_UTF8_TEXT = [
    (CONFIG.encode("utf-16"), "UTF-16 (little-endian, with a byte-order mark)"),
    (CONFIG.encode("utf-16-be"), "UTF-16BE without a byte-order mark"),
    (CONFIG.encode("utf-16-le"), "UTF-16LE without a byte-order mark"),
    (CONFIG.encode("utf-32"), "UTF-32 (little-endian, with a byte-order mark)"),
    (bytes(range(256)) * 64, "is a binary file"),
]


@pytest.mark.parametrize("data,needle", NOT_UTF8_TEXT)
@pytest.mark.parametrize("command", ["check", "fmt"])
def test_binary_and_utf16_files_get_one_message(tmp_path: Path, data: bytes, needle: str,
                                                command: str) -> None:
    path = tmp_path / "quant.cfg"
    path.write_bytes(data)
    done = _run(command, str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert needle in done.stderr and ("UTF-8" in done.stderr)
    assert path.read_bytes() == data


def test_a_real_executable_is_one_line(tmp_path: Path) -> None:
    done = _run("check", sys.executable)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"amct-lang: {sys.executable}: is a binary file, not a text config; "
                           "name a .cfg file saved as UTF-8 text\n")


def test_utf16_on_standard_input() -> None:
    done = _run("check", "-", stdin=CONFIG.encode("utf-16"))
    assert done.returncode == 2 and "<stdin>: is text in UTF-16" in done.stderr


def test_a_stray_nul_in_a_text_file_is_a_finding_not_a_refusal(tmp_path: Path) -> None:
    path = tmp_path / "quant.cfg"
    path.write_bytes(b"activation_offset: true\x00\n")
    done = _run("check", str(path))
    assert done.returncode == 1 and "SYN002" in done.stdout


def test_a_closed_pipe_keeps_the_exit_status_of_the_findings(tmp_path: Path) -> None:
    path = tmp_path / "bad.cfg"
    path.write_text("a 1\n" * 5000, encoding="utf-8")  # far more output than a pipe buffer holds
    done = _run(shell=f"AMCT check {shlex.quote(str(path))} | head -1; echo status=${{PIPESTATUS[0]}}")
    assert done.stdout.splitlines()[-1] == "status=1"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    clean = tmp_path / "clean.cfg"
    clean.write_text(CONFIG, encoding="utf-8")
    done = _run(shell=f"AMCT check {shlex.quote(str(clean))} | head -1; echo status=${{PIPESTATUS[0]}}")
    assert done.stdout.splitlines()[-1] == "status=0"


def test_a_long_line_is_shown_as_a_window_around_the_column(tmp_path: Path) -> None:
    line = "activation_offset: true " * 40 + "joint_quant: maybe " + "skip_layers: 'x' " * 20
    path = tmp_path / "long.cfg"
    path.write_text(line + "\n", encoding="utf-8")
    done = _run("check", str(path))
    report = done.stdout.splitlines()
    at = next(i for i, text in enumerate(report) if "joint_quant" in text and "SCH002" in text)
    excerpt, caret = report[at + 1], report[at + 2]
    assert len(excerpt) <= 110 and excerpt.startswith("  | …") and excerpt.endswith("…")
    column = caret.index("^")
    assert excerpt[column:column + 5] == "maybe"
    assert max(len(text) for text in report) < 300  # no line reprints the 900 characters


@pytest.mark.parametrize("option,value",
                         [("--select", "NOPE"), ("--ignore", "NOPE123"), ("--select", "SCH,XY")])
def test_unknown_codes_are_a_usage_error(tmp_path: Path, option: str, value: str) -> None:
    path = tmp_path / "quant.cfg"
    path.write_text("a 1\n", encoding="utf-8")
    done = _run("check", option, value, str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert "unknown code or prefix" in done.stderr and "SYN, SCH, CAL, DST, MOD" in done.stderr


def test_known_prefixes_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "quant.cfg"
    path.write_text("a 1\n", encoding="utf-8")
    assert _run("check", "--select", "syn00,SCH001", "--ignore", "CAL", str(path)).returncode == 1


def test_a_summary_follows_the_findings(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cfg"
    bad.write_text("common_config {\n  arq_quantize { channel_wise: yes }\n}\nbatch_num: 1\nbatch_num: 2\n",
                   encoding="utf-8")
    clean = tmp_path / "clean.cfg"
    clean.write_text(CONFIG, encoding="utf-8")
    done = _run("check", str(bad), str(clean))
    last = done.stdout.splitlines()[-1]
    errors = done.stdout.count(": error[")
    warnings = done.stdout.count(": warning[")
    assert last == f"2 files checked: {errors} error{'s' * (errors != 1)}, {warnings} warning" \
        f"{'s' * (warnings != 1)}, 0 notes"
    assert _run("check", str(clean)).stdout == ""  # a clean run stays silent


def test_the_summary_gives_the_total_when_the_cap_hides_some(tmp_path: Path) -> None:
    path = tmp_path / "many.cfg"
    path.write_text("a: 1 @\n" * 300, encoding="utf-8")
    last = _run("check", "--select", "SYN", str(path)).stdout.splitlines()[-1]
    assert last == ("1 file checked: 101 errors, 0 warnings, 0 notes shown; 200 more syntax errors "
                    "not listed (limit of SYN000)")


def test_version() -> None:
    from importlib.metadata import version

    done = _run("--version")
    assert done.returncode == 0 and done.stdout == f"amct-lang {version('amct-lang')}\n"


def test_a_lone_surrogate_from_the_api_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """Text that reached the core from the Python API or an editor may hold any lone surrogate,
    not only the U+DC80..U+DCFF of undecodable bytes: the report still prints."""
    from amct_lang.analysis import analyze
    from amct_lang.cli.report import summary, text_report

    for text in ("\ud800: 1\n", "a\udcff: 1\n", "batch_num: '\udfff'\n", "# \ud83d\n\ud800"):
        analysis = analyze(text)
        report = text_report("x.cfg", analysis)
        report.encode("utf-8")  # strict: nothing unencodable left
        assert "\\u" in report or "\\x" in report or "\ufffd" in report
        summary(1, [analysis]).encode("utf-8")


TWO_UNCLOSED = """common_config {
    ifmr_quantize {
        search_range_start: 0.7

skip_layers: "conv1"
batch_num: 2
"""


def test_every_unclosed_block_where_its_indentation_ends_it(tmp_path: Path) -> None:
    path = tmp_path / "quant.cfg"
    path.write_text(TWO_UNCLOSED, encoding="utf-8")
    done = _run("check", "--format", "json", str(path))
    assert done.returncode == 1
    found = [(d["code"], d["line"], d["message"]) for d in json.loads(done.stdout)]
    assert [f[:2] for f in found] == [("SYN005", 3), ("SYN005", 3)]
    assert "opened on line 1; by its indentation the block ends before line 5" in found[0][2]
    assert "opened on line 2; by its indentation the block ends before line 5" in found[1][2]


def test_the_insert_fix_closes_the_blocks_where_they_were_meant_to_end() -> None:
    from amct_lang.analysis import analyze
    from amct_lang.fix import apply_edits

    analysis = analyze(TWO_UNCLOSED)
    outer = next(d for d in analysis.diagnostics if "line 1" in d.message)
    (fix,) = outer.fixes
    assert fix.title == "Insert '}' to close the block of line 1" and not fix.safe  # a guess
    fixed = apply_edits(TWO_UNCLOSED, list(fix.edits))
    assert fixed.startswith("common_config {\n    ifmr_quantize {\n        search_range_start: 0.7\n"
                            "    }\n}\n")
    assert analyze(fixed).diagnostics == []
    # at the end of the file there is no other place for the closers: the fix is safe there
    truncated = analyze("common_config {\n  arq_quantize {\n    channel_wise: true\n")
    assert [f.safe for d in truncated.diagnostics for f in d.fixes] == [True, True]


def test_a_lone_surrogate_in_json_and_github_output() -> None:
    from amct_lang.analysis import analyze
    from amct_lang.cli.github import github_report
    from amct_lang.cli.report import as_dict, escaped, json_report

    analysis = analyze("a\ud800: 1\nb\udcff: 2\n")
    report = json_report(as_dict("x.cfg", analysis, d) for d in analysis.diagnostics)
    report.encode("utf-8")
    assert [d["message"] for d in json.loads(report)] == [d.message for d in analysis.diagnostics]
    escaped(github_report("x.cfg", analysis)).encode("utf-8")
