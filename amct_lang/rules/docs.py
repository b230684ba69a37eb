"""docs/rules.md, generated from the rule catalog: `python -m amct_lang.rules.docs > docs/rules.md`.

The catalog is the single source: each rule's code, name, severity, dialects and docstring. A test
regenerates the page and compares, so the page cannot drift from the code.
"""

from __future__ import annotations

import sys

from .catalog import Rule, all_rules

FAMILIES = (
    ("SYN", "Syntax", "Found by the parser in every dialect."),
    ("SCH", "Schema", "The file against its dialect's schema, in every dialect."),
    ("CAL", "Calibration dialects",
     "`calibration` (ATC/AOE, Ascend IR types) and `calibration-onnx` (AMCT's ONNX, TensorFlow, Caffe "
     "and PyTorch tools), where the field exists."),
    ("DST", "Distillation dialect", "`distill` (AMCT PyTorch distillation)."),
    ("MOD", "Model-aware",
     "Run only when a model is given (`--model`); skipped, never guessed, without one."),
)
HEADER = """\
# Rules

<!-- Generated from the rule catalog by `python -m amct_lang.rules.docs > docs/rules.md`;
     edit the rules' docstrings, not this page. -->

Every diagnostic of `amct-lang check` has a code. `amct-lang explain CODE` prints the entry of one
rule; `amct-lang explain` lists them all. Silence a rule on one line with a comment
`# amct-lint: disable=CODE` at the end of that line, in a whole file with
`# amct-lint: disable-file=CODE`, or on the command line with `--ignore CODE` (`--select` keeps
only the given codes or prefixes). Fixes marked safe are applied by `check --fix`; the editor
offers every fix as a quick fix.
"""


def _dialects(rule: Rule) -> str:
    return ", ".join(f"`{d}`" for d in rule.dialects) if rule.dialects else "all"


def _anchor(rule: Rule) -> str:
    return f"{rule.code.lower()}-{rule.name}"


def _body(doc: str) -> list[str]:
    """The documentation after its summary line, its `##` headings made subordinate to the rule's."""
    out = []
    fenced = False
    for line in doc.splitlines()[1:]:
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            line = "##" + line
        out.append(line)
    while out and not out[0].strip():
        out.pop(0)
    return out


def render() -> str:
    rules = list(all_rules())
    lines = [HEADER]
    for prefix, title, scope in FAMILIES:
        family = [r for r in rules if r.code.startswith(prefix)]
        if not family:
            continue
        lines += [f"## {title} ({prefix})", "", scope, "",
                  "| code | name | severity | dialects | summary |", "|---|---|---|---|---|"]
        for r in family:
            summary = r.summary.replace("|", "\\|")
            lines.append(f"| [{r.code}](#{_anchor(r)}) | {r.name} | {r.severity.value} | {_dialects(r)} | "
                         f"{summary} |")
        lines.append("")
        for r in family:
            lines += [f"### {r.code} {r.name}", "",
                      f"Severity: **{r.severity.value}**. Dialects: {_dialects(r)}."
                      + (" Needs a model (`--model`)." if r.needs_model else ""), "",
                      r.summary, ""]
            lines += _body(r.doc)
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> int:
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
