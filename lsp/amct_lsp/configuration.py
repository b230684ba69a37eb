"""Settings from the client: initializationOptions, workspace/didChangeConfiguration, and
workspace/configuration for clients that send a change without the values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from .settings import SECTION

if TYPE_CHECKING:
    from .server import AmctLanguageServer


def register(server: AmctLanguageServer) -> None:
    @server.handle(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server.apply_settings(params.initialization_options)
        server.pull_diagnostics = _supports_pull(params.capabilities)

    @server.handle(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        raw: Any = params.settings
        if not raw and _can_ask(server):
            try:
                answer = await server.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)]))
                raw = answer[0] if answer else None
            except Exception as exc:  # noqa: BLE001 - a client that cannot answer keeps the settings
                server.failed("asking the client for its settings", exc)
                return
        if server.apply_settings(raw):
            from .diagnostics import settings_changed

            settings_changed(server)


def _supports_pull(capabilities: types.ClientCapabilities) -> bool:
    td = capabilities.text_document
    return td is not None and td.diagnostic is not None


def _can_ask(server: AmctLanguageServer) -> bool:
    ws = server.client_capabilities.workspace
    return bool(ws is not None and ws.configuration)
