"""Files claimed by a name pattern that are plainly not AMCT configs (amct_lang.foreign): one
information note, and no outline, folds, highlighting or completion made of their text. Real
configs, even broken ones, are never taken for such files."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_data import EXAMPLES, shared_files

from amct_lang.analysis import analyze
from amct_lang.diagnostics import Severity
from amct_lang.foreign import CODE
from amct_lang.ide.completion import complete
from amct_lang.ide.folding import folding_ranges
from amct_lang.ide.semantic_tokens import semantic_tokens
from amct_lang.ide.snapshot import snapshot
from amct_lang.ide.symbols import symbols

HERE = Path(__file__).resolve().parent / "fixtures" / "foreign"
FOREIGN = {"camera_calibration.cfg": "a Python", "quantum_sim.cfg": "an INI"}


@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_one_note_and_nothing_else(name: str) -> None:
    text = (HERE / name).read_text(encoding="utf-8")
    snap = snapshot(text)
    assert [(d.code, d.severity) for d in snap.diagnostics] == [(CODE, Severity.INFO)]
    assert f"looks like {FOREIGN[name]} file" in snap.diagnostics[0].message
    assert symbols(snap) == [] and folding_ranges(snap) == [] and semantic_tokens(snap) == []
    assert complete(snap, len(text)) == []


@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_a_header_or_a_dialect_makes_it_checked(name: str) -> None:
    text = (HERE / name).read_text(encoding="utf-8")
    assert CODE not in {d.code for d in analyze("# amct-dialect: calibration\n" + text).diagnostics}
    assert CODE not in {d.code for d in analyze(text, "calibration").diagnostics}


NEAR_MISSES = [
    "",  # empty: nothing says it is something else
    "# just a comment\n",
    "common_config {\n  ifmr_quantize { search_step = 0.01 }\n}\n",  # `=` typed for `:` in a config
    "batch_num = 2\nskip_layers = \"conv1\"\n",  # the same at top level: known fields
    "[simulation]\n",  # one INI-looking line is not plainly INI
    "activation_offset: true\nfrom_layer: 1\n",
]


@pytest.mark.parametrize("text", NEAR_MISSES, ids=range(len(NEAR_MISSES)))
def test_configs_are_not_taken_for_other_files(text: str) -> None:
    assert CODE not in {d.code for d in analyze(text).diagnostics}


def test_no_example_or_real_world_config_is_taken_for_another_language() -> None:
    files = sorted(EXAMPLES.rglob("*.cfg")) + shared_files("corpus/realworld/*.cfg", "examples/*.cfg")
    assert files
    taken = [p.name for p in files if CODE in {d.code for d in analyze(p.read_text(encoding="utf-8",
                                                                                    errors="replace")).diagnostics}]
    assert taken == []
