"""Hover fixtures: tests/ide/fixtures/hover/*.cfg.

Directives: `contains` (a line the markdown must contain; repeatable), `range` (the hovered text),
`none` (no hover), `layers` (a model).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amct_lang.ide.hover import hover

from .fixture import cases, load


@pytest.mark.parametrize("path", cases("hover"), ids=lambda p: p.stem)
def test_hover(path: Path) -> None:
    case = load(path)
    found = hover(case.snapshot(), case.offset)
    if "none" in case.directives:
        assert found is None
        return
    assert found is not None
    for text in case.directives.get("contains", []):
        assert text in found.markdown, found.markdown
    expected = case.get("range")
    if expected is not None:
        assert case.text[found.start:found.end] == expected
