"""Folding ranges over LSP."""

from __future__ import annotations

from lsprotocol import types
from pytest_lsp import LanguageClient

from .support import MARKS, ident, open_doc

pytestmark = MARKS


async def test_blocks_and_comments(client: LanguageClient) -> None:
    text = "# 一\n# 二\ncommon_config {\n  arq_quantize {\n    channel_wise: true\n  }\n}\n"
    uri = open_doc(client, text)
    params = types.FoldingRangeParams(text_document=ident(uri))
    result = await client.text_document_folding_range_async(params)
    assert [(r.start_line, r.end_line, r.kind) for r in result] == [
        (0, 1, types.FoldingRangeKind.Comment), (2, 5, types.FoldingRangeKind.Region),
        (3, 4, types.FoldingRangeKind.Region)]
