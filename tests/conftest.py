"""Shared test settings. On CI (CI=true) hypothesis runs a fixed set of examples, so a run is
reproducible and keeps no example database; locally it explores anew each time."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")
