"""Where a rule's whole explanation can be opened: a Markdown file per rule in the user's cache
folder, written on first need, so the link works in any client (LSP's codeDescription.href and
hover links must be URIs, and a file is what every editor opens).
"""

from __future__ import annotations

import os
from pathlib import Path

_FOLDER: list[Path | None] = []
_LINKS: dict[str, str | None] = {}


def _folder() -> Path | None:
    if not _FOLDER:
        from .server import _version

        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder: Path | None = Path(base) / "amct-lang" / f"rules-{_version()}"
        try:
            folder.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
        except OSError:
            folder = None  # no writable cache: no links, the hover says `amct-lang explain`
        _FOLDER.append(folder)
    return _FOLDER[0]


def rule_link(code: str) -> str | None:
    """A file: URI of the rule's explanation, or None (unknown rule, no cache folder)."""
    if code in _LINKS:
        return _LINKS[code]
    from amct_lang.ide.docs import rule_markdown
    from amct_lang.rules.catalog import get

    rule = get(code)
    folder = _folder()
    link = None
    if rule is not None and folder is not None:
        path = folder / f"{code}.md"
        text = rule_markdown(rule) + "\n"
        try:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, path)
            link = path.as_uri()
        except OSError:
            link = None
    _LINKS[code] = link
    return link
