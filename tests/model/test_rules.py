"""MOD rules, data-driven: each fixtures/*.cfg names its model in a `# test-model:` header and marks
every line that must get a model diagnostic with `# expect: MOD00N[, MOD00N]`."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from shared_data import own_examples, shared_cases

from amct_lang.analysis import analyze
from amct_lang.rules import get

from .loading import header_model, test_model

HERE = Path(__file__).parent
FIXTURES = sorted((HERE / "fixtures").glob("*.cfg"))
EXAMPLES = shared_cases("examples/calibration_*.cfg")  # the seed examples use placeholder names
_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def expected(text: str) -> Counter[tuple[int, str]]:
    out: Counter[tuple[int, str]] = Counter()
    for number, line in enumerate(text.splitlines(), 1):
        m = _EXPECT.search(line)
        if m:
            out.update((number, code.strip()) for code in m.group(1).split(",") if code.strip())
    return out


def model_diagnostics(text: str, model: object) -> Counter[tuple[int, str]]:
    analysis = analyze(text, model=model)
    return Counter((analysis.tree.lines.line_col(d.start)[0] + 1, d.code)
                   for d in analysis.diagnostics if d.code.startswith("MOD"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture(path: Path, models: Path) -> None:
    text = path.read_text(encoding="utf-8")
    model = test_model(header_model(text), models)
    got = model_diagnostics(text, model)
    assert got == expected(text), "\n".join(
        f"{d.code} {d.message}" for d in analyze(text, model=model).diagnostics if d.code.startswith("MOD"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_no_model_no_model_rules(path: Path) -> None:
    """Model rules need the model; without one they are skipped, never guessed."""
    assert not model_diagnostics(path.read_text(encoding="utf-8"), None)


def test_messages_suggest_names_and_say_why(models: Path) -> None:
    text = (HERE / "fixtures" / "names.cfg").read_text(encoding="utf-8")
    analysis = analyze(text, model=test_model("small_cnn", models))
    by_code = {}
    for d in analysis.diagnostics:
        by_code.setdefault(d.code, []).append(d)
    first = by_code["MOD001"][0]
    assert "did you mean 'conv1'?" in first.message
    assert first.fixes and first.fixes[0].edits[0].new_text == '"conv1"'
    assert "'Proj_'" in by_code["MOD001"][1].message and "'proj'" in by_code["MOD001"][1].message
    relu = next(d for d in by_code["MOD002"] if "relu1" in d.message)
    assert "Relu" in relu.message and relu.is_error
    conv2 = next(d for d in by_code["MOD002"] if "'conv2'" in d.message)
    assert not conv2.is_error and "nothing to fuse" in conv2.message
    assert "must be 0..1, not 2" in by_code["MOD003"][0].message


def test_channel_wise_names_the_layers_it_reaches(models: Path) -> None:
    text = (HERE / "fixtures" / "channel_wise_common.cfg").read_text(encoding="utf-8")
    [d] = [d for d in analyze(text, model=test_model("small_cnn", models)).diagnostics if d.code == "MOD004"]
    assert "fc (Gemm)" in d.message and "proj" not in d.message and "common_config" in d.message


def test_wrong_kind_of_model_is_not_used(models: Path) -> None:
    onnx_model = test_model("small_cnn", models)
    text = (HERE / "fixtures" / "distill_names.cfg").read_text(encoding="utf-8")
    assert not model_diagnostics(text, onnx_model)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem if p else "no-shared")
def test_examples_with_a_model_report_their_placeholders(path: Path, models: Path) -> None:
    text = path.read_text(encoding="utf-8")
    analysis = analyze(text, model=test_model("small_cnn", models))
    unknown = [d for d in analysis.diagnostics if d.code == "MOD001"]
    assert unknown and all("Opname" in d.message or "Optype" in d.message for d in unknown)
    assert all(text[d.start:d.end] in ('"Opname"', '"Optype"') for d in unknown)
    types = [d for d in analysis.diagnostics if d.code == "MOD006"]
    assert all("Optype" in d.message for d in types)


def test_every_model_rule_is_documented() -> None:
    for code in (f"MOD00{i}" for i in range(1, 8)):
        rule = get(code)
        assert rule is not None and rule.needs_model and rule.check is not None
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
            assert heading in rule.doc, (code, heading)


def test_check_without_a_model_imports_no_model_library(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from amct_lang.cli.main import main\n"
        f"status = main(['check', {str(own_examples()[0])!r}])\n"
        "heavy = sorted(m for m in ('onnx', 'numpy', 'torch') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert "HEAVY []" in out


def test_model_rules_skip_when_the_library_is_missing(tmp_path: Path, models: Path) -> None:
    """No onnx: a clear message and exit 2, not a traceback."""
    path = test_model("small_cnn", models).path
    code = (
        "import sys\n"
        "sys.modules['onnx'] = None  # as if onnx were not installed\n"
        "from amct_lang.cli.main import main\n"
        f"sys.exit(main(['check', '--model', {path!r}, {str(own_examples()[0])!r}]))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert run.returncode == 2
    assert "needs the onnx package" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("fixture, model, text, error", [
    ("types.cfg", "small_cnn", '"Relu"', True),  # AMCT rejects a type it never quantizes
    ("types.cfg", "small_cnn", '"Conv3D"', False),  # Conv3D stands for Conv, but only 5-D ones
    ("constraints.cfg", "odd_ops", '"Gemm"', False),  # the model's only Gemm has transA = 1
])
def test_type_severity(fixture: str, model: str, text: str, error: bool, models: Path) -> None:
    source = (HERE / "fixtures" / fixture).read_text(encoding="utf-8")
    analysis = analyze(source, model=test_model(model, models))
    [d] = [d for d in analysis.diagnostics if d.code == "MOD006" and source[d.start:d.end] == text]
    assert d.is_error is error
