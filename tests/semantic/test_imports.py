"""Import boundaries: `check`, `fmt`, the editor features and the language server never load the
executor, numpy, onnx or torch unless a model is given (a check's start-up must not pay for them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("amct_lang.executor", "numpy", "onnx", "onnxruntime", "torch")
CONFIG = """# amct-dialect: calibration-onnx
skip_layers: "conv1"
common_config {
  arq_quantize { channel_wise: true }
  ifmr_quantize { search_step: 0.02 }
}
common_config { hfmg_quantize { num_of_bins: 1024 } }
override_layer_types { layer_type: "Conv" calibration_config { nuq_quantize { } } }
override_layer_configs { layer_name: "conv1" calibration_config { ada_quantize { } } }
"""

_REPORT = """
import json, sys
heavy = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in {heavy!r}))
print(json.dumps(heavy))
"""


def _loaded(body: str, tmp_path: Path) -> list[str]:
    script = tmp_path / "probe.py"
    script.write_text(body + _REPORT.format(heavy=HEAVY), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _cli(args: str) -> str:
    return f"""
import runpy, sys
sys.argv = ["amct-lang", {args}]
try:
    runpy.run_module("amct_lang", run_name="__main__")
except SystemExit:
    pass
"""


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "q.cfg"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_check_loads_nothing_heavy(config: Path, tmp_path: Path) -> None:
    assert _loaded(_cli(f"'check', {str(config)!r}"), tmp_path) == []


def test_check_fix_and_fmt_load_nothing_heavy(config: Path, tmp_path: Path) -> None:
    assert _loaded(_cli(f"'check', '--fix', {str(config)!r}"), tmp_path) == []
    assert _loaded(_cli(f"'fmt', {str(config)!r}"), tmp_path) == []


def test_the_python_api_loads_nothing_heavy(config: Path, tmp_path: Path) -> None:
    body = f"import amct_lang\namct_lang.check({str(config)!r})\namct_lang.format({str(config)!r})\n"
    assert _loaded(body, tmp_path) == []


def test_editor_features_load_nothing_heavy(tmp_path: Path) -> None:
    body = f"""
from amct_lang.ide.snapshot import snapshot
from amct_lang.ide import code_actions, completion, folding, hover, semantic_tokens, symbols
text = {CONFIG!r}
snap = snapshot(text)
for offset in range(0, len(text), 7):
    hover.hover(snap, offset)
    completion.complete(snap, offset) if hasattr(completion, "complete") else None
code_actions.code_actions(snap, 0, len(text))
code_actions.fix_all(snap)
symbols.document_symbols(snap) if hasattr(symbols, "document_symbols") else None
"""
    assert _loaded(body, tmp_path) == []


def test_the_language_server_loads_nothing_heavy(tmp_path: Path) -> None:
    pytest.importorskip("pygls")
    body = """
import amct_lsp.server as server
server.create_server()
from amct_lang.analysis import analyze
analyze("common_config { arq_quantize { } }\\n")
"""
    assert _loaded(body, tmp_path) == []


def test_with_a_model_the_model_libraries_load(config: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    from model.loading import model_file

    model = model_file("small_cnn", tmp_path)
    loaded = _loaded(_cli(f"'check', {str(config)!r}, '--model', {str(model)!r}"), tmp_path)
    assert "onnx" in loaded and not any(m.startswith("amct_lang.executor") for m in loaded)


def test_the_rule_modules_are_listed_and_docs_is_not_loaded(tmp_path: Path) -> None:
    from amct_lang.rules import catalog

    folder = Path(catalog.__file__).parent
    declaring = {p.stem for p in folder.glob("*.py")
                 if "@rule(" in p.read_text(encoding="utf-8") or "declare(" in p.read_text(encoding="utf-8")}
    declaring -= {"catalog"}
    assert declaring == set(catalog.RULE_MODULES)
    body = "from amct_lang.analysis import analyze\nanalyze('batch_num: 1\\n')\nimport sys\n" \
           "assert 'amct_lang.rules.docs' not in sys.modules, 'rules/docs.py loads on a check'\n"
    assert _loaded(body, tmp_path) == []
