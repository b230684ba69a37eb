"""Markdown as plain text, for clients that show documentation verbatim (no Markdown support):
fences, emphasis, code spans, headings, links and tables written the way a person would type
them in a plain-text note."""

from __future__ import annotations

import re

_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+")
_RULE = re.compile(r"^\s*(-{3,}|\*{3,})\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?(\s*:?-+:?\s*\|)+\s*:?-*:?\s*$")


def plain_text(markdown: str) -> str:
    out: list[str] = []
    in_fence = False
    for line in markdown.split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append(line)  # code stays exactly as written
            continue
        if _RULE.match(line):
            out.append("—" * 20)
            continue
        if _TABLE_SEPARATOR.match(line) and "|" in line:
            continue
        line = _HEADING.sub("", line)
        if line.lstrip().startswith("|") and line.rstrip().endswith("|"):
            cells = [c.strip() for c in line.strip()[1:-1].split("|")]
            line = "  ".join(c for c in cells if c)
        line = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} <{m.group(2)}>",
                         line)
        line = _CODE.sub(r"\1", line)
        line = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), line)
        out.append(line.replace("&nbsp;", " "))
    return "\n".join(out)
