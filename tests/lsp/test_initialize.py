"""What the server announces, and UTF-16 positions even for a client that prefers UTF-8."""

from __future__ import annotations

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from .support import (
    MARKS,
    config,
    diagnostics,
    initialize_params,
    open_doc,
    position,
)

pytestmark = MARKS
PREFERS_UTF8 = "neovim@v0.11.0"  # offers utf-8, utf-16, utf-32, in that order


@pytest_lsp.fixture(scope="session", config=config())
async def utf8_client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    lsp_client.initialized_with = await lsp_client.initialize_session(initialize_params(PREFERS_UTF8))
    yield
    await lsp_client.shutdown_session()


async def test_capabilities(client: LanguageClient) -> None:
    caps = client.initialized_with.capabilities
    assert caps.position_encoding in (None, types.PositionEncodingKind.Utf16)
    assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    assert set(caps.completion_provider.trigger_characters) >= {":", "#", '"'}
    assert caps.hover_provider and caps.document_symbol_provider and caps.folding_range_provider
    assert caps.document_formatting_provider and caps.document_range_formatting_provider
    assert caps.diagnostic_provider.identifier == "amct-lang"
    assert "source.fixAll.amct-lang" in caps.code_action_provider.code_action_kinds
    assert client.initialized_with.server_info.name == "amct-lang"


async def test_utf16_even_when_utf8_is_preferred(utf8_client: LanguageClient) -> None:
    assert utf8_client.initialized_with.capabilities.position_encoding == types.PositionEncodingKind.Utf16
    text = "# 中文 𝛼\nskip_layers: \"层𝛼\" bogus_field: 1\n"
    uri = open_doc(utf8_client, text)
    (d,) = [d for d in await diagnostics(utf8_client, uri, 1) if d.code == "SCH001"]
    assert d.range.start == position(text, text.index("bogus_field"))
