"""Code-action fixtures: tests/ide/fixtures/code_actions/NAME.cfg, with NAME.expected the text
after applying the action named by `apply` (`fix-all`: the fix-all action).

Directives: `actions` (titles that must be offered at the cursor), `absent` (titles that must
not), `preferred` (the one marked preferred), `apply`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amct_lang.analysis import Analysis
from amct_lang.diagnostics import Diagnostic, Edit, Fix, Severity
from amct_lang.fix import apply_edits
from amct_lang.ide.code_actions import code_actions, fix_all
from amct_lang.ide.snapshot import Snapshot, snapshot

from .fixture import cases, load


@pytest.mark.parametrize("path", cases("code_actions"), ids=lambda p: p.stem)
def test_code_action(path: Path) -> None:
    case = load(path)
    snap = case.snapshot()
    actions = code_actions(snap, case.offset, case.offset)
    titles = [a.title for a in actions]
    for title in case.items("actions"):
        assert title in titles
    for title in case.items("absent"):
        assert title not in titles
    preferred = case.get("preferred")
    if preferred is not None:
        assert [a.title for a in actions if a.preferred] == [preferred]
    # every fix a diagnostic carries is offered
    for d in snap.diagnostics:
        if d.start <= case.offset <= d.end:
            for f in d.fixes:
                assert f.title in titles
    wanted = case.get("apply")
    if wanted is None:
        return
    action = fix_all(snap) if wanted == "fix-all" else next(a for a in actions if a.title == wanted)
    assert action is not None
    result = apply_edits(case.text, list(action.edits))
    assert result == path.with_suffix(".expected").read_text(encoding="utf-8")
    # fewer diagnostics of each code the action was for
    after = [d.code for d in snapshot(result).diagnostics]
    before = [d.code for d in snap.diagnostics]
    for code in {d.code for d in action.diagnostics}:
        assert after.count(code) < before.count(code)


def test_every_fix_of_a_diagnostic_becomes_an_action() -> None:
    base = snapshot("# proto-message: AMCTConfig\njoint_quant: true\n")
    start = base.text.index("true")
    fixes = (Fix("Write false", (Edit(start, start + 4, "false"),), safe=True),
             Fix("Remove the field", (Edit(start - 13, start + 5, ""),)))
    d = Diagnostic("CAL019", "may cost accuracy", start, start + 4, Severity.INFO, (), fixes)
    a = base.analysis
    snap = Snapshot(Analysis(a.text, a.tree, a.dialect, a.root, a.schema, [d]))
    actions = code_actions(snap, start + 1, start + 1)
    assert [(x.title, x.edits, x.preferred) for x in actions[:2]] == [
        ("Write false", fixes[0].edits, True), ("Remove the field", fixes[1].edits, False)]
    assert all(x.diagnostics == (d,) for x in actions)


def test_actions_only_for_diagnostics_in_the_range() -> None:
    snap = snapshot("# proto-message: AMCTConfig\njoint_quant: false\njoint_quant: true\nbogus_x: 1\n")
    line3 = snap.text.index("bogus_x")
    assert {d.code for a in code_actions(snap, line3, line3) for d in a.diagnostics} == {"SCH001"}
    everywhere = {d.code for a in code_actions(snap, 0, len(snap.text)) for d in a.diagnostics}
    assert everywhere >= {"SCH001", "SCH006"}
