"""Semantic tokens over LSP: the legend, the relative encoding, UTF-16 lengths."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from .support import MARKS, ident, open_doc

pytestmark = MARKS


def decode(data: list[int], legend: list[str]) -> list[tuple[int, int, int, str]]:
    out = []
    line = col = 0
    for i in range(0, len(data), 5):
        dl, dc, length, kind, _ = data[i:i + 5]
        line += dl
        col = col + dc if dl == 0 else dc
        out.append((line, col, length, legend[kind]))
    return out


async def test_tokens(client: LanguageClient) -> None:
    text = "# 中文𝛼\nskip_layers: \"层𝛼\" dst_type: INT8\n"
    uri = open_doc(client, text)
    legend = client.initialized_with.capabilities.semantic_tokens_provider.legend.token_types
    result = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=ident(uri)))
    # '𝛼' is two UTF-16 code units: lengths and later columns count it twice
    assert decode(list(result.data), list(legend)) == [
        (0, 0, 6, "comment"),
        (1, 0, 11, "property"),
        (1, 13, 5, "string"),
        (1, 19, 8, "property"),
        (1, 29, 4, "enumMember"),
    ]
