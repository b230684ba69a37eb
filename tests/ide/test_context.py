"""Cursor-context fixtures: tests/ide/fixtures/context/*.cfg.

Directives: `kind` (name, value, comment, none), `path` (enclosing field names joined by '.';
empty at top level), `message` (the enclosing message), `field` (the field named or valued; `-`
for none), `word` (the token under the cursor), `present` (fields the block already sets).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amct_lang.ide.context import cursor_context

from .fixture import cases, load


@pytest.mark.parametrize("path", cases("context"), ids=lambda p: p.stem)
def test_context(path: Path) -> None:
    case = load(path)
    ctx = cursor_context(case.snapshot(), case.offset)
    assert ctx.kind == case.get("kind")
    if "path" in case.directives:
        assert ".".join(ctx.path) == case.get("path")
    if "message" in case.directives:
        assert ctx.descriptor is not None and ctx.descriptor.name == case.get("message")
    if "field" in case.directives:
        expected = case.get("field")
        assert (ctx.field.name if ctx.field else "-") == expected
    if "word" in case.directives:
        assert ctx.word is not None and case.text[ctx.word.start:ctx.word.end] == case.get("word")
    if "present" in case.directives:
        assert sorted(ctx.present) == sorted(case.items("present"))
