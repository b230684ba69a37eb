"""amct_lang.atomic: many files written all or nothing; refusals say which file and why."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from amct_lang import atomic
from amct_lang.atomic import AtomicWriteError, write_files_atomically


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its content: what a failed call must leave unchanged."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writes_every_file_with_the_umask_mode(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write_files_atomically({tmp_path / "a.cfg": b"a: 1\n", str(tmp_path / "sub" / "b.onnx"): b"\x00\x01"})
    assert _tree(tmp_path) == {"a.cfg": b"a: 1\n", "sub/b.onnx": b"\x00\x01"}
    umask = os.umask(0o022)
    os.umask(umask)
    assert (tmp_path / "a.cfg").stat().st_mode & 0o777 == 0o666 & ~umask


def test_overwrite_keeps_the_mode_and_follows_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.cfg"
    real.write_bytes(b"old\n")
    real.chmod(0o640)
    link = tmp_path / "link.cfg"
    link.symlink_to(real)
    write_files_atomically({link: b"new\n"}, overwrite=True)
    assert link.is_symlink() and real.read_bytes() == b"new\n"
    assert real.stat().st_mode & 0o777 == 0o640


# (what is in the way, reason in the message)
REFUSALS = [
    ("exists", "it already exists"),
    ("read-only", "it is read-only"),
    ("protected", "it is an input of this run"),
    ("protected-symlink", "it is an input of this run"),
    ("protected-hardlink", "it is an input of this run"),
    ("missing-folder", "does not exist"),
    ("folder", "it is a folder"),
    ("same-file-twice", "it is the same file as"),
]


@pytest.mark.parametrize("case,reason", REFUSALS)
def test_refusals_change_nothing(tmp_path: Path, case: str, reason: str) -> None:
    first = tmp_path / "first.cfg"
    second = tmp_path / "second.cfg"
    protect: list[Path] = []
    overwrite = case != "exists"
    files: dict[str | os.PathLike[str], bytes] = {first: b"1\n", second: b"2\n"}
    if case in ("exists", "read-only"):
        second.write_bytes(b"keep\n")
        if case == "read-only":
            second.chmod(0o444)
    elif case.startswith("protected"):
        source = tmp_path / "input.cfg"
        source.write_bytes(b"input\n")
        protect.append(source)
        if case == "protected":
            files = {first: b"1\n", source: b"2\n"}
        elif case == "protected-symlink":
            second.symlink_to(source)
        else:
            os.link(source, second)
    elif case == "missing-folder":
        files = {first: b"1\n", tmp_path / "nowhere" / "x.cfg": b"2\n"}
    elif case == "folder":
        second.mkdir()
    else:
        files = {first: b"1\n", str(tmp_path / "." / "first.cfg"): b"2\n"}
    before = _tree(tmp_path)
    with pytest.raises(AtomicWriteError) as caught:
        write_files_atomically(files, overwrite=overwrite, protect=protect)
    assert reason in str(caught.value)
    assert isinstance(caught.value, OSError)
    assert _tree(tmp_path) == before
    if case == "read-only":
        assert second.stat().st_mode & 0o777 == 0o444


def test_a_failure_while_placing_restores_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The third rename fails (as on a full disk): the new file made by the first is removed and
    the file replaced by the second gets its old content back."""
    (tmp_path / "b.cfg").write_bytes(b"old b\n")
    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        if dst.endswith("c.cfg"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    files = {tmp_path / "a.cfg": b"a\n", tmp_path / "b.cfg": b"b\n", tmp_path / "c.cfg": b"c\n"}
    (tmp_path / "c.cfg").write_bytes(b"old c\n")
    before = _tree(tmp_path)
    with pytest.raises(AtomicWriteError, match="c.cfg: cannot write: the disk is full"):
        write_files_atomically(files, overwrite=True)
    assert _tree(tmp_path) == before
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".amct-lang-")]


def test_a_file_too_large_for_the_second_folder_leaves_nothing(tmp_path: Path) -> None:
    """A real failure while staging: a file-size limit makes the second, larger file fail to
    write (EFBIG); the first, already staged, must disappear too."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from amct_lang.atomic import AtomicWriteError, write_files_atomically
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            write_files_atomically({{{str(tmp_path / 'one' / 'a.cfg')!r}: b'small',
                                    {str(tmp_path / 'two' / 'b.bin')!r}: b'x' * 100000}})
        except AtomicWriteError as exc:
            print(exc)
            sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "b.bin: cannot write: the file is too large for this file system" in done.stdout
    assert _tree(tmp_path) == {}


def test_no_clobber_when_a_file_appears_after_the_check(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "late.cfg"
    real_stage = atomic._stage

    def stage_then_race(t: atomic._Target) -> None:
        real_stage(t)
        target.write_bytes(b"someone else's\n")

    monkeypatch.setattr(atomic, "_stage", stage_then_race)
    with pytest.raises(AtomicWriteError, match="already exists"):
        write_files_atomically({target: b"mine\n"})
    assert target.read_bytes() == b"someone else's\n"
    assert [p.name for p in tmp_path.iterdir()] == ["late.cfg"]
