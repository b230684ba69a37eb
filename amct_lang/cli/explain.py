"""amct-lang explain [CODE]: a rule's documentation, or the list of all rules."""

from __future__ import annotations

import argparse
import sys

HELP = "print the documentation of a rule (all rules without CODE)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", nargs="?", help="rule code such as CAL002")


def run(args: argparse.Namespace) -> int:
    from ..rules import all_rules, get

    if not args.code:
        for r in all_rules():
            print(f"{r.code}  {r.severity.value:<7}  {r.name:<30} {r.summary}")
        return 0
    rule = get(args.code)
    if rule is None:
        print(f"amct-lang: unknown rule code {args.code!r}; 'amct-lang explain' lists them", file=sys.stderr)
        return 2
    print(f"{rule.code} ({rule.name}), default severity: {rule.severity.value}")
    if rule.dialects:
        print(f"dialects: {', '.join(rule.dialects)}")
    if rule.needs_model:
        print("needs: --model")
    print()
    print(rule.doc)
    return 0
