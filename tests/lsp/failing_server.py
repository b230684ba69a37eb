"""The real server with two handlers that always fail (a request and a notification), for
test_robustness: the failures must be logged and answered while everything else keeps working."""

from __future__ import annotations

from typing import Any

from amct_lsp.server import add_feature, create_server
from lsprotocol import types


def fail(world: Any, params: Any) -> None:
    raise RuntimeError("provoked failure")


server = create_server()
add_feature(server, types.TEXT_DOCUMENT_DEFINITION, fail)
add_feature(server, types.WORKSPACE_DID_CHANGE_WATCHED_FILES, fail)
server.start_io()
