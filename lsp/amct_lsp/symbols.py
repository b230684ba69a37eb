"""textDocument/documentSymbol: the outline, nested (or flat for clients without hierarchy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from amct_lang.ide import symbols as ide

from .convert import positions

if TYPE_CHECKING:
    from amct_lang.ide.snapshot import Snapshot

    from .world import World

_KINDS = {
    ide.BLOCK: types.SymbolKind.Struct,
    ide.LIST: types.SymbolKind.Array,
    ide.STRING: types.SymbolKind.String,
    ide.NUMBER: types.SymbolKind.Number,
    ide.BOOL: types.SymbolKind.Boolean,
    ide.ENUM: types.SymbolKind.EnumMember,
}


MAX_DEPTH = 64  # levels of the outline sent: deeper ones would only break clients' recursive decoders


def _nested(snap: Snapshot, syms: list[ide.Symbol]) -> list[types.DocumentSymbol]:
    pos = positions(snap)
    top: list[types.DocumentSymbol] = []
    work: list[tuple[list[ide.Symbol], list[types.DocumentSymbol], int]] = [(syms, top, 1)]
    while work:
        level, out, depth = work.pop()
        for sym in level:
            children: list[types.DocumentSymbol] = []
            out.append(types.DocumentSymbol(
                name=sym.name, detail=sym.detail or None, kind=_KINDS[sym.kind],
                range=pos.range(sym.start, sym.end), selection_range=pos.range(sym.name_start, sym.name_end),
                children=children if sym.children and depth < MAX_DEPTH else None))
            if sym.children and depth < MAX_DEPTH:
                work.append((sym.children, children, depth + 1))
    return top


def _flat(snap: Snapshot, uri: str, syms: list[ide.Symbol]) -> list[types.SymbolInformation]:
    pos = positions(snap)
    out: list[types.SymbolInformation] = []
    work: list[tuple[ide.Symbol, str | None]] = [(s, None) for s in reversed(syms)]
    while work:  # depth first, in document order
        sym, container = work.pop()
        out.append(types.SymbolInformation(
            name=sym.name + (f" {sym.detail}" if sym.detail and sym.kind == ide.BLOCK else ""),
            kind=_KINDS[sym.kind], container_name=container,
            location=types.Location(uri=uri, range=pos.range(sym.start, sym.end))))
        work.extend((c, sym.name) for c in reversed(sym.children))
    return out


async def document_symbol(world: World, params: types.DocumentSymbolParams
                          ) -> list[types.DocumentSymbol] | list[types.SymbolInformation] | None:
    uri = params.text_document.uri
    snap = await world.snapshot(uri)
    if snap is None:
        return None
    syms = ide.symbols(snap)
    td = world.capabilities.text_document
    ds = td.document_symbol if td is not None else None
    if ds is not None and ds.hierarchical_document_symbol_support:
        return _nested(snap, syms)
    return _flat(snap, uri, syms)
