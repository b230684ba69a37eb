"""The TextMate grammar's own tests (vscode-tmgrammar-test) under pytest: the scope assertions in
vscode-extension/test/grammar/*.cfg and the token snapshots of the bundled examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_data import shared_cases

from .extension_build import EXTENSION, npm_ci, require, run

GRAMMAR_TESTS = EXTENSION / "test" / "grammar"
SNAPSHOTS = GRAMMAR_TESTS / "examples"
EXAMPLES = shared_cases("examples/*.cfg")  # the seed examples each have a snapshot


def test_grammar_tests_pass() -> None:
    require(["node", "npm"])
    # vscode-tmgrammar-snap writes a missing snapshot and passes: every input needs its .snap
    unsnapped = [p.name for p in SNAPSHOTS.glob("*.cfg") if not p.with_name(p.name + ".snap").is_file()]
    assert not unsnapped, f"no snapshot for {unsnapped}: run `npm run test:grammar:snap:update` and review"
    assert list(GRAMMAR_TESTS.glob("*.cfg")), "no grammar unit tests found"
    build = npm_ci()  # a copy in the cache folder: nothing is written into the sources
    out = run(["npm", "run", "--silent", "test:grammar"], build, "the grammar tests").stdout
    # every test file was run (a glob that matched nothing would pass quietly)
    for path in [*GRAMMAR_TESTS.glob("*.cfg"), *SNAPSHOTS.glob("*.cfg")]:
        assert path.name in out, f"{path.name} was not run:\n{out}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name if p else "no-shared")
def test_every_example_has_a_grammar_snapshot(example: Path) -> None:
    copy = SNAPSHOTS / example.name
    assert copy.is_file(), f"copy {example.name} to {copy.parent} and run `npm run test:grammar:snap:update`"
    assert copy.read_bytes() == example.read_bytes(), f"{copy} differs from {example}: copy it again"
