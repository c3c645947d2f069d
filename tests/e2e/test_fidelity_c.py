"""Fidelity, round two (c): stream-time errors and the stream events real traffic shows,
driven through the official openai SDK.

Stream-time errors: the real API answers a streamed request whose quota is spent, whose input
exceeds the context window or that fails during generation with `200` SSE created ->
in_progress -> error -> response.failed; the SDK raises APIError on the error event and does
not retry (one request in the journal). Rate limits stay HTTP 429, which the SDK retries.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientSession
from faultsupport import Mock, StartMock, mock_servers, scenario
from streamcases import without_parsed

from mockserver.faults.error_catalog import PRESETS


@pytest.fixture
async def start_mock(tmp_path: Path) -> AsyncIterator[StartMock]:
    async with mock_servers(tmp_path) as start:
        yield start


async def error_server(start_mock: StartMock, error: Any) -> Mock:
    return await start_mock(scenario("errors", {"name": "fail", "error": error}))


async def read_stream(client: openai.AsyncOpenAI, **body: Any) -> list[str]:
    """The event types the SDK yields before it raises (it must raise)."""
    seen: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        stream = await client.responses.create(model="gpt-4o-mini", input="hi", **body)
        async for event in stream:
            seen.append(event.type)
    assert not isinstance(caught.value, openai.APIStatusError), "an HTTP error, not in-stream"
    seen.append(f"raised:{caught.value.code}")
    return seen


STREAM_TIME = ["insufficient_quota", "context_length_exceeded", "server_error"]


@pytest.mark.parametrize("preset", STREAM_TIME)
async def test_a_stream_time_error_fails_the_stream_and_is_not_retried(
    start_mock: StartMock, preset: str
) -> None:
    mock = await error_server(start_mock, preset)
    async with mock.client() as client:
        seen = await read_stream(client, stream=True)
    spec = PRESETS[preset]  # server_error: code null in the event, as recorded
    assert seen == ["response.created", "response.in_progress", f"raised:{spec.code}"]
    (attempt,) = mock.creates()  # the SDK did not retry
    journal = (attempt.status, attempt.error_code, attempt.fault)
    assert journal == (200, spec.code or spec.type, "failed@start")


async def test_the_wire_shape_is_the_recorded_one(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, "context_length_exceeded")
    async with ClientSession() as http:
        body = {"model": "gpt-4o-mini", "input": "hi", "stream": True}
        headers = {"Authorization": "Bearer k"}
        async with http.post(f"{mock.base_url}/responses", json=body, headers=headers) as r:
            assert r.status == 200
            text = await r.text()
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "error",
        "response.failed",
    ]
    assert events[2] == {
        "type": "error",
        "sequence_number": 2,
        "error": {
            "type": "invalid_request_error",
            "code": "context_length_exceeded",
            "message": PRESETS["context_length_exceeded"].message,
            "param": "input",
        },
    }
    failed = events[3]["response"]
    assert failed["status"] == "failed" and failed["output"] == [] and failed["usage"] is None
    assert failed["error"]["code"] == "context_length_exceeded"


async def test_without_stream_the_same_error_is_an_http_error(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, {"preset": "insufficient_quota", "retry_after_ms": 1})
    async with mock.client() as client:
        with pytest.raises(openai.RateLimitError):
            await client.responses.create(model="gpt-4o-mini", input="hi")
    assert [e.status for e in mock.creates()] == [429, 429, 429]  # retried, as with the API


@pytest.mark.parametrize(
    ("error", "exception"),
    [
        ({"preset": "insufficient_quota", "on_stream": "http"}, openai.RateLimitError),
        ({"preset": "rate_limit_exceeded"}, openai.RateLimitError),  # rate limits stay HTTP
        ({"preset": "overloaded"}, openai.InternalServerError),
    ],
)
async def test_http_before_the_stream_is_retried(
    start_mock: StartMock, error: dict[str, Any], exception: type[openai.APIStatusError]
) -> None:
    mock = await error_server(start_mock, {**error, "retry_after_ms": 1})
    async with mock.client() as client:
        with pytest.raises(exception):
            await client.responses.create(model="gpt-4o-mini", input="hi", stream=True)
    assert len(mock.creates()) == 3


async def test_a_scenario_can_fail_any_error_in_the_stream(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, {"preset": "rate_limit_exceeded", "on_stream": "failed"})
    async with mock.client() as client:
        seen = await read_stream(client, stream=True)
    assert seen[-1] == "raised:rate_limit_exceeded"
    assert len(mock.creates()) == 1


async def test_background_stream_and_its_replay_fail_the_same_way(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, "insufficient_quota")
    async with mock.client() as client:
        seen = await read_stream(client, stream=True, background=True)
        assert seen == [
            "response.created",
            "response.queued",
            "response.in_progress",
            "raised:insufficient_quota",
        ]
        (created,) = mock.creates()
        assert created.response_id is not None
        stored = await client.responses.retrieve(created.response_id)
        assert stored.status == "failed" and stored.error is not None
        # The code is outside the SDK's Literal (as recorded): read it as sent.
        assert stored.error.to_dict()["code"] == "insufficient_quota"
        assert stored.output == []
        replayed: list[str] = []
        with pytest.raises(openai.APIError) as caught:
            stream = await client.responses.retrieve(created.response_id, stream=True)
            async for event in stream:
                replayed.append(event.type)
        assert replayed == seen[:-1] and caught.value.code == "insufficient_quota"
    assert len(mock.creates()) == 1


async def test_background_without_stream_answers_queued_then_fails(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, "server_error")
    async with mock.client() as client:
        queued = await client.responses.create(model="gpt-4o-mini", input="hi", background=True)
        assert queued.status in ("queued", "in_progress")
        for _ in range(100):  # the background run fails on its own timeline
            stored = await client.responses.retrieve(queued.id)
            if stored.status == "failed":
                break
            await asyncio.sleep(0.01)
        assert stored.status == "failed" and stored.error is not None
        assert stored.error.code == "server_error"


# --- stream events of shell, apply-patch and image generation items ----------------------

ITEMS_SCENARIO = scenario(
    "tool-items",
    {
        "name": "shell",
        "when": {"input_contains": "shell"},
        "reply": [
            {
                "item": {
                    "type": "shell_call",
                    "status": "completed",
                    "call_id": "call_shell1",
                    "action": {
                        "commands": ["ls -a ~/Desktop"],
                        "max_output_length": 8912,
                        "timeout_ms": None,
                    },
                    "environment": None,
                }
            }
        ],
    },
    {
        "name": "patch",
        "when": {"input_contains": "patch"},
        "reply": [
            {
                "item": {
                    "type": "apply_patch_call",
                    "status": "completed",
                    "call_id": "call_patch1",
                    "operation": {"type": "create_file", "path": "a.md", "diff": "+# A\n+b\n"},
                }
            }
        ],
    },
    {
        "name": "image",
        "when": {"input_contains": "draw"},
        "reply": [
            {
                "item": {
                    "type": "image_generation_call",
                    "status": "completed",
                    "result": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBg",
                    "size": "1024x1024",
                }
            },
            {"message": "Here it is."},
        ],
    },
)
TOOLS: dict[str, list[Any]] = {
    "shell": [{"type": "shell"}],
    "patch": [{"type": "apply_patch"}],
    "draw": [{"type": "image_generation", "partial_images": 2}],
}
MIDDLE = {
    "shell": [
        "response.shell_call_command.added",
        "response.shell_call_command.delta",
        "response.shell_call_command.done",
    ],
    "patch": [
        "response.apply_patch_call_operation_diff.delta",
        "response.apply_patch_call_operation_diff.done",
    ],
    "draw": [
        "response.image_generation_call.in_progress",
        "response.image_generation_call.generating",
        "response.image_generation_call.partial_image",
        "response.image_generation_call.completed",
    ],
}


@pytest.mark.parametrize("word", sorted(TOOLS))
async def test_new_events_parse_in_the_sdk_stream_helper(start_mock: StartMock, word: str) -> None:
    mock = await start_mock(ITEMS_SCENARIO)
    async with mock.client() as client:
        seen: list[Any] = []
        async with client.responses.stream(
            model="gpt-5.1",
            input=word,
            tools=TOOLS[word],
        ) as stream:
            async for event in stream:
                seen.append(event)
            final = await stream.get_final_response()
        stored = await client.responses.retrieve(final.id)
    kinds = list(dict.fromkeys(e.type for e in seen))
    assert [k for k in kinds if k in MIDDLE[word]] == MIDDLE[word]
    assert without_parsed(final.to_dict()) == stored.to_dict()
    added = next(e for e in seen if e.type == "response.output_item.added")
    if word == "shell":
        assert added.item.action.commands == []
        deltas = [e.delta for e in seen if e.type == "response.shell_call_command.delta"]
        assert "".join(deltas) == "ls -a ~/Desktop"
    if word == "patch":
        assert added.item.operation.diff == ""
        done = next(e for e in seen if e.type.endswith("operation_diff.done"))
        assert done.to_dict()["diff"] == "+# A\n+b\n"  # an event the SDK does not type yet
    if word == "draw":
        assert added.item.to_dict() == {
            "id": stored.output[0].id,
            "type": "image_generation_call",
            "status": "in_progress",
        }
        partials = [e for e in seen if e.type.endswith("partial_image")]
        assert [e.partial_image_index for e in partials] == [0, 1]


async def test_chaos_errors_follow_the_same_rule(start_mock: StartMock) -> None:
    chaos = {"probability": 1, "errors": ["server_error", "overloaded"]}
    mock = await start_mock(
        scenario("chaotic", {"name": "ok", "reply": [{"message": "hi"}]}, chaos=chaos)
    )
    outcomes: list[str] = []
    async with mock.client(max_retries=0) as client:
        for _ in range(6):
            try:
                stream = await client.responses.create(model="gpt-4o-mini", input="hi", stream=True)
                async for _event in stream:
                    pass
                outcomes.append("completed")
            except openai.APIStatusError as exc:
                outcomes.append(f"http {exc.status_code}")
            except openai.APIError as exc:
                outcomes.append(f"in-stream {exc.type}")
    # server_error fails in the stream (200); overloaded (503) stays an HTTP error.
    assert set(outcomes) == {"in-stream server_error", "http 503"}
    in_stream = [e for e in mock.creates() if e.status == 200]
    assert all(e.fault == "failed@start" for e in in_stream) and in_stream


async def test_an_input_over_the_model_window_fails_a_streamed_request_in_its_stream(
    start_mock: StartMock,
) -> None:
    tiny = {
        "id": "tiny-window",
        "extends": "gpt-4o-mini",
        "context_window": 256,
        "max_output_tokens": 64,
    }
    mock = await start_mock(
        scenario("small", {"name": "ok", "reply": [{"message": "hi"}]}, models=[tiny])
    )
    long_input = "word " * 600  # about 600 tokens
    async with mock.client() as client:
        with pytest.raises(openai.BadRequestError) as refused:  # without stream: HTTP 400
            await client.responses.create(model="tiny-window", input=long_input)
        assert refused.value.code == "context_length_exceeded"
        seen: list[str] = []
        with pytest.raises(openai.APIError) as caught:
            stream = await client.responses.create(
                model="tiny-window", input=long_input, stream=True
            )
            async for event in stream:
                seen.append(event.type)
    assert not isinstance(caught.value, openai.APIStatusError)
    assert (caught.value.code, caught.value.param) == ("context_length_exceeded", "input")
    assert seen == ["response.created", "response.in_progress"]
    assert [(e.status, e.error_code) for e in mock.creates()] == [
        (400, "context_length_exceeded"),
        (200, "context_length_exceeded"),
    ]


async def test_the_sdk_stream_helper_raises_once(start_mock: StartMock) -> None:
    mock = await error_server(start_mock, "insufficient_quota")
    seen: list[str] = []
    async with mock.client() as client:
        with pytest.raises(openai.APIError) as caught:
            async with client.responses.stream(model="gpt-4o-mini", input="hi") as stream:
                async for event in stream:
                    seen.append(event.type)
    assert caught.value.code == "insufficient_quota"
    assert seen == ["response.created", "response.in_progress"]
    assert len(mock.creates()) == 1
