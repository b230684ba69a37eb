"""textDocument/hover: amct_lang.ide.hover as an LSP Hover, in Markdown or plain text as the
client can show it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang.ide.hover import hover as ide_hover

from .convert import positions
from .ruledocs import rule_link

if TYPE_CHECKING:
    from .world import World


async def hover(world: World, params: types.HoverParams) -> types.Hover | None:
    snap = await world.snapshot(params.text_document.uri)
    if snap is None:
        return None
    found = ide_hover(snap, positions(snap).offset(params.position), rule_link)
    if found is None:
        return None
    td = world.capabilities.text_document
    markdown = world.markdown(td.hover.content_format if td is not None and td.hover is not None else None)
    contents = types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown) if markdown else \
        types.MarkupContent(kind=types.MarkupKind.PlainText, value=found.plain)
    return types.Hover(contents=contents, range=positions(snap).range(found.start, found.end))
