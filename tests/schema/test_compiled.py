"""The shipped schema cache must match the .proto files (python -m amct_lang.schema rewrites it)."""

import json

from amct_lang.schema import COMPILED_PATH, compile_sources


def test_compiled_schema_is_current() -> None:
    with open(COMPILED_PATH, encoding="utf-8") as handle:
        shipped = json.load(handle)
    assert shipped == json.loads(json.dumps(compile_sources(), ensure_ascii=False))
