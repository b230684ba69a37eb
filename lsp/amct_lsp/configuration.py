"""Settings from the client: initializationOptions, workspace/didChangeConfiguration, and
workspace/configuration for clients that send a change without the values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from .settings import SECTION

if TYPE_CHECKING:
    from .world import World


def initialize(world: World, params: types.InitializeParams) -> None:
    world.apply_settings(params.initialization_options)
    world.pull_diagnostics = _supports_pull(params.capabilities)


def initialized(world: World, params: types.InitializedParams) -> None:
    """Load the checker in the background now that `initialize` is answered: the first
    document then finds it ready."""
    world.warm_up()


def did_change_configuration(world: World, params: types.DidChangeConfigurationParams) -> None:
    world.spawn(_reconfigure(world, params.settings))


async def _reconfigure(world: World, raw: Any) -> None:
    if not raw and _can_ask(world):
        try:
            answer = await world.server.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)]))
            raw = answer[0] if answer else None
        except Exception as exc:  # noqa: BLE001 - a client that cannot answer keeps the settings
            world.failed("asking the client for its settings", exc)
            return
    if world.apply_settings(raw):
        from .diagnostics import settings_changed

        settings_changed(world)


def _supports_pull(capabilities: types.ClientCapabilities) -> bool:
    td = capabilities.text_document
    return td is not None and td.diagnostic is not None


def _can_ask(world: World) -> bool:
    ws = world.capabilities.workspace
    return bool(ws is not None and ws.configuration)
