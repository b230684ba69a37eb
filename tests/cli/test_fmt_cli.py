"""amct-lang fmt: in place (atomically, mode kept, only when changed), --check, --diff, stdin,
refusal of broken files, exit codes."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from amct_lang.cli import main

UGLY = "batch_num : 1 group_size:2  # groups\ndistill_group < start_layer_name: 'a'; end_layer_name: 'b' >\n"
PRETTY = ("batch_num: 1\ngroup_size: 2  # groups\ndistill_group {\n    start_layer_name: 'a'\n"
          "    end_layer_name: 'b'\n}\n")
BROKEN = "batch_num: 1\ndistill_group { start_layer_name: 'a'\n"


def _write(path: Path, text: str, mode: int = 0o644) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_rewrites_in_place_keeping_the_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ugly = _write(tmp_path / "distill.cfg", UGLY, 0o640)
    pretty = _write(tmp_path / "ok.cfg", PRETTY)
    before = pretty.stat()
    assert main(["fmt", str(ugly), str(pretty)]) == 0
    assert ugly.read_text(encoding="utf-8") == PRETTY
    assert stat.S_IMODE(ugly.stat().st_mode) == 0o640
    after = pretty.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["distill.cfg", "ok.cfg"]  # no temp file left
    assert f"reformatted {ugly}" in capsys.readouterr().err


def test_symlink_target_is_rewritten_and_the_link_kept(tmp_path: Path) -> None:
    target = _write(tmp_path / "real.cfg", UGLY)
    link = tmp_path / "link.cfg"
    link.symlink_to(target)
    assert main(["fmt", str(link)]) == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8") == PRETTY


def test_check_lists_files_that_would_change_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ugly = _write(tmp_path / "a.cfg", UGLY)
    pretty = _write(tmp_path / "b.cfg", PRETTY)
    assert main(["fmt", "--check", str(ugly), str(pretty)]) == 1
    assert capsys.readouterr().out == f"would reformat {ugly}\n"
    assert ugly.read_text(encoding="utf-8") == UGLY
    assert main(["fmt", "--check", str(pretty)]) == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ugly = _write(tmp_path / "a.cfg", UGLY)
    assert main(["fmt", "--diff", str(ugly)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"--- {ugly}\n+++ {ugly}\n@@ ")
    assert "-batch_num : 1 group_size:2  # groups\n" in out and "+group_size: 2  # groups\n" in out
    assert ugly.read_text(encoding="utf-8") == UGLY


def test_a_file_with_syntax_errors_is_refused_and_untouched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = _write(tmp_path / "broken.cfg", BROKEN)
    ugly = _write(tmp_path / "ugly.cfg", UGLY)
    assert main(["fmt", str(broken), str(ugly)]) == 1
    err = capsys.readouterr().err
    assert "not formatted: 1 syntax error" in err and "SYN005" in err and f"{broken}:2:" in err
    assert broken.read_text(encoding="utf-8") == BROKEN
    assert ugly.read_text(encoding="utf-8") == PRETTY  # the other file is still formatted


def test_unreadable_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ugly = _write(tmp_path / "ugly.cfg", UGLY)
    assert main(["fmt", str(tmp_path / "missing.cfg"), str(tmp_path), str(ugly)]) == 2
    err = capsys.readouterr().err
    assert "missing.cfg: no such file" in err and "is a directory" in err
    assert ugly.read_text(encoding="utf-8") == PRETTY


def _run(*args: str, stdin: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "amct_lang", *args], input=stdin.encode(),
                          capture_output=True, timeout=60, cwd=Path(__file__).resolve().parents[2])


def test_stdin_to_stdout() -> None:
    done = _run("fmt", "-", stdin=UGLY)
    assert (done.returncode, done.stdout.decode()) == (0, PRETTY)
    done = _run("fmt", "--check", "-", stdin=UGLY)
    assert done.returncode == 1 and done.stdout.decode() == "would reformat <stdin>\n"
    done = _run("fmt", "-", stdin=BROKEN)
    assert done.returncode == 1 and done.stdout == b"" and b"SYN005" in done.stderr


def test_bytes_that_are_not_utf8_are_refused_and_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "quant.cfg"
    data = b"# caf\xe9 (latin-1 comment)\nbatch_num : 1\n"
    path.write_bytes(data)
    assert main(["fmt", str(path)]) == 1
    assert "SYN007" in capsys.readouterr().err
    assert path.read_bytes() == data
