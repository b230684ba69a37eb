"""The catalog's documentation: docs/rules.md is generated from it, every entry has the fixed shape,
and `amct-lang explain` prints it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amct_lang.cli.main import main
from amct_lang.rules import all_rules
from amct_lang.rules.docs import render

REPO = Path(__file__).resolve().parents[2]
SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead"]


def test_docs_rules_md_is_generated_from_the_catalog() -> None:
    page = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == render(), "docs/rules.md is stale: run python -m amct_lang.rules.docs > docs/rules.md"


@pytest.mark.parametrize("rule", list(all_rules()), ids=lambda r: r.code)
def test_every_rule_doc_has_the_fixed_shape(rule) -> None:  # type: ignore[no-untyped-def]
    lines = rule.doc.splitlines()
    assert lines and lines[0].strip() and not lines[0].startswith("#"), "first line: a one-line summary"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == SECTIONS, f"{rule.code}: sections must be {SECTIONS}, got {headings}"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), f"{rule.code}: name must be kebab-case"


def test_explain_prints_a_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "cal002"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CAL002 (nuq-num-steps), default severity: error")
    assert "## Use instead" in out and "num_steps: 16" in out


def test_explain_lists_all_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert listed == [r.code for r in all_rules()]


def test_explain_unknown_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "CAL999"]) == 2
    assert "unknown rule code" in capsys.readouterr().err
