"""textDocument/formatting and rangeFormatting: amct_lang.format's edits.

A document with syntax errors is not formatted (where its tokens go would be a guess): the user
is told why instead of nothing happening.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang import format as fmt

from .convert import positions

if TYPE_CHECKING:
    from amct_lang.ide.snapshot import Snapshot

    from .server import AmctLanguageServer


def _edits(snap: Snapshot, edits: list) -> list[types.TextEdit]:  # type: ignore[type-arg]
    return [types.TextEdit(range=positions(snap).range(e.start, e.end), new_text=e.new_text) for e in edits]


def register(server: AmctLanguageServer) -> None:
    def refused(snap: Snapshot) -> bool:
        result = fmt.format_text(snap.analysis, server.settings.dialect or None)
        if not result.ok:
            server.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Warning, message=f"amct-lang: not formatted: {result.reason}"))
        return not result.ok

    @server.handle(types.TEXT_DOCUMENT_FORMATTING)
    async def formatting(params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
        snap = await server.snapshot(params.text_document.uri)
        if snap is None or refused(snap):
            return None
        return _edits(snap, fmt.format_edits(snap.analysis, server.settings.dialect or None))

    @server.handle(types.TEXT_DOCUMENT_RANGE_FORMATTING)
    async def range_formatting(params: types.DocumentRangeFormattingParams) -> list[types.TextEdit] | None:
        snap = await server.snapshot(params.text_document.uri)
        if snap is None or refused(snap):
            return None
        start, end = positions(snap).offsets(params.range)
        return _edits(snap, fmt.format_range(snap.analysis, start, end, server.settings.dialect or None))
