"""Rule fixtures: each file in fixtures/ is checked and must get exactly the diagnostics its markers say.

A marker is a comment at the end of the line where a diagnostic starts:

    num_steps: 20  # expect: CAL002
    layer_type: "Optype"  # expect: CAL017, CAL012
    dst_type: INT16  # expect: CAL006:warning

Every other line must get no diagnostic at all, of any code. A line `# ignore: CODE, ...` drops
codes from the comparison; only information-level rules and the placeholder warning CAL017 may be
ignored. The dialect comes from the file's `# amct-dialect:` header, as for users.

For every CAL/DST rule there is `<CODE>.cfg`, where it fires, and `<CODE>_ok.cfg`, a near miss
where it must not; other `<CODE>_<variant>.cfg` files add cases.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from amct_lang.analysis import analyze
from amct_lang.diagnostics import Severity
from amct_lang.rules import all_rules, get

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FILES = sorted(FIXTURES.glob("*.cfg"))
_EXPECT = re.compile(r"#\s*expect:\s*(.+?)\s*$")
_IGNORE = re.compile(r"^\s*#\s*ignore:\s*(.+?)\s*$")
_ITEM = re.compile(r"^([A-Z]{3}\d{3})(?::(error|warning|info))?$")


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _ignorable(code: str) -> bool:
    rule = get(code)
    return rule is not None and (rule.severity is Severity.INFO or code == "CAL017")


def _markers(text: str) -> tuple[Counter[tuple[int, str]], dict[tuple[int, str], str], set[str]]:
    expected: Counter[tuple[int, str]] = Counter()
    severities: dict[tuple[int, str], str] = {}
    ignored: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        ignore = _IGNORE.match(line)
        if ignore:
            ignored.update(_codes(ignore.group(1)))
            continue
        expect = _EXPECT.search(line)
        if not expect:
            continue
        for item in _codes(expect.group(1)):
            m = _ITEM.match(item)
            assert m, f"line {number}: bad marker item {item!r}"
            expected[(number, m.group(1))] += 1
            if m.group(2):
                severities[(number, m.group(1))] = m.group(2)
    return expected, severities, ignored


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixture(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected, severities, ignored = _markers(text)
    assert all(_ignorable(code) for code in ignored), f"only info rules and CAL017 may be ignored: {ignored}"
    analysis = analyze(text)
    lines = analysis.tree.lines
    got = [(lines.line_col(d.start)[0] + 1, d) for d in analysis.diagnostics if d.code not in ignored]
    actual = Counter((line, d.code) for line, d in got)
    report = "\n".join(f"  line {line}: {d.code} {d.severity.value}: {d.message}" for line, d in got)
    assert actual == expected, f"{path.name}: diagnostics differ from the markers; got:\n{report}"
    for key, severity in severities.items():
        found = {d.severity.value for line, d in got if (line, d.code) == key}
        assert found == {severity}, f"{path.name} line {key[0]}: {key[1]} is {found}, expected {severity}"


def _family_rules() -> list[str]:
    return [r.code for r in all_rules() if r.code[:3] in ("CAL", "DST") and r.check is not None]


@pytest.mark.parametrize("code", _family_rules())
def test_every_rule_has_a_firing_fixture_and_a_near_miss(code: str) -> None:
    firing, near_miss = FIXTURES / f"{code}.cfg", FIXTURES / f"{code}_ok.cfg"
    assert firing.exists() and near_miss.exists(), f"add fixtures/{code}.cfg and fixtures/{code}_ok.cfg"
    assert any(c == code for _, c in _markers(firing.read_text(encoding="utf-8"))[0]), \
        f"{firing.name} has no '# expect: {code}' marker"
    assert all(c != code for _, c in _markers(near_miss.read_text(encoding="utf-8"))[0]), \
        f"{near_miss.name} must be a case where {code} does not fire"
