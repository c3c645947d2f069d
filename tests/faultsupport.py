"""Helpers for the failure-injection tests: a server with scenarios, an injectable clock and a
journal of exchanges, and an SDK client whose backoff is short (retry-after is still honoured).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import yaml
from aiohttp.test_utils import TestServer
from openai import AsyncOpenAI
from openai._models import FinalRequestOptions

from mockserver.app import create_app
from mockserver.appkeys import CLOCK, EXCHANGE_SINKS
from mockserver.clock import Clock
from mockserver.config import Config
from mockserver.http.exchange import Exchange


class FastRetryClient(AsyncOpenAI):
    """The official client with its backoff cut to 10 ms when the server names no delay.

    Only the wait without a server-given delay changes: which answers are retried, how many
    times, and that `retry-after(-ms)` is used as given are the SDK's own logic.
    """

    def _calculate_retry_timeout(
        self,
        remaining_retries: int,
        options: FinalRequestOptions,
        response_headers: httpx2.Headers | None = None,
    ) -> float:
        given = self._parse_retry_after_header(response_headers)
        if given is not None and 0 < given <= 120:
            return given
        return 0.01


@dataclass
class Mock:
    server: TestServer
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("/v1"))

    @property
    def root(self) -> str:
        return str(self.server.make_url(""))

    def client(self, api_key: str = "test-key", **kwargs: Any) -> AsyncOpenAI:
        return FastRetryClient(base_url=self.base_url, api_key=api_key, **kwargs)

    def creates(self) -> list[Exchange]:
        """The journal of POST /v1/responses exchanges, in order."""
        return [e for e in self.exchanges if e.method == "POST" and e.path == "/v1/responses"]


StartMock = Callable[..., Awaitable[Mock]]


def write_scenarios(directory: Path, *scenarios: dict[str, Any]) -> tuple[Path, ...]:
    paths = []
    for i, scenario in enumerate(scenarios):
        path = directory / f"s{i}.yaml"
        path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return tuple(paths)


@contextlib.asynccontextmanager
async def mock_servers(tmp_path: Path) -> AsyncIterator[StartMock]:
    """Start servers with scenarios (dicts), a Config's fields and optionally a clock.

    Each test module turns it into its `start_mock` fixture (closed after the test).
    """
    servers: list[TestServer] = []

    async def start(*scenarios: dict[str, Any], clock: Clock | None = None, **fields: Any) -> Mock:
        folder = tmp_path / f"server{len(servers)}"
        folder.mkdir()
        paths = write_scenarios(folder, *scenarios)
        if scenarios and "default_scenario" not in fields:
            fields["default_scenario"] = scenarios[0]["name"]
        fields.setdefault("seed", 7)
        app = create_app(Config(scenarios=paths, **fields))
        if clock is not None:
            app[CLOCK] = clock
        mock = Mock(TestServer(app))
        app[EXCHANGE_SINKS].append(mock.exchanges.append)
        await mock.server.start_server()
        servers.append(mock.server)
        return mock

    try:
        yield start
    finally:
        for server in servers:
            await server.close()


def scenario(name: str, *rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra, "rules": list(rules)}


def reply(text: str = "Hello there, how can I help you today?") -> list[dict[str, Any]]:
    return [{"message": text}]
