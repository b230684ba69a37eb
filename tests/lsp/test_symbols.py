"""Document symbols over LSP: nested outline, layer names as details, UTF-16 ranges."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from .support import MARKS, ident, open_doc, position

pytestmark = MARKS
TEXT = ("# 层 𝛼\noverride_layer_configs {\n  layer_name: \"层𝛼1\"\n  calibration_config {\n"
        "    arq_quantize { channel_wise: true }\n  }\n}\nskip_layers: [\"a\", \"b\"]\n")


async def test_outline(client: LanguageClient) -> None:
    uri = open_doc(client, TEXT)
    params = types.DocumentSymbolParams(text_document=ident(uri))
    result = await client.text_document_document_symbol_async(params)
    assert result
    top = result[0]
    assert isinstance(top, types.DocumentSymbol)  # both editors support the hierarchy
    assert (top.name, top.detail, top.kind) == ("override_layer_configs", "\"层𝛼1\"", types.SymbolKind.Struct)
    assert [c.name for c in top.children] == ["layer_name", "calibration_config"]
    layer = top.children[0]
    start = TEXT.index("\"层𝛼1\"")
    assert layer.range.end == position(TEXT, start + len("\"层𝛼1\""))
    assert result[1].name == "skip_layers" and result[1].kind == types.SymbolKind.Array
    assert [c.name for c in result[1].children] == ["skip_layers[0]", "skip_layers[1]"]
