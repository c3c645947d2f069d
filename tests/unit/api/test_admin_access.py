"""Who may use the admin API: Host names (DNS rebinding), and tokens in any characters."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import ClientSession
from conftest import StartServer

from mockserver.api.admin import host_allowed


async def _answer(session: ClientSession, path: str, headers: dict[str, str]) -> tuple[int, Any]:
    async with session.get(path, headers=headers) as resp:
        return resp.status, json.loads(await resp.text())


@pytest.mark.parametrize(
    ("host", "allowed", "ok"),
    [
        ("127.0.0.1:8000", (), True),
        ("localhost:8000", (), True),
        ("LOCALHOST", (), True),
        ("api.localhost:8000", (), True),
        ("[::1]:8000", (), True),
        ("10.1.2.3", (), True),  # an IP literal cannot be a rebound name
        ("evil.example:8000", (), False),
        ("evil.example", ("mock",), False),
        ("mock:8000", ("mock",), True),
        ("MOCK", ("mock",), True),
        ("anything.example", ("*",), True),
        ("", (), False),
    ],
)
def test_host_names_the_admin_api_answers(host: str, allowed: tuple[str, ...], ok: bool) -> None:
    assert host_allowed(host, allowed) is ok


async def test_a_rebound_host_name_cannot_read_the_journal(start_server: StartServer) -> None:
    server = await start_server(seed=1)
    async with ClientSession(base_url=server.root) as session:
        status, body = await _answer(session, "/_mock/requests", {"Host": "evil.example:8000"})
        assert status == 403 and body["error"]["code"] == "admin_host_refused", body
        assert "--admin-host" in body["error"]["message"]
        # Health stays open (container health checks), and so does the API itself.
        status, _ = await _answer(session, "/_mock/health", {"Host": "evil.example"})
        assert status == 200
        status, _ = await _answer(session, "/_mock/requests", {"Host": "localhost:1234"})
        assert status == 200


async def test_a_configured_host_name_is_answered(start_server: StartServer) -> None:
    server = await start_server(seed=1, admin_hosts=("mock",))
    async with ClientSession(base_url=server.root) as session:
        status, _ = await _answer(session, "/_mock/requests", {"Host": "mock:8000"})
        assert status == 200


async def test_a_non_ascii_admin_token_is_a_401_not_a_500(start_server: StartServer) -> None:
    server = await start_server(seed=1, admin_token="s3cret")
    async with ClientSession(base_url=server.root) as session:
        for given in ("sécret", "s3cret\u2603"):  # sent as UTF-8 bytes
            status, body = await _answer(session, "/_mock/requests", {"X-Mock-Admin-Token": given})
            assert status == 401 and body["error"]["code"] == "invalid_admin_token", body
    # And a token that is itself non-ASCII works when sent right.
    server = await start_server(seed=1, admin_token="clé")
    async with ClientSession(base_url=server.root) as session:
        status, _ = await _answer(session, "/_mock/requests", {"X-Mock-Admin-Token": "clé"})
        assert status == 200
