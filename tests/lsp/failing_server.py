"""The real server with two handlers that always fail (a request and a notification), for
test_robustness: the failures must be logged and answered while everything else keeps working."""

from __future__ import annotations

from amct_lsp import create_server
from lsprotocol import types

server = create_server()


@server.handle(types.TEXT_DOCUMENT_DEFINITION)
async def definition(params: types.DefinitionParams) -> None:
    raise RuntimeError("provoked failure")


@server.handle(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def watched(params: types.DidChangeWatchedFilesParams) -> None:
    raise RuntimeError("provoked failure in a notification")


server.start_io()
