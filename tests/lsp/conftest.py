"""One server per editor profile (VS Code's and Neovim's recorded capabilities), shared by all the
tests of tests/lsp: each test opens its own documents."""

from __future__ import annotations

import pytest
import pytest_lsp
from pytest_lsp import LanguageClient

from .support import CLIENTS, config, initialize_params


@pytest_lsp.fixture(scope="session", params=CLIENTS, config=config())
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    # the server's answer, for tests that read its capabilities
    lsp_client.initialized_with = await lsp_client.initialize_session(initialize_params(request.param))
    yield
    await lsp_client.shutdown_session()
