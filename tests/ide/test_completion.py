"""Completion fixtures: tests/ide/fixtures/completion/*.cfg.

Directives: `includes`, `excludes` (labels), `first` (the first labels in sort order), `exactly`
(all labels in sort order; empty: nothing offered), `insert LABEL` / `snippet LABEL` (the text
inserted, `\\n` for newlines), `range` (the text the items replace), `dialect`, `layers` (a model).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amct_lang.ide.completion import complete

from .fixture import cases, load


@pytest.mark.parametrize("path", cases("completion"), ids=lambda p: p.stem)
def test_completion(path: Path) -> None:
    case = load(path)
    items = sorted(complete(case.snapshot(), case.offset), key=lambda i: i.sort)
    labels = [i.label.strip() for i in items]
    by_label = {i.label.strip(): i for i in items}
    for label in case.items("includes"):
        assert label in labels, f"{label!r} not offered; got {labels}"
    for label in case.items("excludes"):
        assert label not in labels, f"{label!r} offered"
    first = case.items("first")
    if first:
        assert labels[:len(first)] == first
    if "exactly" in case.directives:
        assert labels == case.items("exactly")
    for key, values in case.directives.items():
        kind, _, label = key.partition(" ")
        if kind in ("insert", "snippet"):
            item = by_label[label]
            got = item.text if kind == "insert" else item.snippet
            assert got == values[-1]
    expected_range = case.get("range")
    if expected_range is not None:
        for item in items:
            assert case.text[item.start:item.end] == expected_range
    for item in items:  # a completion replaces text on the cursor's line, around the cursor
        assert item.start <= case.offset <= item.end
        assert "\n" not in case.text[item.start:item.end]


def test_model_header_offers_the_model_files_it_is_given() -> None:
    from amct_lang.ide.snapshot import snapshot

    text = "# amct-model: mo\nskip_layers: \"a\"\n"
    items = complete(snapshot(text), text.index(": mo") + 4, lambda: ["models/a.onnx", "b.onnx"])
    assert [(i.label, text[i.start:i.end]) for i in items] == [("models/a.onnx", "mo"), ("b.onnx", "mo")]
