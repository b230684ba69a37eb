"""textDocument/foldingRange: blocks, lists and comment runs, by whole lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang.ide import folding as ide

from .convert import positions

if TYPE_CHECKING:
    from .world import World

_KINDS = {ide.REGION: types.FoldingRangeKind.Region, ide.COMMENT: types.FoldingRangeKind.Comment}


async def folding_range(world: World, params: types.FoldingRangeParams) -> list[types.FoldingRange] | None:
    snap = await world.snapshot(params.text_document.uri)
    if snap is None:
        return None
    pos = positions(snap)
    out = []
    for f in ide.folding_ranges(snap):
        first, last = pos.line_of(f.start), pos.line_of(f.end)
        if last > first:
            out.append(types.FoldingRange(start_line=first, end_line=last, kind=_KINDS[f.kind]))
    return out
