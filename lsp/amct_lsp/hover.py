"""textDocument/hover: amct_lang.ide.hover as an LSP Hover."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang.ide.hover import hover as ide_hover

from .convert import positions

if TYPE_CHECKING:
    from .server import AmctLanguageServer


def register(server: AmctLanguageServer) -> None:
    @server.handle(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams) -> types.Hover | None:
        snap = await server.snapshot(params.text_document.uri)
        if snap is None:
            return None
        found = ide_hover(snap, positions(snap).offset(params.position))
        if found is None:
            return None
        td = server.client_capabilities.text_document
        formats = (td.hover.content_format or []) if td is not None and td.hover is not None else []
        markdown = types.MarkupKind.Markdown in formats
        kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
        return types.Hover(contents=types.MarkupContent(kind=kind, value=found.markdown),
                           range=positions(snap).range(found.start, found.end))
