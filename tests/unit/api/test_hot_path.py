"""The performance changes on the request path keep behaviour: body reading, JSON bytes of
stored answers, the token count cache."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession
from conftest import StartServer

from mockserver.jsonbytes import dumps, dumps_to_keep
from mockserver.openai import tokens

RESPONSE_LIKE = {
    "id": "resp_1",
    "object": "response",
    "temperature": 1.0,
    "top_p": 0.25,
    "output": [{"type": "message", "content": [{"text": "Grüße, 世界 \u2028 \x1f"}]}],
    "metadata": {},
    "usage": None,
}


def test_stored_json_bytes_are_the_stdlib_bytes() -> None:
    expected = json.dumps(RESPONSE_LIKE, separators=(",", ":"), ensure_ascii=False).encode()
    assert dumps(RESPONSE_LIKE) == expected


def test_stored_json_falls_back_for_what_orjson_refuses() -> None:
    value = {"big": 2**70, "list": [1, 2]}
    assert dumps(value) == b'{"big":1180591620717411303424,"list":[1,2]}'


def test_stored_json_costs_about_its_size_in_memory() -> None:
    # orjson's own bytes keep a 16 KB working buffer; a stored body must not.
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        kept = [dumps_to_keep(RESPONSE_LIKE) for _ in range(200)]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "lineno"))
    assert grown / len(kept) < 2 * len(kept[0]) + 100


@pytest.mark.parametrize(
    "text",
    ["hello world", "Grüße 世界 " * 3, "x" * (tokens._CACHE_MAX_CHARS + 1)],
    ids=["short", "unicode", "longer-than-cached"],
)
def test_cached_token_count_equals_a_fresh_count(text: str) -> None:
    fresh = len(tokens._encode(text))
    assert tokens.count(text) == fresh
    assert tokens.count(text) == fresh  # the second call may come from the cache


async def test_nan_and_infinity_are_refused_like_invalid_json(http: ClientSession) -> None:
    for constant in ("NaN", "Infinity", "-Infinity"):
        raw = f'{{"model": "gpt-4o", "input": "hi", "temperature": {constant}}}'
        async with http.post(
            "/v1/responses", data=raw, headers={"Content-Type": "application/json"}
        ) as resp:
            assert resp.status == 400
            error = (await resp.json())["error"]
        assert error["type"] == "invalid_request_error"
        assert "could not parse the JSON body" in error["message"]


async def test_a_chunked_body_without_content_length_is_read(http: ClientSession) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"model": "gpt-4o", '
        yield b'"input": "hi"}'

    async with http.post(
        "/v1/responses", data=chunks(), headers={"Content-Type": "application/json"}
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["object"] == "response"


async def test_a_body_over_the_limit_is_413_with_or_without_length(
    start_server: StartServer,
) -> None:
    server = await start_server(seed=7, max_body_bytes=1000)
    from aiohttp import ClientSession

    big = json.dumps({"model": "gpt-4o", "input": "x" * 2000}).encode()

    async def chunked() -> AsyncIterator[bytes]:
        yield big

    async with ClientSession(server.root, headers={"Authorization": "Bearer k"}) as http:
        for data in (big, chunked()):
            async with http.post("/v1/responses", data=data) as resp:
                assert resp.status == 413
                assert (await resp.json())["error"]["code"] == "payload_too_large"
