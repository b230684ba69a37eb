"""textDocument/semanticTokens/full: token types from amct_lang.ide, encoded as LSP wants
(relative line/start, lengths in UTF-16 code units)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang.ide import semantic_tokens as ide

from .convert import positions

if TYPE_CHECKING:
    from .world import World

_INDEX = {name: i for i, name in enumerate(ide.TOKEN_TYPES)}


def encode(snap, tokens: list[ide.SemanticToken]) -> list[int]:  # type: ignore[no-untyped-def]
    data: list[int] = []
    prev_line = prev_col = 0
    pos = positions(snap)
    for tok in tokens:
        start, end = pos.position(tok.start), pos.position(tok.end)
        line, col = start.line, start.character
        if end.line != line:  # a comment holding a lone '\r' spans two LSP lines: leave it out
            continue
        length = end.character - col
        if length <= 0:
            continue
        delta_line = line - prev_line
        delta_col = col - prev_col if delta_line == 0 else col
        data.extend((delta_line, delta_col, length, _INDEX[tok.type], 0))
        prev_line, prev_col = line, col
    return data


async def semantic_tokens_full(world: World, params: types.SemanticTokensParams
                               ) -> types.SemanticTokens | None:
    snap = await world.snapshot(params.text_document.uri)
    if snap is None:
        return None
    return types.SemanticTokens(data=encode(snap, ide.semantic_tokens(snap)))
