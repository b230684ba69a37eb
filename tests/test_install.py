"""`pip install .` works: the wheel carries the grammar, the parse tables and the .proto files.

Builds a wheel of this checkout, installs it into a fresh virtual environment (its dependencies
come from the package index) and checks a file from a directory outside the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CLEAN = "# proto-message: AMCTConfig\ncommon_config {\n  arq_quantize { channel_wise: true }\n}\n"
BROKEN = "common_config {\n  arq_quantize { channel_wise: yes }\n"


def _env() -> dict[str, str]:
    # nothing from this checkout may leak into the installed program
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(cmd: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ directory of a fresh venv with the wheel of this checkout installed."""
    tmp = tmp_path_factory.mktemp("install")
    wheels = tmp / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(REPO)],
                 cwd=tmp)
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("amct_lang-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "amct_lang/grammar/textproto.lark" in names
    protos = (REPO / "amct_lang" / "schema" / "protos").glob("*.proto")
    assert {f"amct_lang/schema/protos/{p.name}" for p in protos} <= names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)

    venv.EnvBuilder(with_pip=True, clear=True).create(tmp / "venv")
    bin_dir = tmp / "venv" / ("Scripts" if os.name == "nt" else "bin")
    pip = _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp)
    assert pip.returncode == 0, pip.stderr
    return bin_dir


def test_installed_command_checks_files_outside_the_repo(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "clean.cfg").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "broken.cfg").write_text(BROKEN, encoding="utf-8")
    ok = _run([str(installed / "amct-lang"), "check", "--verbose", "clean.cfg"], cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "checked as calibration" in ok.stderr
    bad = _run([str(installed / "amct-lang"), "check", "--format", "json", "broken.cfg"], cwd=tmp_path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert '"SCH002"' in bad.stdout and '"SYN005"' in bad.stdout


def test_installed_package_reads_its_own_data(installed: Path, tmp_path: Path) -> None:
    probe = ("import amct_lang, amct_lang.syntax.grammar as g, amct_lang.schema as s; "
             "print(amct_lang.__file__); print(g.grammar_path()); print(s.PROTO_DIR)")
    out = _run([str(installed / "python"), "-c", probe], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    venv_root = str(installed.parent)
    for line in out.stdout.splitlines():
        assert line.startswith(venv_root), f"{line} is not inside the installed package"
