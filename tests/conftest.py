"""Shared fixtures: an in-process mock server and official SDK clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from openai import AsyncOpenAI

from mockserver.app import create_app
from mockserver.config import Config


@dataclass
class RunningServer:
    server: TestServer

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("/v1"))

    @property
    def root(self) -> str:
        return str(self.server.make_url(""))

    @property
    def app(self) -> web.Application:  # the aiohttp Application, for tests that inspect state
        return self.server.app

    def client(self, api_key: str = "test-key", **kwargs: object) -> AsyncOpenAI:
        kwargs.setdefault("max_retries", 0)
        return AsyncOpenAI(base_url=self.base_url, api_key=api_key, **kwargs)  # type: ignore[arg-type]


StartServer = Callable[..., Awaitable[RunningServer]]


@pytest.fixture
async def start_server() -> AsyncIterator[StartServer]:
    """Start in-process servers with a given Config (closed after the test)."""
    servers: list[TestServer] = []

    async def start(config: Config | None = None, **fields: object) -> RunningServer:
        config = config or Config(**fields)  # type: ignore[arg-type]
        server = TestServer(create_app(config))
        await server.start_server()
        servers.append(server)
        return RunningServer(server)

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def mock(start_server: StartServer) -> RunningServer:
    """A server with a fixed seed and no scenarios (the zero-config generator answers)."""
    return await start_server(seed=7)


@pytest.fixture
async def client(mock: RunningServer) -> AsyncIterator[AsyncOpenAI]:
    async with mock.client() as sdk:
        yield sdk


@pytest.fixture
async def http(mock: RunningServer) -> AsyncIterator[ClientSession]:
    """A raw HTTP session on the mock, for what the SDK cannot send (broken bodies...)."""
    async with ClientSession(
        base_url=mock.root, headers={"Authorization": "Bearer test-key"}
    ) as session:
        yield session
