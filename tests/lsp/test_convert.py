"""Offsets to LSP positions and back (lsp/amct_lsp/convert.py): exact against an independent
count of UTF-16 units, and linear: a long line with astral characters is not rescanned per token."""

from __future__ import annotations

import random
import re
import time

from amct_lsp.convert import Positions
from lsprotocol import types

_BREAK = re.compile(r"\r\n|\r|\n")
PIECES = ["a", "😀", "\n", "\r\n", "\r", "é", "𝛼", "层", " "]


def _expected(text: str, offset: int) -> tuple[int, int]:
    parts = _BREAK.split(text[:offset])
    return len(parts) - 1, len(parts[-1].encode("utf-16-le")) // 2


def test_round_trip_on_random_texts() -> None:
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))
        pos = Positions(text)
        for offset in range(len(text) + 1):
            if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
                continue  # no LSP position between the two characters of a line break
            got = pos.position(offset)
            assert (got.line, got.character) == _expected(text, offset), (text, offset)
            assert pos.offset(got) == offset


def test_a_column_inside_a_surrogate_pair_moves_past_the_character() -> None:
    pos = Positions("😀a")
    assert pos.offset(types.Position(line=0, character=1)) == 1
    assert pos.offset(types.Position(line=0, character=99)) == 2


def _convert_all(n: int) -> float:
    text = "😀" + 'skip_layers: ["x", ' * n + "]"
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        pos = Positions(text)
        for offset in range(0, len(text), 7):
            pos.offset(pos.position(offset))
        best = min(best, time.perf_counter() - start)
    return best


def test_conversions_on_one_long_line_are_linear() -> None:
    small, big = _convert_all(1_000), _convert_all(4_000)
    # 4x the text and the tokens: about 4x the time when linear (n log n), 16x when quadratic
    assert big / small < 8, (small, big)
