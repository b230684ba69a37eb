"""The CLI on bad input and awkward surroundings: every case gets a clear message and the right
exit code, and no file is changed that should not be."""

from __future__ import annotations

import os
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
