"""The server's settings: `amctLang.*` from the client (initializationOptions, then
workspace/didChangeConfiguration or workspace/configuration).

    model      path of a model for every file, relative to the workspace folder (a file's own
               `# amct-model:` header wins)
    dialect    schema to check every file against; "" detects it per file
    lint.run   "onType" (default) or "onSave"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SECTION = "amctLang"
ON_TYPE = "onType"
ON_SAVE = "onSave"


@dataclass(frozen=True)
class Settings:
    model: str = ""
    dialect: str = ""
    lint_run: str = ON_TYPE


def parse_settings(raw: Any, current: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from what a client sent (the section itself, or an object holding it).

    Returns the settings and a list of problems to tell the user (unknown dialect, ...); a value
    that is missing or wrong keeps the current one.
    """
    base = current or Settings()
    if not isinstance(raw, dict):
        return base, []
    if isinstance(raw.get(SECTION), dict):
        raw = raw[SECTION]
    problems: list[str] = []
    model = raw.get("model", base.model)
    if not isinstance(model, str):
        problems.append(f"{SECTION}.model must be a path (a string), not {model!r}")
        model = base.model
    dialect = raw.get("dialect", base.dialect)
    if dialect is None:
        dialect = ""
    if dialect:  # the schema package only when there is a dialect to check (start-up)
        from amct_lang.schema.dialects import DIALECTS
    if not isinstance(dialect, str) or (dialect and dialect not in DIALECTS):
        problems.append(f"{SECTION}.dialect {dialect!r} is not one of: {', '.join(DIALECTS)} (or empty "
                        "to detect it per file); detecting it per file")
        dialect = ""
    lint = raw.get("lint")
    run = base.lint_run
    if isinstance(lint, dict) and "run" in lint:
        run = lint["run"]
    elif "lint.run" in raw:
        run = raw["lint.run"]
    if run not in (ON_TYPE, ON_SAVE):
        problems.append(f"{SECTION}.lint.run {run!r} is not '{ON_TYPE}' or '{ON_SAVE}'; using '{ON_TYPE}'")
        run = ON_TYPE
    return Settings(model.strip(), dialect, run), problems
