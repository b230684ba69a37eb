"""textDocument/documentSymbol: the outline, nested (or flat for clients without hierarchy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang.ide import symbols as ide

from .convert import positions

if TYPE_CHECKING:
    from amct_lang.ide.snapshot import Snapshot

    from .server import AmctLanguageServer

_KINDS = {
    ide.BLOCK: types.SymbolKind.Struct,
    ide.LIST: types.SymbolKind.Array,
    ide.STRING: types.SymbolKind.String,
    ide.NUMBER: types.SymbolKind.Number,
    ide.BOOL: types.SymbolKind.Boolean,
    ide.ENUM: types.SymbolKind.EnumMember,
}


def _nested(snap: Snapshot, sym: ide.Symbol) -> types.DocumentSymbol:
    return types.DocumentSymbol(
        name=sym.name, detail=sym.detail or None, kind=_KINDS[sym.kind],
        range=positions(snap).range(sym.start, sym.end),
        selection_range=positions(snap).range(sym.name_start, sym.name_end),
        children=[_nested(snap, c) for c in sym.children] or None)


def _flat(snap: Snapshot, uri: str, syms: list[ide.Symbol], container: str | None,
          out: list[types.SymbolInformation]) -> None:
    for sym in syms:
        out.append(types.SymbolInformation(
            name=sym.name + (f" {sym.detail}" if sym.detail and sym.kind == ide.BLOCK else ""),
            kind=_KINDS[sym.kind], container_name=container,
            location=types.Location(uri=uri, range=positions(snap).range(sym.start, sym.end))))
        _flat(snap, uri, sym.children, sym.name, out)


def register(server: AmctLanguageServer) -> None:
    @server.handle(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(params: types.DocumentSymbolParams
                              ) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
        uri = params.text_document.uri
        snap = await server.snapshot(uri)
        if snap is None:
            return None
        syms = ide.symbols(snap)
        td = server.client_capabilities.text_document
        ds = td.document_symbol if td is not None else None
        if ds is not None and ds.hierarchical_document_symbol_support:
            return [_nested(snap, s) for s in syms]
        flat: list[types.SymbolInformation] = []
        _flat(snap, uri, syms, None, flat)
        return flat
