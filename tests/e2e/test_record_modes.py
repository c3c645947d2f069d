"""Record and replay, the other modes: the upstream's bytes passed on unchanged (JSON and
SSE), upstream failures (unreachable, too slow, 5xx) passed on and recorded only when asked,
strict replay explaining a miss, fallback to the upstream recording what was missing (a
chain continued by the mock's own ids), and background responses recorded once done."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import openai
import pytest
from aiohttp import ClientSession
from conftest import RunningServer, StartServer
from openai import AsyncOpenAI
from openai.types.responses import FunctionToolParam, ResponseInputItemParam
from websockets.exceptions import InvalidStatus

from mockserver.config import Config
from mockserver.scenario.cli import check_paths
from mockserver.testing.admin_client import AsyncAdminClient

UPSTREAM = """
name: real-api
rules:
  - name: broken
    when: {input_contains: break}
    error: server_error
  - name: slow
    when: {input_contains: slow}
    latency_ms: 2000
    reply: [{message: late}]
  - name: quota-on-a-stream
    when: {input_contains: stream quota}
    fault: {kind: failed, error_event: nested, error: {preset: insufficient_quota}}
  - name: call-weather
    when: {input_contains: weather, has_tool_output: false}
    reply: [{function_call: {name: get_weather, arguments: {city: Paris}}}]
  - name: answer-weather
    when: {has_tool_output: get_weather}
    reply: [{message: "It is {{ tool_output.get_weather.temp_c }} C."}]
  - name: anything
    reply: [{message: "You said: {{ input }}"}]
"""
TOOL: FunctionToolParam = {  # type: ignore[typeddict-item]  # no "strict": the API defaults it
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object"},
}


def tool_output(call_id: str) -> list[ResponseInputItemParam]:
    return [{"type": "function_call_output", "call_id": call_id, "output": '{"temp_c": 19}'}]


async def real_api(start: StartServer, tmp_path: Path) -> RunningServer:
    folder = tmp_path / "upstream"
    folder.mkdir(exist_ok=True)
    (folder / "real-api.yaml").write_text(UPSTREAM, encoding="utf-8")
    return await start(
        Config(
            scenarios=(folder,), default_scenario="real-api", seed=3, freeze_time=1.7e9
        )
    )  # fmt: skip


async def real_and_recorder(
    start: StartServer, tmp_path: Path, upstream_timeout: float = 60.0
) -> tuple[RunningServer, RunningServer, Path]:
    """The "real API", a recorder in front of it, and the folder it records into."""
    real = await real_api(start, tmp_path)
    out = tmp_path / "out"
    recorder = await start(recording(real.base_url, out, upstream_timeout=upstream_timeout))
    return real, recorder, out


def recording(
    upstream: str, out: Path, *, record_failures: bool = False, upstream_timeout: float = 60.0
) -> Config:
    return Config(
        record_upstream=upstream,
        record_out=out,
        record_failures=record_failures,
        upstream_timeout=upstream_timeout,
    )


async def test_the_client_gets_the_upstreams_bytes_unchanged(
    start_server: StartServer, tmp_path: Path
) -> None:
    direct = await real_api(start_server, tmp_path)
    twin = await real_api(start_server, tmp_path)  # same seed, same requests: same bytes
    recorder = await start_server(recording(twin.base_url, tmp_path / "out"))
    bodies = [
        {"model": "gpt-4o", "input": "hello"},
        {"model": "gpt-4o", "input": "hello again", "stream": True},
    ]
    got: dict[str, list[bytes]] = {"direct": [], "proxied": []}
    headers = {"Authorization": "Bearer k-1"}
    async with ClientSession() as http:
        for name, server in (("direct", direct), ("proxied", recorder)):
            for body in bodies:
                async with http.post(
                    f"{server.base_url}/responses", json=body, headers=headers
                ) as answer:
                    assert answer.status == 200
                    got[name].append(await answer.read())
    assert got["proxied"] == got["direct"]
    assert b"event: response.completed" in got["proxied"][1]


async def test_an_unreachable_upstream_is_a_502_recorded_only_when_asked(
    start_server: StartServer, tmp_path: Path
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    upstream = f"http://127.0.0.1:{port}/v1"
    for failures in (False, True):
        out = tmp_path / f"out-{failures}"
        recorder = await start_server(recording(upstream, out, record_failures=failures))
        async with recorder.client() as sdk:
            with pytest.raises(openai.InternalServerError) as caught:
                await sdk.responses.create(model="gpt-4o", input="hello")
        assert caught.value.status_code == 502
        assert caught.value.code == "upstream_unreachable"
        assert (out / "recorded.yaml").exists() is failures
    assert "status: 502" in (tmp_path / "out-True" / "recorded.yaml").read_text()


async def test_a_slow_upstream_is_a_504_and_a_5xx_is_passed_on(
    start_server: StartServer, tmp_path: Path
) -> None:
    _real, recorder, out = await real_and_recorder(start_server, tmp_path, upstream_timeout=0.3)
    async with recorder.client() as sdk:
        with pytest.raises(openai.APIStatusError) as slow:
            await sdk.responses.create(model="gpt-4o", input="slow please")
        with pytest.raises(openai.InternalServerError) as broken:
            await sdk.responses.create(model="gpt-4o", input="break it")
        ok = await sdk.responses.create(model="gpt-4o", input="fine")
    assert (slow.value.status_code, slow.value.code) == (504, "upstream_timeout")
    assert broken.value.status_code == 500  # the upstream's own error, as it sent it
    assert "The server had an error processing your request" in broken.value.message
    text = (out / "recorded.yaml").read_text(encoding="utf-8")
    assert ok.output_text == "You said: fine" and "You said: fine" in text
    assert "break" not in text and "slow" not in text  # failures: only with --record-failures


async def test_strict_replay_fails_loudly_and_fallback_records_what_was_missing(
    start_server: StartServer, tmp_path: Path
) -> None:
    real, recorder, out = await real_and_recorder(start_server, tmp_path)
    async with recorder.client() as sdk:
        await sdk.responses.create(model="gpt-4o", input="What is the weather?", tools=[TOOL])

    strict = await start_server(Config(scenarios=(out,), default_scenario="recorded"))
    async with strict.client() as sdk:
        with pytest.raises(openai.BadRequestError) as missed:
            await weather_loop(sdk)  # the tool output's turn was never recorded
    assert missed.value.code == "mock_no_rule_matched"
    assert "when.has_tool_output expected false" in str(missed.value.message)
    async with AsyncAdminClient(strict.root) as admin:
        (entry,) = [e for e in await admin.requests() if e.status == 400]
        assert entry.unmatched

    fallback = await start_server(
        Config(
            scenarios=(out,), default_scenario="recorded", record_upstream=real.base_url,
            record_out=out, record_mode="fallback",
        )
    )  # fmt: skip
    async with fallback.client() as sdk:
        assert await weather_loop(sdk) == ["It is 19 C.", "You said: thanks!"]
    text = (out / "recorded.yaml").read_text(encoding="utf-8")
    assert "It is 19 C." in text and "has_tool_output: get_weather" in text
    assert "input_contains: thanks!" in text and "turn: 2" in text
    assert not check_paths([out]).errors

    await real.server.close()  # the grown file now replays the whole chain by itself
    replay = await start_server(Config(scenarios=(out,), default_scenario="recorded"))
    async with replay.client() as sdk:
        assert await weather_loop(sdk) == ["It is 19 C.", "You said: thanks!"]


async def weather_loop(sdk: AsyncOpenAI) -> list[str]:
    """A tool loop and one more user turn, each continuing the last by previous_response_id
    (the ids of whoever answers); the texts of the last two answers."""
    first = await sdk.responses.create(model="gpt-4o", input="What is the weather?", tools=[TOOL])
    call = first.output[0]
    assert call.type == "function_call"
    answer = await sdk.responses.create(
        model="gpt-4o", previous_response_id=first.id, input=tool_output(call.call_id),
        tools=[TOOL],
    )  # fmt: skip
    assert answer.previous_response_id == first.id
    third = await sdk.responses.create(
        model="gpt-4o", previous_response_id=answer.id, input="thanks!"
    )
    return [answer.output_text, third.output_text]


async def test_a_background_response_is_recorded_once_a_retrieve_shows_it_done(
    start_server: StartServer, tmp_path: Path
) -> None:
    _real, recorder, out = await real_and_recorder(start_server, tmp_path)
    async with recorder.client() as sdk:
        queued = await sdk.responses.create(
            model="gpt-4o", input="in the background", background=True
        )
        assert queued.status in ("queued", "in_progress")
        assert not (out / "recorded.yaml").exists()
        for _ in range(100):
            done = await sdk.responses.retrieve(queued.id)
            if done.status == "completed":
                break
            await asyncio.sleep(0.05)
    assert done.output_text == "You said: in the background"
    recorded = (out / "recorded.yaml").read_text(encoding="utf-8")
    assert "You said: in the background" in recorded

    replay = await start_server(Config(scenarios=(out,), default_scenario="recorded"))
    async with replay.client() as sdk:
        again = await sdk.responses.create(model="gpt-4o", input="in the background")
    assert again.output_text == done.output_text


async def test_a_stream_that_fails_is_recorded_as_the_failed_fault(
    start_server: StartServer, tmp_path: Path
) -> None:
    real, recorder, out = await real_and_recorder(start_server, tmp_path)

    async def consume(server: RunningServer) -> tuple[list[str], str]:
        seen: list[str] = []
        async with server.client() as sdk:
            stream = await sdk.responses.create(model="gpt-4o", input="stream quota", stream=True)
            with pytest.raises(openai.APIError) as failed:
                async for event in stream:
                    seen.append(event.type)
        return seen, failed.value.message

    recorded = await consume(recorder)
    text = (out / "recorded.yaml").read_text(encoding="utf-8")
    assert "kind: failed" in text and "error_event: nested" in text
    assert "insufficient_quota" in text
    await real.server.close()
    replay = await start_server(Config(scenarios=(out,), default_scenario="recorded"))
    assert await consume(replay) == recorded
    assert recorded[0] == ["response.created", "response.in_progress"]


async def test_the_admin_api_switches_recording_at_run_time(
    start_server: StartServer, tmp_path: Path
) -> None:
    real = await real_api(start_server, tmp_path)
    out = tmp_path / "out"
    mock = await start_server(
        Config(record_upstream=real.base_url + "?k=v", record_out=out, record_mode="off")
    )
    async with ClientSession(base_url=mock.root) as http, mock.client() as sdk:
        async with http.get("/_mock/record") as got:
            shown = await got.json()
        assert (shown["mode"], shown["rules"], shown["upstream"]) == ("off", 0, real.base_url)
        local = await sdk.responses.create(model="gpt-4o", input="hi")  # zero-config answers
        assert not local.output_text.startswith("You said")

        async with http.put("/_mock/record", json={"mode": "proxy"}) as got:
            assert (await got.json())["mode"] == "proxy"
        proxied = await sdk.responses.create(model="gpt-4o", input="hi")
        assert proxied.output_text == "You said: hi"
        async with http.get("/_mock/record") as got:
            assert (await got.json())["rules"] == 1
        async with http.put("/_mock/record", json={"mode": "record"}) as got:
            assert got.status == 400
            assert (await got.json())["error"]["code"] == "invalid_value"

    plain = await start_server(Config())
    async with ClientSession(base_url=plain.root) as http, http.get("/_mock/record") as got:
        assert got.status == 404
        assert (await got.json())["error"]["code"] == "mock_not_recording"


async def test_websocket_clients_get_recorded_answers_in_fallback_mode_only(
    start_server: StartServer, tmp_path: Path
) -> None:
    real, recorder, out = await real_and_recorder(start_server, tmp_path)
    async with recorder.client() as sdk:
        with pytest.raises(InvalidStatus) as refused:  # proxy mode relays HTTP only
            async with sdk.responses.connect() as conn:
                await conn.response.create(model="gpt-4o", input="hi")
                await conn.recv()
        assert refused.value.response.status_code == 400
        assert b"mock_websocket_not_recorded" in refused.value.response.body
        await sdk.responses.create(model="gpt-4o", input="first over HTTP")

    fallback = await start_server(
        Config(
            scenarios=(out,), default_scenario="recorded", record_upstream=real.base_url,
            record_out=out, record_mode="fallback",
        )
    )  # fmt: skip
    async with fallback.client() as sdk, sdk.responses.connect() as conn:
        texts = []
        for text in ("first over HTTP", "then over the socket"):
            await conn.response.create(model="gpt-4o", input=text)
            async for event in conn:
                if event.type == "response.completed":
                    texts.append(event.response.output_text)
                    break
    assert texts == ["You said: first over HTTP", "You said: then over the socket"]
    assert "then over the socket" in (out / "recorded.yaml").read_text(encoding="utf-8")


async def test_a_conversation_replays_with_the_mocks_own_conversation(
    start_server: StartServer, tmp_path: Path
) -> None:
    real, recorder, out = await real_and_recorder(start_server, tmp_path)

    async def talk(server: RunningServer) -> list[str]:
        async with server.client() as sdk:
            conv = await sdk.conversations.create(
                items=[{"type": "message", "role": "user", "content": "I am Ada."}]
            )
            texts = []
            for text in ("hello", "and again"):
                got = await sdk.responses.create(model="gpt-4o", conversation=conv.id, input=text)
                texts.append(got.output_text)
        return texts

    recorded = await talk(recorder)
    text = (out / "recorded.yaml").read_text(encoding="utf-8")
    assert "turn: 2" in text and "turn: 3" in text  # the conversation's first item counts
    await real.server.close()
    replay = await start_server(Config(scenarios=(out,), default_scenario="recorded"))
    assert await talk(replay) == recorded == ["You said: hello", "You said: and again"]
