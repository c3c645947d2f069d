"""Create requests leave no reference cycles behind: nothing for the garbage collector.

A cycle per request (e.g. the aiohttp request -> fault state -> turn -> request) makes the
cyclic collector run every few hundred requests and costs tens of microseconds per request.
The requests run with the collector off; then every object it would free is inspected, and
none may be one of the server's (the client in this process may leave its own).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from conftest import StartServer

from mockserver.config import Config

REQUESTS = 200
SCENARIO = """
name: garbage
rules:
  - name: answer
    reply:
      - message: "It is sunny in Paris today."
"""


def _servers_objects(garbage: list[Any]) -> list[str]:
    """Names of the types of the server's objects (the package's and aiohttp's server side)."""
    names = []
    for obj in garbage:
        kind = type(obj)
        module = getattr(kind, "__module__", None) or ""
        if module.startswith("mockserver") or isinstance(obj, web.BaseRequest | web.StreamResponse):
            names.append(f"{module}.{kind.__qualname__}")
    return sorted(set(names))


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("scenario", [None, "garbage"], ids=["zero-config", "scripted"])
async def test_create_requests_leave_no_cycles(
    start_server: StartServer, tmp_path: Path, stream: bool, scenario: str | None
) -> None:
    (tmp_path / "garbage.yaml").write_text(SCENARIO)
    mock = await start_server(Config(seed=3, scenarios=(tmp_path,)))
    headers = {
        "Authorization": "Bearer gc-key",
        **({"X-Mock-Scenario": scenario} if scenario else {}),
    }
    body = {"model": "gpt-4o-mini", "input": "What is the weather?", "stream": stream}
    async with ClientSession(base_url=mock.root, headers=headers) as http:
        for _ in range(20):  # warm up: caches, the tokenizer, first-time imports
            async with http.post("/v1/responses", json=body) as resp:
                await resp.read()
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(REQUESTS):
                async with http.post("/v1/responses", json=body) as resp:
                    assert resp.status == 200
                    await resp.read()
            gc.collect()
            found = _servers_objects(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert found == []
