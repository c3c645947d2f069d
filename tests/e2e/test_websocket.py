"""WebSocket mode end to end with openai-python's `client.responses.connect()`: text, a
tool-call loop over one socket, lanes, an error event, a scripted disconnect the SDK
reconnects from, and refusals that keep the socket open. Every server event is validated
against the spec's ResponsesServerEvent (steering: see test_websocket_steering.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from conftest import RunningServer, StartServer
from openai import AsyncOpenAI, OpenAI
from openai.resources.responses.responses import AsyncResponsesConnection
from openai.types.responses import FunctionToolParam
from openai.types.responses.response_input_param import FunctionCallOutput
from openai.types.websocket_reconnection import ReconnectingEvent
from streamcases import validate_server_event

from mockserver.api.admin import JOURNAL
from mockserver.config import Config
from mockserver.testing.inprocess import ServerThread

SCENARIO = """
name: ws
rules:
  - name: weather-answer
    when: {has_tool_output: get_weather}
    reply: [{message: "It is {{ tool_output.get_weather.temp_c }} C in Paris."}]
  - name: weather-call
    when: {input_contains: weather}
    reply: [{function_call: {name: get_weather, arguments: {city: Paris}}}]
  - name: throttled
    when: {input_contains: throttle}
    error: rate_limit_exceeded
  - name: cut
    when: {input_contains: cut, call: 1}
    reply: [{message: "one two three four five six seven eight"}]
    fault: {kind: disconnect, after_events: 4}
  - name: policy
    when: {input_contains: policy}
    reply: [{message: "one two three four"}]
    fault: {kind: disconnect, after_events: 2, close_code: 1008}
  - name: paced
    when: {input_contains: lane}
    stream: {ttft_ms: 10, chunk: word, interval_ms: 15}
    reply: [{message: "alpha beta gamma delta epsilon zeta eta theta"}]
  - name: hello
    reply: [{message: "Hello over the socket."}]
"""
TERMINAL = ("response.completed", "response.incomplete", "response.failed", "error")


@pytest.fixture
async def mock(start_server: StartServer, tmp_path: Path) -> RunningServer:
    path = tmp_path / "ws.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return await start_server(seed=7, scenarios=(path,), default_scenario="ws")


@pytest.fixture
async def client(mock: RunningServer) -> AsyncIterator[AsyncOpenAI]:
    async with mock.client() as sdk:
        yield sdk


async def until_done(conn: AsyncResponsesConnection, count: int = 1) -> list[dict[str, Any]]:
    """Raw events (validated against the spec) until `count` responses or errors ended."""
    events: list[dict[str, Any]] = []
    while count:
        raw = json.loads(await asyncio.wait_for(conn.recv_bytes(), 10))
        validate_server_event(raw)
        conn.parse_event(json.dumps(raw))  # and the SDK parses it
        events.append(raw)
        if raw["type"] in TERMINAL:
            count -= 1
    return events


async def test_text_reply_async(client: AsyncOpenAI) -> None:
    async with client.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="hi")
        events = await until_done(conn)
    assert events[0]["type"] == "response.created"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    final = events[-1]["response"]
    assert final["status"] == "completed"
    assert final["output"][0]["content"][0]["text"] == "Hello over the socket."
    assert all("stream_id" not in e for e in events)  # no lane named: none echoed


def test_text_reply_sync(tmp_path: Path) -> None:
    path = tmp_path / "ws.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    config = Config(port=0, seed=7, scenarios=(path,), default_scenario="ws")
    with (
        ServerThread(config) as server,
        OpenAI(base_url=server.base_url, api_key="k") as sdk,
        sdk.responses.connect() as conn,
    ):
        if True:
            conn.response.create(model="gpt-4o", input="hi", stream_id="main")
            texts = []
            for event in conn:
                assert getattr(event, "stream_id", None) == "main"
                if event.type == "response.output_text.delta":
                    texts.append(event.delta)
                if event.type == "response.completed":
                    break
    assert "".join(texts) == "Hello over the socket."


async def test_tool_call_loop_over_one_socket(client: AsyncOpenAI, mock: RunningServer) -> None:
    async with client.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="weather in Paris?", tools=[TOOL])
        first = (await until_done(conn))[-1]["response"]
        call = first["output"][0]
        assert call["type"] == "function_call" and call["name"] == "get_weather"
        output: FunctionCallOutput = {
            "type": "function_call_output",
            "call_id": call["call_id"],
            "output": '{"temp_c": 21}',
        }
        await conn.response.create(
            model="gpt-4o", previous_response_id=first["id"], input=[output], tools=[TOOL]
        )
        second = (await until_done(conn))[-1]["response"]
    assert second["previous_response_id"] == first["id"]
    assert second["output"][0]["content"][0]["text"] == "It is 21 C in Paris."
    # Stored like an HTTP response: retrievable over HTTP.
    got = await client.responses.retrieve(second["id"])
    assert got.output_text == "It is 21 C in Paris."
    entries = [e for e in mock.app[JOURNAL].query() if e.exchange.method == "WS"]
    assert [e.exchange.rule for e in entries] == ["weather-call", "weather-answer"]
    assert all(e.as_json()["transport"] == "websocket" for e in entries)
    # The socket itself: its handshake's entry (written when it closes).
    for _ in range(100):
        sockets = [e for e in mock.app[JOURNAL].query() if e.exchange.status == 101]
        if sockets:
            break
        await asyncio.sleep(0.01)
    (handshake,) = sockets
    assert (handshake.exchange.status, handshake.exchange.transport) == (101, "websocket")


async def test_two_lanes_interleave(client: AsyncOpenAI) -> None:
    async with client.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="lane one", stream_id="a")
        await conn.response.create(model="gpt-4o", input="lane two", stream_id="b")
        events = await until_done(conn, 2)
    lanes = [e["stream_id"] for e in events]
    assert set(lanes) == {"a", "b"}
    first_b, last_a = lanes.index("b"), len(lanes) - 1 - lanes[::-1].index("a")
    assert first_b < last_a  # concurrent, not one after the other
    for lane in ("a", "b"):
        seqs = [e["sequence_number"] for e in events if e["stream_id"] == lane]
        assert seqs == list(range(len(seqs)))  # each response counts its own events


async def test_same_lane_runs_in_order(client: AsyncOpenAI) -> None:
    async with client.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="lane one", stream_id="a")
        await conn.response.create(model="gpt-4o", input="hi", stream_id="a")
        events = await until_done(conn, 2)
    done = [i for i, e in enumerate(events) if e["type"] == "response.completed"]
    created = [i for i, e in enumerate(events) if e["type"] == "response.created"]
    assert created[1] > done[0]  # the second waited for the first


async def test_error_event_keeps_the_socket(client: AsyncOpenAI) -> None:
    async with client.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="throttle me", stream_id="x")
        (error,) = await until_done(conn)
        await conn.response.create(model="gpt-4o", input="hi")
        events = await until_done(conn)
    assert error["status"] == 429 and error["stream_id"] == "x"
    assert error["error"]["code"] == "rate_limit_exceeded"
    assert events[-1]["type"] == "response.completed"


async def test_dispatch_events_raises_on_error(client: AsyncOpenAI) -> None:
    async with client.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="throttle")
        with pytest.raises(Exception, match="rate_limit_exceeded"):
            await asyncio.wait_for(conn.dispatch_events(), 10)


async def test_scripted_disconnect_then_reconnect(client: AsyncOpenAI, mock: RunningServer) -> None:
    codes: list[int] = []
    resent: list[asyncio.Task[None]] = []

    def reconnecting(event: ReconnectingEvent) -> None:
        codes.append(event.close_code)
        # Sent while the SDK reconnects: it queues the event and flushes it on the new socket.
        resent.append(asyncio.create_task(conn.response.create(model="gpt-4o", input="again")))

    manager = client.responses.connect(on_reconnecting=reconnecting, initial_delay=0.01)
    async with manager as conn:
        await conn.response.create(model="gpt-4o", input="cut")
        seen = []
        async for event in conn:
            seen.append(event.type)
            if event.type == "response.completed":
                break
    assert codes == [1011]  # the close code of a scripted disconnect: one the SDK retries
    assert seen[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert seen[4] == "response.created" and seen[-1] == "response.completed"
    entries = [e.exchange for e in mock.app[JOURNAL].query()]
    entries = [e for e in entries if e.method == "WS"]
    assert [(e.rule, e.stream_completed) for e in entries] == [("cut", False), ("hello", True)]


async def test_close_code_the_sdk_does_not_retry(client: AsyncOpenAI) -> None:
    from websockets.exceptions import ConnectionClosedError

    codes: list[int] = []
    manager = client.responses.connect(on_reconnecting=lambda e: codes.append(e.close_code))
    async with manager as conn:
        await conn.response.create(model="gpt-4o", input="policy")
        seen = []
        with pytest.raises(ConnectionClosedError) as info:
            async for event in conn:
                seen.append(event.type)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1008
    assert len(seen) == 2 and codes == []  # 1008 (policy violation): no reconnect


async def test_bad_input_answered_and_socket_kept(client: AsyncOpenAI) -> None:
    async with client.responses.connect() as conn:
        for raw, code, param in [
            ("not json", None, None),  # the API's own parse error has no code
            ("[1, 2]", "invalid_type", None),
            ('{"type": "session.update"}', "invalid_value", "type"),
            ('{"model": "gpt-4o"}', "missing_required_parameter", "type"),
            (_create(stream_id="x" * 257), "string_above_max_length", "stream_id"),
            (_create(stream_id="has space"), "invalid_value", "stream_id"),
            (_create(background=True), "unsupported_parameter", "background"),
            (_create(temperature=9, stream_id="ok"), "decimal_above_max_value", "temperature"),
        ]:
            await conn.send_raw(raw)
            (error,) = await until_done(conn)
            assert error["status"] == 400, raw
            assert (error["error"]["code"], error["error"]["param"]) == (code, param), raw
        assert error["stream_id"] == "ok"  # a valid lane is echoed on its refusal
        await conn.response.create(model="gpt-4o", input="hi")
        assert (await until_done(conn))[-1]["type"] == "response.completed"


async def test_stream_limit(start_server: StartServer) -> None:
    mock = await start_server(seed=7, ws_max_streams=1)
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="x " * 50, stream_id="a")
        await conn.response.create(model="gpt-4o", input="y", stream_id="b")
        events = await until_done(conn, 2)
    (error,) = [e for e in events if e["type"] == "error"]
    assert error["stream_id"] == "b" and error["status"] == 400
    assert error["error"]["code"] == "websocket_stream_limit_reached"
    assert error["error"]["param"] == "stream_id"


async def test_oversized_message_closes_with_1009(start_server: StartServer) -> None:
    from websockets.exceptions import ConnectionClosedError

    mock = await start_server(seed=7, max_body_bytes=2048)
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="z" * 4096)
        with pytest.raises(ConnectionClosedError) as info:
            await asyncio.wait_for(conn.recv(), 10)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009  # message too big


async def test_auth_is_the_handshake(start_server: StartServer) -> None:
    from websockets.exceptions import InvalidStatus

    mock = await start_server(seed=7, api_keys=("sk-good",))
    async with mock.client(api_key="sk-wrong") as sdk:
        with pytest.raises(InvalidStatus) as info:
            async with sdk.responses.connect():
                pass
    assert info.value.response.status_code == 401
    assert b"invalid_api_key" in info.value.response.body


async def test_plain_get_keeps_endpoint_info(mock: RunningServer) -> None:
    async with mock.client() as sdk:
        info = await sdk.get("/responses", cast_to=object)
    assert isinstance(info, dict) and info["object"] == "mockserver.endpoint"


async def test_server_stop_closes_with_going_away(start_server: StartServer) -> None:
    mock = await start_server(seed=7)
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="hi")
        await until_done(conn)
        await mock.server.close()
        from websockets.exceptions import ConnectionClosed

        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(conn.recv(), 10)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1001


def _create(**fields: Any) -> str:
    return json.dumps({"type": "response.create", "model": "gpt-4o", "input": "hi", **fields})


TOOL: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": False,
}


async def test_same_seed_same_bytes(start_server: StartServer) -> None:
    async def frames() -> list[bytes]:
        mock = await start_server(seed=11, freeze_time=1757513676.0)
        async with mock.client() as sdk, sdk.responses.connect() as conn:
            await conn.response.create(model="gpt-4o", input="hi", stream_id="a")
            out: list[bytes] = []
            while not out or b'"response.completed"' not in out[-1][:40]:
                out.append(await asyncio.wait_for(conn.recv_bytes(), 10))
            return out

    first, second = await frames(), await frames()
    assert first == second and len(first) > 5
    assert all(b'"obfuscation"' in f for f in first if b"output_text.delta" in f[:40])


async def test_no_obfuscation_when_asked(client: AsyncOpenAI) -> None:
    async with client.responses.connect() as conn:
        await conn.response.create(
            model="gpt-4o", input="hi", stream_options={"include_obfuscation": False}
        )
        events = await until_done(conn)
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert deltas and all("obfuscation" not in e for e in deltas)


@pytest.mark.parametrize(
    ("fault", "last"),
    [
        ({"kind": "error_event", "after_events": 3, "shape": "flat"}, "error"),
        ({"kind": "failed", "after_events": 3}, "response.failed"),
        ({"kind": "incomplete", "after_events": 3}, "response.incomplete"),
    ],
)
async def test_stream_faults_end_the_response_not_the_lane(
    start_server: StartServer, tmp_path: Path, fault: dict[str, Any], last: str
) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(
        "name: f\nrules:\n  - when: {input_contains: fault}\n"
        f"    reply: [{{message: one two three four}}]\n    fault: {json.dumps(fault)}\n"
        "  - reply: [{message: fine}]\n",
        encoding="utf-8",
    )
    mock = await start_server(seed=7, scenarios=(path,), default_scenario="f")
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="fault", stream_id="l")
        events = await until_done(conn)
        assert events[-1]["type"] == last and events[-1]["stream_id"] == "l"
        assert len(events) == 4  # three events, then the fault's ending
        await conn.response.create(model="gpt-4o", input="next", stream_id="l")
        assert (await until_done(conn))[-1]["type"] == "response.completed"


async def test_malformed_frame_then_the_stream_goes_on(
    start_server: StartServer, tmp_path: Path
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "name: m\nrules:\n  - reply: [{message: one two}]\n"
        "    fault: {kind: malformed_frame, after_events: 2}\n",
        encoding="utf-8",
    )
    mock = await start_server(seed=7, scenarios=(path,), default_scenario="m")
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="x")
        raw = [await asyncio.wait_for(conn.recv_bytes(), 10) for _ in range(3)]
        with pytest.raises(ValueError):
            json.loads(raw[2])
        rest = await until_done(conn)
    assert rest[-1]["type"] == "response.completed"


async def test_server_stop_lets_running_responses_finish(start_server: StartServer) -> None:
    from websockets.exceptions import ConnectionClosed

    mock = await start_server(seed=7)
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await conn.send_raw(_create(input="x " * 40))
        first = json.loads(await asyncio.wait_for(conn.recv_bytes(), 10))
        closing = asyncio.create_task(mock.server.close())  # while the response runs
        seen = [first["type"]]
        with pytest.raises(ConnectionClosed) as info:
            while True:
                seen.append(json.loads(await asyncio.wait_for(conn.recv_bytes(), 10))["type"])
        await closing
    assert seen[0] == "response.created" and seen[-1] == "response.completed"
    assert info.value.rcvd is not None and info.value.rcvd.code == 1001


async def test_expectations_cover_websocket_requests(
    start_server: StartServer, tmp_path: Path
) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(
        "name: e\nrules:\n  - reply: [{message: ok}]\n    expect: {tools: [get_weather]}\n",
        encoding="utf-8",
    )
    mock = await start_server(seed=7, scenarios=(path,), default_scenario="e")
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="x")
        await until_done(conn)
    (entry,) = [e for e in mock.app[JOURNAL].query() if e.exchange.method == "WS"]
    assert entry.exchange.expectations  # the missing tool is reported, as over HTTP


async def test_metrics_count_sockets_and_requests(mock: RunningServer) -> None:
    async def scrape() -> str:
        url = mock.root.rstrip("/") + "/_mock/metrics"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            return await resp.text()

    async with mock.client() as sdk:
        async with sdk.responses.connect() as conn:
            await conn.response.create(model="gpt-4o", input="hi")
            await until_done(conn)
            assert "mockserver_websockets_open 1.0" in await scrape()
        for _ in range(100):
            text = await scrape()
            if "mockserver_websockets_open 0.0" in text:
                break
            await asyncio.sleep(0.01)
    assert "mockserver_websockets_open 0.0" in text
    assert 'mockserver_requests_total{rule="hello",scenario="ws",status="200"} 1.0' in text


async def test_a_client_that_does_not_read_is_not_read(mock: RunningServer) -> None:
    from mockserver.websocket.session import SOCKETS

    url = mock.root.rstrip("/").replace("http", "ws", 1) + "/v1/responses"
    async with aiohttp.ClientSession() as http, http.ws_connect(url, headers=AUTH) as ws:

        async def flood() -> None:
            while True:  # every message is refused with an error event nobody reads
                await ws.send_str("x" * 1000)

        with pytest.raises(TimeoutError):
            await asyncio.wait_for(flood(), 3)  # the server stopped reading: sends block
        (conn,) = mock.app[SOCKETS]
        assert conn.transport is not None
        high = conn.transport.get_write_buffer_limits()[1]
        assert conn.transport.get_write_buffer_size() <= high + 4096  # one event past the mark


AUTH = {"Authorization": "Bearer test-key"}


async def test_store_false_continues_on_its_socket_only(client: AsyncOpenAI) -> None:
    async with client.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="weather?", tools=[TOOL], store=False)
        first = (await until_done(conn))[-1]["response"]
        call = first["output"][0]
        output: FunctionCallOutput = {
            "type": "function_call_output",
            "call_id": call["call_id"],
            "output": '{"temp_c": 18}',
        }
        await conn.response.create(
            model="gpt-4o", previous_response_id=first["id"], input=[output], store=False
        )
        second = (await until_done(conn))[-1]["response"]
    assert second["output"][0]["content"][0]["text"] == "It is 18 C in Paris."
    with pytest.raises(openai.BadRequestError) as info:  # not stored: HTTP does not know it
        await client.responses.create(model="gpt-4o", previous_response_id=first["id"], input="x")
    assert info.value.code == "previous_response_not_found"
    async with client.responses.connect() as other:  # nor does another socket
        await other.response.create(model="gpt-4o", previous_response_id=first["id"], input="x")
        (error,) = await until_done(other)
    assert error["error"]["code"] == "previous_response_not_found" and error["status"] == 400


@pytest.mark.parametrize(
    "rule",
    [
        "error: server_error",  # a stream-time error: it fails the response in its stream
        "reply: [{message: a b}]\n    fault: {kind: failed, after_events: 2, error_event: flat}",
    ],
)
async def test_errors_in_the_stream_take_the_ws_shape(
    start_server: StartServer, tmp_path: Path, rule: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nrules:\n  - {rule}\n", encoding="utf-8")
    mock = await start_server(seed=7, scenarios=(path,), default_scenario="s")
    async with mock.client() as sdk, sdk.responses.connect() as conn:
        await conn.response.create(model="gpt-4o", input="x", stream_id="s1")
        events = await until_done(conn)  # validated against ResponsesServerEvent
        if events[-1]["type"] == "error":
            events += await until_done(conn)
    kinds = [e["type"] for e in events]
    assert kinds[-2:] == ["error", "response.failed"]
    error = events[-2]
    assert error["stream_id"] == "s1" and error["error"]["message"]
