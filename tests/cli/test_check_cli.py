"""`amct-lang check` as a user runs it: a real process on real files.

Text output: `path:line:col: severity[CODE] message`, the source line, a caret underline.
JSON output: path, line, column, end_line, end_column (1-based, end exclusive), severity, code,
message. Exit 0 without errors (warnings allowed), 1 with errors, 2 for usage errors and
unreadable files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from shared_data import own_examples, require_shared

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO.parent / "shared" / "examples"
JSON_KEYS = ["path", "line", "column", "end_line", "end_column", "severity", "code", "message"]

CLEAN = "common_config {\n  arq_quantize { channel_wise: true }\n}\n"
ONE_ERROR = "common_config {\n  arq_quantize { channel_wise: yes }\n}\n"  # 'yes' at 2:32..2:35
DUPLICATE = "joint_quant: true\njoint_quant: false\n"  # a warning only


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               PYTHONIOENCODING="utf-8")
    proc = subprocess.run([sys.executable, "-m", "amct_lang", "check", *args], input=stdin, cwd=cwd,
                          env=env, capture_output=True, timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8"),
                                       proc.stderr.decode("utf-8"))


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def as_json(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    items = json.loads(proc.stdout)
    assert isinstance(items, list)
    for item in items:
        assert list(item) == JSON_KEYS
    return items  # type: ignore[no-any-return]


# -- text output --------------------------------------------------------------------------------
def test_text_format_shape(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.cfg", ONE_ERROR)
    proc = run(str(path))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"{path}:2:32: error[SCH002] 'channel_wise' is a bool")
    assert lines[1] == "  |   arq_quantize { channel_wise: yes }"
    assert lines[2] == "  | " + " " * 31 + "^^^"


def test_clean_file_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    proc = run(str(write(tmp_path, "ok.cfg", CLEAN)))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    proc = run(str(write(tmp_path, "dup.cfg", DUPLICATE)))
    assert proc.returncode == 0
    assert "warning[SCH006]" in proc.stdout
    assert "first given here at" in proc.stdout  # the related place is shown too


def test_every_syntax_error_in_one_pass(tmp_path: Path) -> None:
    path = write(tmp_path, "many.cfg", "version 1\njoint_quant: true\ndo_fusion = false\nskip_layers: 'a\n")
    proc = run("--format", "json", "--select", "SYN", str(path))
    assert proc.returncode == 1
    assert [(i["line"], i["code"]) for i in as_json(proc)] == [(1, "SYN001"), (3, "SYN002"), (4, "SYN003")]


def test_seed_examples_check_clean() -> None:
    proc = run(*sorted(str(p) for p in require_shared("examples/*.cfg")))
    assert proc.returncode == 0, proc.stdout
    assert " error[" not in proc.stdout


def test_own_examples_check_clean() -> None:
    proc = run(*sorted(str(p) for p in own_examples()))
    assert proc.returncode == 0, proc.stdout
    assert " error[" not in proc.stdout


# -- json output --------------------------------------------------------------------------------
def test_json_positions_are_one_based_end_exclusive(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.cfg", ONE_ERROR)
    proc = run("--format", "json", str(path))
    assert proc.returncode == 1
    [item] = as_json(proc)
    assert item == {"path": str(path), "line": 2, "column": 32, "end_line": 2, "end_column": 35,
                    "severity": "error", "code": "SCH002", "message": item["message"]}
    assert "yes" in item["message"]


def test_json_of_a_clean_file_is_an_empty_array(tmp_path: Path) -> None:
    proc = run("--format", "json", str(write(tmp_path, "ok.cfg", CLEAN)))
    assert proc.returncode == 0 and as_json(proc) == []


def test_json_over_several_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.cfg", ONE_ERROR)
    b = write(tmp_path, "b.cfg", DUPLICATE)
    proc = run("--format", "json", str(a), str(b))
    assert proc.returncode == 1
    assert [(i["path"], i["severity"]) for i in as_json(proc)] == [(str(a), "error"), (str(b), "warning")]


# -- standard input --------------------------------------------------------------------------------
def test_stdin(tmp_path: Path) -> None:
    proc = run("--format", "json", "-", stdin=ONE_ERROR.encode("utf-8"))
    assert proc.returncode == 1
    [item] = as_json(proc)
    assert item["path"] == "<stdin>" and (item["line"], item["column"]) == (2, 32)
    assert run("-", stdin=CLEAN.encode("utf-8")).returncode == 0


# -- exit code 2 ----------------------------------------------------------------------------------
@pytest.mark.parametrize("args,needle", [
    (["missing.cfg"], "missing.cfg: no such file"),
    (["."], "is a directory"),
    (["--format", "xml", "x.cfg"], "invalid choice"),
    (["--dialect", "nonsense", "x.cfg"], "invalid choice"),
    (["--no-such-option", "x.cfg"], "unrecognized arguments"),
    ([], "required"),
])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreadable_file_among_good_ones_still_checks_the_others(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.cfg", ONE_ERROR)
    proc = run(str(bad), str(tmp_path / "missing.cfg"))
    assert proc.returncode == 2
    assert "error[SCH002]" in proc.stdout and "no such file" in proc.stderr


# -- dialects ---------------------------------------------------------------------------------------
DISTILL = "batch_num: 2\ngroup_size: 1\n"


def test_dialect_option_overrides_detection(tmp_path: Path) -> None:
    path = write(tmp_path, "d.cfg", DISTILL)
    assert run(str(path)).returncode == 0
    proc = run("--dialect", "calibration", "--format", "json", str(path))
    assert proc.returncode == 1
    assert {i["code"] for i in as_json(proc)} == {"SCH001"}


def test_verbose_names_the_dialect_and_why(tmp_path: Path) -> None:
    path = write(tmp_path, "d.cfg", DISTILL)
    proc = run("--verbose", str(path))
    assert f"{path}: checked as distill: " in proc.stderr
    assert "fields" in proc.stderr
    header = write(tmp_path, "h.cfg", "# proto-message: AMCTDistillConfig\n" + DISTILL)
    assert "header comment" in run("-v", str(header)).stderr
    assert "requested" in run("-v", "--dialect", "distill", str(path)).stderr


# -- selecting and suppressing ----------------------------------------------------------------------
def test_select_and_ignore(tmp_path: Path) -> None:
    path = write(tmp_path, "two.cfg", ONE_ERROR + DUPLICATE)
    codes = {i["code"] for i in as_json(run("--format", "json", str(path)))}
    assert {"SCH002", "SCH006"} <= codes
    only = run("--format", "json", "--select", "SCH006", str(path))
    assert {i["code"] for i in as_json(only)} == {"SCH006"} and only.returncode == 0
    ignored = run("--format", "json", "--ignore", "SCH002,SCH006", str(path))
    assert not {"SCH002", "SCH006"} & {i["code"] for i in as_json(ignored)}
    prefix = run("--format", "json", "--select", "SCH", str(path))
    assert {i["code"][:3] for i in as_json(prefix)} == {"SCH"}


def test_suppression_comments(tmp_path: Path) -> None:
    line = write(tmp_path, "l.cfg", "joint_quant: true\njoint_quant: false  # amct-lint: disable=SCH006\n")
    assert "SCH006" not in run(str(line)).stdout
    whole = write(tmp_path, "f.cfg", "# amct-lint: disable-file=SCH002\n" + ONE_ERROR)
    proc = run(str(whole))
    assert proc.returncode == 0 and "SCH002" not in proc.stdout
    other_line = write(tmp_path, "o.cfg", "# amct-lint: disable=SCH006\n" + DUPLICATE)
    assert "SCH006" in run(str(other_line)).stdout  # a line comment covers its own line only


# -- encodings and line endings ---------------------------------------------------------------------
def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "gbk.cfg", "# 量化配置\n".encode("gbk") + b"version: 1\nskip_layers: 'a\xffb'\n")
    for fmt in ("text", "json"):
        proc = run("--format", fmt, str(path))
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr
    items = as_json(run("--format", "json", str(path)))
    assert [(i["code"], i["line"], i["column"]) for i in items] == [("SYN007", 1, 3), ("SYN007", 3, 16)]
    assert "save the file with UTF-8 encoding" in items[0]["message"]
    text = run(str(path)).stdout
    assert f"{path}:1:3: error[SYN007] bytes that are not UTF-8 (\\xc1\\xbf" in text


def test_bom_is_reported(tmp_path: Path) -> None:
    proc = run("--format", "json", str(write(tmp_path, "bom.cfg", "\ufeff" + CLEAN)))
    assert proc.returncode == 1
    [item] = as_json(proc)
    assert (item["code"], item["line"], item["column"]) == ("SYN002", 1, 1)
    assert "without BOM" in item["message"]


def test_crlf_positions_match_lf(tmp_path: Path) -> None:
    lf = as_json(run("--format", "json", str(write(tmp_path, "lf.cfg", ONE_ERROR))))
    crlf_path = write(tmp_path, "crlf.cfg", ONE_ERROR.replace("\n", "\r\n"))
    crlf = as_json(run("--format", "json", str(crlf_path)))
    strip = [{k: v for k, v in i.items() if k != "path"} for i in lf]
    assert [{k: v for k, v in i.items() if k != "path"} for i in crlf] == strip
    text = run(str(crlf_path)).stdout.splitlines()
    assert text[1] == "  |   arq_quantize { channel_wise: yes }"  # no stray '\r' in the excerpt


def test_non_ascii_comments_and_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "zh.cfg", "# 量化配置 😀\njoint_quant: 是  # 中文\n")
    [item] = as_json(run("--format", "json", str(path)))
    assert (item["line"], item["column"], item["end_column"]) == (2, 14, 15)
    text = run(str(path)).stdout.splitlines()
    assert text[1] == "  | joint_quant: 是  # 中文"
