"""Files that are plainly not AMCT configs: a Python script or an INI file that happens to be
called `*calibration*.cfg` (ROS' `camera_calibration.cfg` is Python; simulators keep INI settings
in `.cfg` files). Checking them as text format gives a flood of errors and a junk outline; one
note saying what the file seems to be is all that helps.

Plainly means both: no top-level field of the file is one any AMCT dialect knows, and lines have
the shape of another language (at least two such lines, or a marker no config has: a shebang,
`<?xml`). A file whose header names a dialect is always checked.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from .schema import Schema
    from .syntax import SyntaxTree

CODE = "SYN008"
_HEADER = re.compile(r"^\s*#\s*(proto-message|amct-dialect)\s*:", re.MULTILINE)
_SCAN_LINES = 400  # enough to tell; a long file is not read to its end for this

# lines only one language has; `name = value` lines count for Python and INI alike
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Python", re.compile(r"^\s*(import\s+\w|from\s+[\w.]+\s+import\s|def\s+\w+\s*\(|class\s+\w+\s*[(:]"
                          r"|if\s+__name__\s*==|print\s*\(|return\b|exit\s*\(|\w+(\.\w+)+\s*\(.*\)\s*$)")),
    ("INI", re.compile(r"^\s*\[[^\]\n]+\]\s*$")),
    ("JSON", re.compile(r"^\s*\"[^\"\n]*\"\s*:\s*")),
    ("XML", re.compile(r"^\s*</?[A-Za-z][\w:.-]*(\s[^>]*)?/?>")),
    ("YAML", re.compile(r"^(---\s*$|\s*-\s+\S)")),
)
_ASSIGNMENT = re.compile(r"^\s*[A-Za-z_][\w.\- ]*=")
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Python", re.compile(r"\A#!.*\bpython")),
    ("shell script", re.compile(r"\A#!.*\b(ba|z|da)?sh\b")),
    ("XML", re.compile(r"\A\s*<\?xml")),
)


def known_top_level(tops: Iterable[Iterable[str]]) -> frozenset[str]:
    """The union of the top-level field names of the dialects' messages."""
    return frozenset(name for names in tops for name in names)


def foreign_language(text: str, top_names: Collection[str], known: Collection[str]) -> str | None:
    """The language the text plainly is, when it is plainly not an AMCT config; else None.

    `top_names`: the top-level field names the parser found; `known`: every name a dialect's
    top-level message has."""
    if any(name in known for name in top_names) or _HEADER.search(text, 0, _header_end(text)):
        return None
    for language, marker in _MARKERS:
        if marker.search(text):
            return language
    counts = dict.fromkeys((lang for lang, _ in _SHAPES), 0)
    assignments = 0
    for number, line in enumerate(text.splitlines()):
        if number >= _SCAN_LINES:
            break
        if not line.strip() or line.lstrip().startswith(("#", ";", "//")):
            continue
        for language, shape in _SHAPES:
            if shape.match(line):
                counts[language] += 1
                break
        else:
            assignments += _ASSIGNMENT.match(line) is not None
    for language in ("Python", "INI"):  # `name = value` lines back either
        if counts[language]:
            counts[language] += assignments
    best = max(counts, key=lambda lang: counts[lang])
    if counts[best] >= 2:
        return best
    return "INI" if assignments >= 2 else None  # `name = value` lines alone: a settings file


def _header_end(text: str) -> int:
    at = 0
    for _ in range(10):
        nl = text.find("\n", at)
        if nl < 0:
            return len(text)
        at = nl + 1
    return at


def foreign_diagnostic(language: str) -> Diagnostic:
    """The one note such a file gets, at its start."""
    article = "an" if language[0] in "AEIOU" else "a"
    return Diagnostic(CODE, f"this looks like {article} {language} file, not an AMCT config, so it is not "
                            "checked; to check it anyway, start it with `# amct-dialect: NAME`",
                      0, 0, Severity.INFO)


def foreign_note(text: str, tree: SyntaxTree, schema: Schema) -> Diagnostic | None:
    """The note for a text that is plainly not an AMCT config (see the module doc), else None."""
    from .schema import DIALECTS

    names = [f.name.text for f in tree.fields if not f.name.missing]
    known = known_top_level(schema.top(d).fields_by_name for d in DIALECTS)
    language = foreign_language(text, names, known)
    return foreign_diagnostic(language) if language is not None else None
