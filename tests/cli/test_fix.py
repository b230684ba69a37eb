"""check --fix: only safe fixes, never two overlapping ones, never a lost comment; re-analysis
between rounds; atomic write; a report of what changed and of what remains."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from amct_lang.analysis import Analysis, analyze
from amct_lang.cli import main
from amct_lang.diagnostics import Diagnostic, Edit, Fix, Severity
from amct_lang.fix import apply_edits, fix, select
from amct_lang.rules import get

TEXT = 'skip_layers: "a"  # keep me\nskip_layers: "b"\nskip_layers: "c"\n'


def _diag(*fixes: Fix, start: int = 0) -> Diagnostic:
    return Diagnostic("TST001", "test", start, start + 1, Severity.WARNING, fixes=fixes)


def _span(text: str, needle: str, new: str = "") -> Edit:
    start = text.index(needle)
    return Edit(start, start + len(needle), new)


def _comments(text: str) -> list[str]:
    return [c.text for c in analyze(text, lint=False).tree.comments]


# -- choosing fixes -------------------------------------------------------------------------


def test_only_safe_fixes_are_chosen() -> None:
    unsafe = _diag(Fix("drop b", (_span(TEXT, 'skip_layers: "b"\n'),), safe=False))
    assert select(TEXT, [], [unsafe]) == []


def test_overlapping_fixes_are_not_both_chosen() -> None:
    first = _diag(Fix("drop b", (_span(TEXT, 'skip_layers: "b"\n'),), safe=True))
    second = _diag(Fix("drop b and c", (_span(TEXT, 'skip_layers: "b"\nskip_layers: "c"\n'),), safe=True),
                   start=5)
    apart = _diag(Fix("rename c", (_span(TEXT, '"c"', '"d"'),), safe=True), start=9)
    chosen = select(TEXT, [], [second, first, apart])
    assert [f.title for _, f in chosen] == ["drop b", "rename c"]  # document order decides
    fixed = apply_edits(TEXT, [e for _, f in chosen for e in f.edits])
    assert fixed == 'skip_layers: "a"  # keep me\nskip_layers: "d"\n'


@pytest.mark.parametrize("edits", [
    (Edit(3, 3, "x"), Edit(3, 3, "y")),  # two insertions at one place: order unknown
    (Edit(0, 5, ""), Edit(4, 8, "")),  # a fix whose own edits overlap
    (Edit(0, len(TEXT) + 1, ""),),  # outside the text
])
def test_malformed_fixes_are_skipped(edits: tuple[Edit, ...]) -> None:
    assert select(TEXT, [], [_diag(Fix("bad", edits, safe=True))]) == []


def test_fixes_touching_a_comment_are_skipped() -> None:
    comments = analyze(TEXT, lint=False).tree.comments
    whole_line = _diag(Fix("drop a", (_span(TEXT, 'skip_layers: "a"  # keep me\n'),), safe=True))
    into_comment = _diag(Fix("append", (Edit(TEXT.index("\n"), TEXT.index("\n"), " x"),), safe=True))
    field_only = _diag(Fix("drop a", (_span(TEXT, 'skip_layers: "a"'),), safe=True))
    assert select(TEXT, comments, [whole_line]) == []
    assert select(TEXT, comments, [into_comment]) == []
    assert len(select(TEXT, comments, [field_only])) == 1


# -- the loop -------------------------------------------------------------------------------


def _with(make: Callable[[str], list[Diagnostic]]) -> Callable[[str], Analysis]:
    """analyze(), plus the hand-made diagnostics `make` finds in the text."""
    def run(text: str) -> Analysis:
        analysis = analyze(text)
        analysis.diagnostics = analysis.diagnostics + make(text)
        return analysis
    return run


def _repeats(text: str) -> list[Diagnostic]:
    """A duplicate skip_layers value: remove the later line (or just the field, if a comment
    shares its line); also offer an overlapping fix that removes two lines at once."""
    out = []
    seen: set[str] = set()
    for line_start, line in _lines(text):
        value = line.split("#")[0].strip()
        if not value.startswith("skip_layers"):
            continue
        if value in seen:
            whole = Edit(line_start, line_start + len(line) + 1, "")
            field = Edit(line_start, line_start + len(value), "")
            edit = field if "#" in line else whole
            out.append(Diagnostic("TST002", "repeated", line_start, line_start + 1, Severity.WARNING,
                                  fixes=(Fix(f"removed repeated {value}", (edit,), safe=True),)))
            greedy = Edit(line_start, min(len(text), line_start + 40), "")
            out.append(Diagnostic("TST003", "greedy", line_start, line_start + 2, Severity.WARNING,
                                  fixes=(Fix("greedy", (greedy,), safe=True),)))
        seen.add(value)
    return out


def _lines(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def test_fix_loop_applies_non_overlapping_fixes_and_keeps_comments() -> None:
    text = ('# header\nskip_layers: "a"\nskip_layers: "a"  # second a\nskip_layers: "b"  # b\n'
            'skip_layers: "a"\nskip_layers: "b"\n')
    reanalyze = _with(_repeats)
    result = fix(reanalyze(text), reanalyze)
    assert result.changed
    assert _comments(result.text) == _comments(text)
    assert result.text.count('skip_layers: "a"') == 1 and result.text.count('skip_layers: "b"') == 1
    assert not [d for d in result.analysis.diagnostics if d.code == "TST002"]
    # the greedy fix overlaps the precise one and touches comments: never applied
    assert all(a.title != "greedy" for a in result.applied)
    # positions are reported in the original text, even for fixes of later rounds
    lines = {text.count("\n", 0, a.start) + 1 for a in result.applied}
    assert lines == {3, 5, 6}


def test_a_fix_that_breaks_the_file_is_rolled_back() -> None:
    text = "common_config {\n    arq_quantize { channel_wise: true }  # c\n}\n"
    closing = text.rindex("}")
    breaking = Diagnostic("TST004", "x", 0, 1,
                          fixes=(Fix("drop brace", (Edit(closing, closing + 1, ""),), safe=True),))
    newline = text.index("# c") + 3
    merging = Diagnostic("TST005", "y", 2, 3,
                         fixes=(Fix("join lines", (Edit(newline, newline + 1, ""),), safe=True),))
    for diag in (breaking, merging):
        reanalyze = _with(lambda t, d=diag: [d] if t == text else [])
        result = fix(reanalyze(text), reanalyze)
        assert result.text == text and result.applied == []
        assert [r.code for r in result.rejected] == [diag.code]


def test_files_with_syntax_errors_are_not_fixed() -> None:
    text = 'skip_layers: "a"\nskip_layers: "a"\n@\n'
    reanalyze = _with(_repeats)
    result = fix(reanalyze(text), reanalyze)
    assert result.text == text and not result.applied


def test_rounds_are_bounded() -> None:
    def forever(text: str) -> list[Diagnostic]:  # a fix that always finds more to do
        return [Diagnostic("TST006", "more", 0, 0, fixes=(Fix("grow", (Edit(0, 0, "version: 1\n"),),
                                                                      safe=True),))]
    reanalyze = _with(forever)
    result = fix(reanalyze("version: 1\n"), reanalyze, max_rounds=4)
    assert len(result.applied) == 4 and result.text.count("version: 1") == 5


# -- the command ----------------------------------------------------------------------------

QUANT = """# proto-message: AMCTConfig
skip_layers: ["conv1", "conv2", "conv1"]  # conv1 twice
skip_layers: "conv2"  # given again
skip_layer_types: "Conv"
skip_layer_types: "Conv"
activation_offset: true
"""


@pytest.fixture
def cal011() -> None:
    if get("CAL011") is None:
        pytest.skip("CAL011 (repeated skip items, with a safe fix) is not in the catalog")


def test_check_fix_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str], cal011: None) -> None:
    path = tmp_path / "quant.cfg"
    path.write_text(QUANT, encoding="utf-8")
    path.chmod(0o600)
    assert main(["check", "--fix", str(path)]) == 0
    out = capsys.readouterr().out
    fixed = path.read_text(encoding="utf-8")
    assert _comments(fixed) == _comments(QUANT)
    assert 'skip_layers: ["conv1", "conv2"]  # conv1 twice' in fixed
    assert fixed.count('"conv2"') == 1 and fixed.count('"Conv"') == 1
    assert f"{path}:2: fixed [CAL011]" in out and f"{path}:3: fixed [CAL011]" in out
    assert f"{path}:5: fixed [CAL011]" in out
    assert (path.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quant.cfg"]
    assert "CAL011" not in json.dumps([d.code for d in analyze(fixed).diagnostics])
    # nothing left to fix: the file is not touched again
    before = path.stat().st_mtime_ns
    assert main(["check", "--fix", str(path)]) == 0
    assert path.stat().st_mtime_ns == before and "fixed" not in capsys.readouterr().out


def test_check_fix_with_json_keeps_stdout_machine_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          cal011: None) -> None:
    path = tmp_path / "quant.cfg"
    path.write_text(QUANT + "activation_offset: 3\n", encoding="utf-8")
    assert main(["check", "--fix", "--format", "json", str(path)]) == 1
    captured = capsys.readouterr()
    remaining = json.loads(captured.out)
    assert [d["code"] for d in remaining if d["severity"] == "error"] == ["SCH002"]
    assert "fixed [CAL011]" in captured.err


def test_check_fix_on_stdin(cal011: None) -> None:
    done = subprocess.run([sys.executable, "-m", "amct_lang", "check", "--fix", "-"], input=QUANT.encode(),
                          capture_output=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0
    fixed = done.stdout.decode()
    assert fixed.count('"Conv"') == 1 and _comments(fixed) == _comments(QUANT)
    assert b"fixed [CAL011]" in done.stderr
