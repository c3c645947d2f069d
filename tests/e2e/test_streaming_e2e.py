"""Streamed answers end to end: the official SDK's stream helpers, the raw SSE bytes, resume
of finished streams, obfuscation, determinism and a client that leaves mid-stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientResponse, ClientSession, web
from conftest import RunningServer, StartServer
from streamcases import KINDS, SCENARIO, request_for, validate_event, without_parsed

from mockserver.app import create_app
from mockserver.appkeys import EXCHANGE_SINKS
from mockserver.config import Config
from mockserver.http.exchange import Exchange
from mockserver.pipeline.streamed import TASKS

Frame = tuple[float, str, dict[str, Any]]


@pytest.fixture
async def streams(start_server: StartServer, tmp_path: Path) -> RunningServer:
    path = tmp_path / "streams.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return await start_server(
        seed=7, scenarios=(path,), default_scenario="streams", freeze_time=1757513676.0
    )


@pytest.fixture
async def http(streams: RunningServer) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": "Bearer test-key"}
    async with ClientSession(base_url=streams.root, headers=headers) as session:
        yield session


def exchanges(server: Any) -> list[Exchange]:
    seen: list[Exchange] = []
    server.app[EXCHANGE_SINKS].append(seen.append)
    return seen


async def read_frames(resp: ClientResponse, limit: int | None = None) -> list[Frame]:
    """(arrival time, event name, data) of each SSE frame, until the end or `limit` frames."""
    frames: list[Frame] = []
    while limit is None or len(frames) < limit:
        block = await resp.content.readuntil(b"\n\n")
        if not block:
            break
        name, data = block.decode().removesuffix("\n\n").split("\n")
        frames.append((time.monotonic(), name.removeprefix("event: "), json.loads(data[6:])))
    return frames


async def post_stream(http: ClientSession, body: dict[str, Any]) -> tuple[ClientResponse, bytes]:
    async with http.post("/v1/responses", json={**body, "stream": True}) as resp:
        return resp, await resp.read()


def parse(body: bytes) -> list[dict[str, Any]]:
    text = body.decode()
    assert text.endswith("\n\n") and "[DONE]" not in text
    events = []
    for block in text.removesuffix("\n\n").split("\n\n"):
        name, data = block.split("\n")
        event = json.loads(data.removeprefix("data: "))
        assert name == f"event: {event['type']}"
        events.append(event)
    return events


@pytest.mark.parametrize("word", KINDS)
async def test_the_stream_helper_gets_every_kind_of_answer(
    streams: RunningServer, word: str
) -> None:
    async with streams.client() as client:
        async with client.responses.stream(**request_for(word)) as stream:
            events = [event async for event in stream]
            if word == "long":
                with pytest.raises(RuntimeError):
                    await stream.get_final_response()
                final = events[-1].response.model_dump(mode="json")
            else:
                final = without_parsed((await stream.get_final_response()).model_dump(mode="json"))
        stored = await client.responses.retrieve(events[0].response.id)
    assert events[0].type == "response.created"
    assert events[-1].type == ("response.incomplete" if word == "long" else "response.completed")
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert [item.type for item in stored.output] == KINDS[word]
    assert final == stored.model_dump(mode="json"), "the stream's response is what GET returns"


@pytest.mark.parametrize("word", KINDS)
async def test_create_stream_true_yields_spec_valid_events(
    streams: RunningServer, word: str
) -> None:
    async with streams.client() as client:
        stream = await client.responses.create(**request_for(word), stream=True)
        events = [event.model_dump(mode="json", exclude_unset=True) async for event in stream]
        stored = await client.responses.retrieve(events[0]["response"]["id"])
    for event in events:
        validate_event(event)
    assert events[-1]["response"] == stored.model_dump(mode="json", exclude_unset=True)


async def test_the_wire_format(http: ClientSession) -> None:
    resp, body = await post_stream(http, request_for("think"))
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert resp.headers["Transfer-Encoding"] == "chunked"
    assert resp.headers["x-request-id"].startswith("req_")
    events = parse(body)
    for event in events:
        validate_event(event)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    async with http.get(f"/v1/responses/{events[0]['response']['id']}") as got:
        assert await got.json() == events[-1]["response"]
    deltas = [e for e in events if e["type"].endswith(".delta")]
    assert deltas and all((len(e["delta"]) + len(e["obfuscation"])) % 16 == 0 for e in deltas)


async def test_include_obfuscation_false_leaves_the_padding_out(http: ClientSession) -> None:
    body = {**request_for("hello"), "stream_options": {"include_obfuscation": False}}
    _, raw = await post_stream(http, body)
    assert b'"obfuscation"' not in raw
    assert any(e["type"] == "response.output_text.delta" for e in parse(raw))


async def test_same_seed_same_bytes(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "streams.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    bodies = []
    for _ in range(2):
        server = await start_server(
            seed=11, scenarios=(path,), default_scenario="streams", freeze_time=1757513676.0
        )
        headers = {"Authorization": "Bearer same-key"}
        async with ClientSession(base_url=server.root, headers=headers) as session:
            bodies.append(
                [(await post_stream(session, request_for(w)))[1] for w in ("think", "weather")]
            )
    assert bodies[0] == bodies[1]
    assert b'"obfuscation"' in bodies[0][0]


async def test_resume_a_finished_stream_after_n(
    streams: RunningServer, http: ClientSession
) -> None:
    _, raw = await post_stream(http, request_for("weather"))
    original = parse(raw)
    rid = original[0]["response"]["id"]
    async with http.get(
        f"/v1/responses/{rid}", params={"stream": "true", "starting_after": "4"}
    ) as resp:
        assert resp.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert parse(await resp.read()) == original[5:]
    async with http.get(f"/v1/responses/{rid}", params={"stream": "true"}) as resp:
        assert parse(await resp.read()) == original
    params = {"stream": "true", "include_obfuscation": "false"}
    async with http.get(f"/v1/responses/{rid}", params=params) as resp:
        replay = await resp.read()
    assert b'"obfuscation"' not in replay and len(parse(replay)) == len(original)
    # The SDK asks for everything and drops what it has already seen itself.
    async with (
        streams.client() as client,
        client.responses.stream(response_id=rid, starting_after=4) as stream,
    ):
        events = [e async for e in stream]
        final = await stream.get_final_response()
    assert events[0].sequence_number == 5
    assert final.id == rid and [o.type for o in final.output] == ["function_call", "function_call"]


async def test_streaming_a_response_that_was_not_streamed_is_refused(
    streams: RunningServer,
) -> None:
    async with streams.client() as client:
        plain = await client.responses.create(**request_for("hello"))
        with pytest.raises(openai.BadRequestError) as info:
            await client.responses.retrieve(plain.id, stream=True)
    assert info.value.param == "stream"


async def test_a_bad_starting_after(http: ClientSession) -> None:
    _, raw = await post_stream(http, request_for("hello"))
    rid = parse(raw)[0]["response"]["id"]
    for value, code in (("abc", "invalid_type"), ("-5", "integer_below_min_value")):
        async with http.get(
            f"/v1/responses/{rid}", params={"stream": "true", "starting_after": value}
        ) as resp:
            assert resp.status == 400
            error = (await resp.json())["error"]
        assert (error["code"], error["param"]) == (code, "starting_after")


async def test_a_stream_without_store_is_not_kept(streams: RunningServer) -> None:
    async with streams.client() as client:
        stream = await client.responses.create(**request_for("hello"), stream=True, store=False)
        events = [e async for e in stream]
        with pytest.raises(openai.NotFoundError):
            await client.responses.retrieve(events[0].response.id)
    assert events[-1].type == "response.completed"


@dataclass
class PlainServer:
    """The app behind a runner as `mockserver serve` builds it: no handler cancellation."""

    root: str
    app: web.Application


@pytest.fixture(params=["test-server", "serve-runner"])
async def leaving(request: pytest.FixtureRequest, streams: RunningServer, tmp_path: Path) -> Any:
    """The server for the disconnect test: aiohttp's TestServer cancels a handler whose
    client left; `mockserver serve` does not, so the writer must notice on its own."""
    if request.param == "test-server":
        yield streams
        return
    config = Config(seed=7, scenarios=(tmp_path / "streams.yaml",), default_scenario="streams")
    runner = web.AppRunner(create_app(config), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield PlainServer(f"http://127.0.0.1:{port}", runner.app)
    await runner.cleanup()


async def test_a_client_that_leaves_stops_the_writer_at_once(leaving: Any) -> None:
    seen = exchanges(leaving)
    headers = {"Authorization": "Bearer test-key"}
    async with (
        ClientSession(base_url=leaving.root, headers=headers) as http,
        http.post("/v1/responses", json={**request_for("paced"), "stream": True}) as resp,
    ):
        frames = await read_frames(resp, limit=6)
        left = time.monotonic()
        resp.connection.transport.abort()
    while not [x for x in seen if x.stream]:
        await asyncio.sleep(0.01)
        assert time.monotonic() - left < 0.5, "the writer noticed the client left"
    ex = next(x for x in seen if x.stream)
    assert ex.stream_completed is False
    assert 6 <= ex.events_sent < 50  # the paced answer has 109 events over ~2.2 s
    rid = frames[0][2]["response"]["id"]
    async with (
        ClientSession(base_url=leaving.root, headers=headers) as http,
        http.get(f"/v1/responses/{rid}") as got,
    ):
        assert (await got.json())["status"] == "in_progress"  # the model keeps going


async def test_after_a_disconnect_the_response_still_completes_on_time(
    streams: RunningServer, http: ClientSession
) -> None:
    async with http.post("/v1/responses", json={**request_for("slow"), "stream": True}) as resp:
        frames = await read_frames(resp, limit=2)
        resp.connection.transport.abort()
    rid = frames[0][2]["response"]["id"]
    await asyncio.sleep(0.5)  # the answer takes ~235 ms
    async with http.get(f"/v1/responses/{rid}") as got:
        stored = await got.json()
    assert stored["status"] == "completed"
    assert stored["output"][0]["content"][0]["text"].startswith("one two three")
    assert not streams.app[TASKS], "the continuation task is gone once done"


async def test_a_failed_stream_with_an_error_event(streams: RunningServer) -> None:
    async with streams.client() as client:
        async with client.responses.stream(**request_for("break")) as stream:
            events = [event async for event in stream]
            with pytest.raises(RuntimeError):
                await stream.get_final_response()
        stored = await client.responses.retrieve(events[0].response.id)
    assert [e.type for e in events[-2:]] == ["error", "response.failed"]
    assert events[-1].response.status == "failed" and events[-1].response.error is not None
    assert stored == events[-1].response
    for event in events:
        validate_event(event.model_dump(mode="json", exclude_unset=True))


async def test_a_nested_error_event_makes_the_sdk_raise(streams: RunningServer) -> None:
    async with streams.client() as client:
        with pytest.raises(openai.APIError):
            async with client.responses.stream(**request_for("crash")) as stream:
                async for _ in stream:
                    pass
