"""Indentation of inserted text: follow the file, else the formatter's layout."""

from __future__ import annotations

from ..format import INDENT


def indent_unit(text: str) -> str:
    """The file's indentation step: a tab, else the smallest space indent it uses."""
    smallest = 0
    for line in text.splitlines()[:2000]:
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        lead = line[:len(line) - len(stripped)]
        if lead.startswith("\t"):
            return "\t"
        if lead and (smallest == 0 or len(lead) < smallest):
            smallest = len(lead)
    return " " * smallest if smallest else INDENT


def line_indent(text: str, offset: int) -> str:
    """The whitespace at the start of the line holding `offset`."""
    start = text.rfind("\n", 0, offset) + 1
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]
