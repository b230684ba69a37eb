"""textDocument/formatting and rangeFormatting: amct_lang.format's edits.

A document with syntax errors is not formatted (where its tokens go would be a guess): the user
is told why instead of nothing happening.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang.format import format_edits, format_range, format_text

from .convert import positions

if TYPE_CHECKING:
    from amct_lang.ide.snapshot import Snapshot

    from .world import World


def _edits(snap: Snapshot, edits: list) -> list[types.TextEdit]:  # type: ignore[type-arg]
    return [types.TextEdit(range=positions(snap).range(e.start, e.end), new_text=e.new_text) for e in edits]


def _refused(world: World, snap: Snapshot) -> bool:
    result = format_text(snap.analysis, world.settings.dialect or None)
    if not result.ok:
        world.show(types.MessageType.Warning, f"not formatted: {result.reason}")
    return not result.ok


async def formatting(world: World, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
    snap = await world.snapshot(params.text_document.uri)
    if snap is None or _refused(world, snap):
        return None
    return _edits(snap, format_edits(snap.analysis, world.settings.dialect or None))


async def range_formatting(world: World, params: types.DocumentRangeFormattingParams
                           ) -> list[types.TextEdit] | None:
    snap = await world.snapshot(params.text_document.uri)
    if snap is None or _refused(world, snap):
        return None
    start, end = positions(snap).offsets(params.range)
    return _edits(snap, format_range(snap.analysis, start, end, world.settings.dialect or None))
