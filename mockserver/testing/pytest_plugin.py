"""pytest plugin (entry point `pytest11`): a mock OpenAI server for your tests.

    def test_agent(mockserver):
        mockserver.use("weather-agent")            # a loaded scenario, a file, a dict or YAML
        answer = my_agent(mockserver.client()).run("Weather in Paris?")
        mockserver.assert_called("call-tool", times=1)
        mockserver.verify()                          # every `expect:` met

The first test that asks for `mockserver` starts the server in-process on a free port (once
per session, or once per xdist worker); each test gets its own tenant (a fresh API key).
`--mockserver-url URL` (or MOCKSERVER_URL) uses a running server instead, e.g. a container;
the fixture behaves the same. Nothing happens in a session that does not use the fixture:
the plugin only adds its options and its marker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported when a fixture runs: a session without them stays untouched
    from mockserver.config import Config
    from mockserver.testing.admin_client import AdminClient
    from mockserver.testing.harness import MockServer

MARKER = "mockserver"
URL_ENV = "MOCKSERVER_URL"
TOKEN_ENV = "MOCKSERVER_ADMIN_TOKEN"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver", "mock OpenAI Responses API server")
    group.addoption(
        "--mockserver-url",
        default=None,
        help=f"use the mock server running at this URL instead of starting one (env {URL_ENV})",
    )
    group.addoption(
        "--mockserver-admin-token",
        default=None,
        help=f"admin token of the server at --mockserver-url (env {TOKEN_ENV})",
    )
    group.addoption(
        "--mockserver-scenarios",
        action="append",
        default=[],
        help="scenario file or folder the in-process server loads (repeatable)",
    )
    parser.addini(
        "mockserver_scenarios", "scenario files or folders the in-process server loads", "paths"
    )
    parser.addini("mockserver_seed", "seed of the in-process server (ids, texts, timing)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockserver(scenario): answer this test's requests with a scenario "
        "(a loaded scenario's name, a file path, a dict or YAML text)",
    )


@dataclass
class SharedServer:
    """The server the session's tests share (per xdist worker)."""

    url: str
    admin: AdminClient
    external: bool


@pytest.fixture(scope="session")
def mockserver_session(request: pytest.FixtureRequest) -> Iterator[SharedServer]:
    """The shared server: started on first use, stopped at the end of the session."""
    config = request.config
    url = config.getoption("--mockserver-url") or os.environ.get(URL_ENV)
    token = config.getoption("--mockserver-admin-token") or os.environ.get(TOKEN_ENV)
    from mockserver.testing.admin_client import AdminClient

    if url:
        admin = AdminClient(url, admin_token=token)
        admin.health()  # fail every test at once, clearly, when the server is not there
        yield SharedServer(admin.url, admin, external=True)
        return
    from mockserver.testing.inprocess import ServerThread

    server = ServerThread(_inprocess_config(config))
    try:
        server.start()
        yield SharedServer(server.url, AdminClient(server.url), external=False)
    finally:
        server.stop()


def _inprocess_config(config: pytest.Config) -> Config:
    from mockserver.config import Config

    paths: list[Path] = [Path(p) for p in config.getini("mockserver_scenarios")]
    paths += [Path(p) for p in config.getoption("--mockserver-scenarios")]
    seed = config.getini("mockserver_seed")
    return Config(port=0, scenarios=tuple(paths), seed=int(seed) if seed else None)


@pytest.fixture
def mockserver(
    mockserver_session: SharedServer, request: pytest.FixtureRequest
) -> Iterator[MockServer]:
    """This test's handle on the mock: its own tenant, scenarios, journal and assertions."""
    from mockserver.testing.harness import MockServer

    folders = [Path(str(request.path)).parent, request.config.rootpath]
    handle = MockServer(mockserver_session.url, mockserver_session.admin, folders)
    try:
        marker = request.node.get_closest_marker(MARKER)
        if marker is not None:
            scenario = marker.kwargs.get("scenario", marker.args[0] if marker.args else None)
            if scenario is not None:
                handle.use(scenario)
        yield handle
    finally:
        handle.close()


@pytest.fixture
def mockserver_env(mockserver: MockServer, monkeypatch: pytest.MonkeyPatch) -> MockServer:
    """`mockserver`, with OPENAI_BASE_URL and OPENAI_API_KEY pointing at it for this test
    (for code that builds its own client)."""
    monkeypatch.setenv("OPENAI_BASE_URL", mockserver.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", mockserver.api_key)
    return mockserver
