"""Models through the official SDK: listing, per-model rules, reasoning answers, logprobs,
input token counts, strict and lenient unknown models, and a user's models file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientSession
from conftest import RunningServer, StartServer
from openai.types.responses import ResponseInputImageParam, ResponseInputMessageContentListParam
from specschema import validate
from streamcases import validate_event

from mockserver.app import create_app
from mockserver.catalog import CatalogueError, builtin_catalogue
from mockserver.config import Config
from mockserver.openai import tokens, usage


async def _raw_create(client: openai.AsyncOpenAI, **params: Any) -> dict[str, Any]:
    raw = await client.responses.with_raw_response.create(**params)
    body: dict[str, Any] = json.loads(raw.http_response.text)
    validate(body, "Response")
    return body


async def _sse(http: ClientSession, body: dict[str, Any]) -> list[dict[str, Any]]:
    async with http.post("/v1/responses", json={**body, "stream": True}) as resp:
        assert resp.status == 200
        text = (await resp.read()).decode()
    events = [json.loads(block.split("\n")[1][6:]) for block in text.strip().split("\n\n")]
    for event in events:
        validate_event(event)
    return events


# ---- GET /v1/models --------------------------------------------------------------------------


async def test_models_list_and_retrieve(client: openai.AsyncOpenAI, http: ClientSession) -> None:
    page = await client.models.list()
    assert [m.id for m in page.data] == [m.id for m in builtin_catalogue().models]
    async with http.get("/v1/models") as resp:
        validate(await resp.json(), "ListModelsResponse")
    o3 = await client.models.retrieve("o3")
    assert (o3.id, o3.object, o3.created, o3.owned_by) == ("o3", "model", 1744225308, "system")
    async with http.get("/v1/models/gpt-4.1-nano") as resp:
        validate(await resp.json(), "Model")


async def test_retrieving_an_unknown_model_is_404(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await client.models.retrieve("gpt-9000")
    err = info.value
    assert (err.status_code, err.code, err.param) == (404, "model_not_found", "model")
    assert err.message == "Error code: 404 - The model 'gpt-9000' does not exist"


# ---- per-model rules -------------------------------------------------------------------------

RULES = [
    # Real traffic: the sampling refusals carry `code: null`.
    pytest.param({"model": "o3", "temperature": 0.5}, None, "temperature"),
    pytest.param({"model": "o4-mini", "top_p": 0.5}, None, "top_p"),
    pytest.param(
        {"model": "gpt-4o", "reasoning": {"effort": "high"}},
        "unsupported_parameter",
        "reasoning.effort",
    ),
    pytest.param(
        {"model": "o3-mini", "reasoning": {"effort": "minimal"}},
        "unsupported_value",
        "reasoning.effort",
    ),
    pytest.param(
        {"model": "gpt-4o", "max_output_tokens": 16385}, "invalid_value", "max_output_tokens"
    ),
    pytest.param(
        {"model": "gpt-4.1-nano", "tools": [{"type": "web_search"}]}, None, "tools", id="tool"
    ),
    pytest.param({"model": "o4-mini-deep-research"}, None, "tools", id="deep-research"),
    pytest.param({"model": "gpt-4.1", "include": ["reasoning.encrypted_content"]}, None, "include"),
    pytest.param(
        {"model": "gpt-4o", "include": ["message.output_text.nonsense"]},
        "invalid_value",
        "include[0]",
    ),
]


@pytest.mark.parametrize(("params", "code", "param"), RULES)
async def test_each_rule_raises_the_sdks_exception(
    client: openai.AsyncOpenAI, params: dict[str, Any], code: str | None, param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(input="Hello", **params)
    err = info.value
    assert (err.status_code, err.code, err.param) == (400, code, param)
    assert err.type == "invalid_request_error"
    assert err.request_id is not None and err.request_id.startswith("req_")


async def test_context_length_follows_previous_response_id(client: openai.AsyncOpenAI) -> None:
    half = "hello" + " hello" * 69_999  # 70,000 tokens
    first = await client.responses.create(model="gpt-4o", input=half)
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.create(model="gpt-4o", input=half, previous_response_id=first.id)
    err = info.value
    assert (err.code, err.param) == ("context_length_exceeded", "input")
    assert "exceeds the context window of this model" in err.message
    # the same turn on a model with a larger window is fine
    first = await client.responses.create(model="gpt-4.1", input=half)
    await client.responses.create(model="gpt-4.1", input=half, previous_response_id=first.id)


# ---- reasoning models --------------------------------------------------------------------------

REASONING_REQUEST: dict[str, Any] = {
    "model": "o3",
    "input": "Why is the sky blue?",
    "reasoning": {"effort": "high", "summary": "auto"},
    "include": ["reasoning.encrypted_content"],
}


async def test_a_reasoning_models_answer(client: openai.AsyncOpenAI) -> None:
    body = await _raw_create(client, **REASONING_REQUEST)
    assert body["model"] == "o3-2025-04-16"
    assert [item["type"] for item in body["output"]] == ["reasoning", "message"]
    reasoning = body["output"][0]
    assert len(reasoning["summary"]) == 1 and reasoning["encrypted_content"].startswith("gAAAAA")
    details = body["usage"]["output_tokens_details"]
    # A short question: 0-384 reasoning tokens at high effort, in steps of 64.
    assert 0 <= details["reasoning_tokens"] <= 384 and details["reasoning_tokens"] % 64 == 0
    visible = tokens.count(body["output"][1]["content"][0]["text"])
    # The summary is not billed on its own: its tokens are part of the reasoning.
    assert body["usage"]["output_tokens"] == visible + details["reasoning_tokens"]
    assert body["reasoning"] == {
        "effort": "high",
        "summary": "auto",
        "context": "current_turn",
        "mode": "standard",
    }


async def test_a_reasoning_models_streamed_answer(client: openai.AsyncOpenAI) -> None:
    async with client.responses.stream(**REASONING_REQUEST) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_response()
    assert "response.reasoning_summary_text.delta" in kinds
    assert kinds.index("response.reasoning_summary_text.delta") < kinds.index(
        "response.output_text.delta"
    )
    assert [item.type for item in final.output] == ["reasoning", "message"]
    assert final.output[0].encrypted_content
    assert final.usage is not None and final.usage.output_tokens_details.reasoning_tokens >= 0
    assert final.model == "o3-2025-04-16"


async def test_without_include_there_is_no_encrypted_content(client: openai.AsyncOpenAI) -> None:
    body = await _raw_create(client, model="gpt-5-nano", input="Hi", reasoning={"effort": "low"})
    assert body["output"][0]["type"] == "reasoning"
    assert "encrypted_content" not in body["output"][0] and body["output"][0]["summary"] == []


async def test_plain_models_do_not_reason(client: openai.AsyncOpenAI) -> None:
    body = await _raw_create(client, model="gpt-4o", input="Hi")
    assert [item["type"] for item in body["output"]] == ["message"]
    assert body["usage"]["output_tokens_details"]["reasoning_tokens"] == 0
    assert body["model"] == "gpt-4o-2024-08-06"


# ---- logprobs --------------------------------------------------------------------------------

LOGPROBS_REQUEST = {
    "model": "gpt-4.1-mini",
    "input": "Say something.",
    "include": ["message.output_text.logprobs"],
    "top_logprobs": 3,
}


async def test_logprobs_in_a_body(client: openai.AsyncOpenAI) -> None:
    body = await _raw_create(client, **LOGPROBS_REQUEST)
    part = body["output"][0]["content"][0]
    assert [lp["token"] for lp in part["logprobs"]] == tokens.split(part["text"])
    assert all(len(lp["top_logprobs"]) == 3 for lp in part["logprobs"])
    assert body["top_logprobs"] == 3
    again = await _raw_create(client, **LOGPROBS_REQUEST)  # seeded: the same numbers
    assert again["output"][0]["content"][0]["logprobs"] == part["logprobs"]


async def test_logprobs_in_stream_deltas(http: ClientSession) -> None:
    events = await _sse(http, LOGPROBS_REQUEST)
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    streamed = [lp for d in deltas for lp in d["logprobs"]]
    text = "".join(d["delta"] for d in deltas)
    assert [lp["token"] for lp in streamed] == tokens.split(text)
    assert all(len(lp["top_logprobs"]) == 3 and "bytes" not in lp for lp in streamed)
    final = events[-1]["response"]["output"][0]["content"][0]["logprobs"]
    assert [(lp["token"], lp["logprob"]) for lp in final] == [
        (lp["token"], lp["logprob"]) for lp in streamed
    ]


async def test_reasoning_runs_have_empty_logprobs(client: openai.AsyncOpenAI) -> None:
    body = await _raw_create(client, **{**LOGPROBS_REQUEST, "model": "o4-mini"})
    assert body["output"][-1]["content"][0]["logprobs"] == []


async def test_input_image_urls_only_when_included(client: openai.AsyncOpenAI) -> None:
    image: ResponseInputImageParam = {
        "type": "input_image",
        "image_url": "https://example.com/cat.png",
        "detail": "low",
    }
    content: ResponseInputMessageContentListParam = [
        {"type": "input_text", "text": "What is this?"},
        image,
    ]
    created = await client.responses.create(
        model="gpt-4o", input=[{"role": "user", "content": content}]
    )
    hidden = await client.responses.input_items.list(created.id)
    assert hidden.data[0].content[1].image_url is None  # type: ignore[index]
    shown = await client.responses.input_items.list(
        created.id, include=["message.input_image.image_url"]
    )
    assert shown.data[0].content[1].image_url == "https://example.com/cat.png"  # type: ignore[index]
    for page in (hidden, shown):
        validate(page.model_dump(mode="json", exclude_unset=True), "ResponseItemList")
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.input_items.list(created.id, include=["nope"])  # type: ignore[list-item]
    assert (info.value.code, info.value.param) == ("invalid_value", "include[0]")


# ---- input_tokens ----------------------------------------------------------------------------


async def test_input_tokens_equal_the_tokenizers_count(client: openai.AsyncOpenAI) -> None:
    counted = await client.responses.input_tokens.count(model="gpt-5", input="Tell me a joke.")
    assert counted.object == "response.input_tokens"
    expected = usage.PRIMING + usage.PER_MESSAGE + tokens.count("Tell me a joke.")
    assert counted.input_tokens == expected
    params: dict[str, Any] = {
        "model": "gpt-4o",
        "instructions": "Answer in French.",
        "input": [{"role": "user", "content": "Bonjour, comment ça va ?"}],
        "tools": [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}],
    }
    created = await client.responses.create(**params)
    counted = await client.responses.input_tokens.count(**params)
    assert created.usage is not None and counted.input_tokens == created.usage.input_tokens
    follow = {"model": "gpt-4o", "input": "Et demain ?", "previous_response_id": created.id}
    second = await client.responses.create(**follow)
    counted = await client.responses.input_tokens.count(**follow)
    assert second.usage is not None and counted.input_tokens == second.usage.input_tokens


async def test_input_tokens_errors(client: openai.AsyncOpenAI, http: ClientSession) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.responses.input_tokens.count(
            model="gpt-4o", input="x", previous_response_id="resp_" + "0" * 48
        )
    assert info.value.code == "previous_response_not_found"
    async with http.post("/v1/responses/input_tokens", json={}) as resp:
        assert await resp.json() == {"object": "response.input_tokens", "input_tokens": 3}
    async with http.post("/v1/responses/input_tokens", json={"input": 5}) as resp:
        assert resp.status == 400 and (await resp.json())["error"]["param"] == "input"


# ---- unknown models: lenient and strict ------------------------------------------------------


async def test_unknown_models_are_accepted_by_default(client: openai.AsyncOpenAI) -> None:
    response = await client.responses.create(model="my-test-model", input="Hi", temperature=0.1)
    assert response.model == "my-test-model" and response.status == "completed"


async def test_strict_models_refuse_unknown_ones(start_server: StartServer) -> None:
    server = await start_server(seed=1, strict_models=True)
    async with server.client() as client:
        with pytest.raises(openai.NotFoundError) as info:
            await client.responses.create(model="my-test-model", input="Hi")
        err = info.value
        assert (err.status_code, err.code, err.param) == (404, "model_not_found", None)
        assert err.message.endswith(
            "The model `my-test-model` does not exist or you do not have access to it."
        )
        with pytest.raises(openai.NotFoundError):
            await client.responses.input_tokens.count(model="my-test-model", input="Hi")
        assert (await client.responses.create(model="gpt-4o-mini", input="Hi")).output


# ---- a user's models file --------------------------------------------------------------------


async def test_a_user_models_file(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(
        "models:\n"
        "  - {id: tiny-1, owned_by: acme, created: 1750000000,"
        " context_window: 64, max_output_tokens: 32}\n"
        "  - {id: acme-reasoner, extends: o4-mini}\n",
        encoding="utf-8",
    )
    server: RunningServer = await start_server(seed=3, models_file=path, strict_models=True)
    async with server.client() as client:
        ids = [m.id for m in (await client.models.list()).data]
        assert ids[-2:] == ["tiny-1", "acme-reasoner"] and "gpt-4o" in ids
        tiny = await client.models.retrieve("tiny-1")
        assert (tiny.owned_by, tiny.created) == ("acme", 1750000000)
        with pytest.raises(openai.BadRequestError) as info:
            await client.responses.create(model="tiny-1", input="word " * 100)
        assert info.value.code == "context_length_exceeded"
        with pytest.raises(openai.BadRequestError) as info:
            await client.responses.create(model="tiny-1", input="Hi", max_output_tokens=33)
        assert info.value.code == "invalid_value"
        answer = await client.responses.create(model="acme-reasoner", input="Hi")
        assert answer.model == "acme-reasoner" and answer.output[0].type == "reasoning"


def test_a_bad_models_file_stops_the_app(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text("models:\n  - {id: x, context_window: -1}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"models.yaml:2:\d+: models\[0\].context_window"):
        create_app(Config(models_file=path))


# ---- a scenario's models section ------------------------------------------------------------

SCENARIO = """
name: house-models
strict_models: true
models:
  - {id: house-model, extends: gpt-4o-mini, max_output_tokens: 100}
rules:
  - name: think
    when: {input_contains: think}
    reply:
      - reasoning: {summary: ["**Thinking**"]}
      - message: "Thought about it."
  - name: anything
    reply:
      - message: "Scripted."
"""


async def test_a_scenarios_models_and_strictness(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "house.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    server = await start_server(seed=5, scenarios=(path,), default_scenario="house-models")
    async with server.client() as client:
        answer = await client.responses.create(model="house-model", input="Hi")
        assert answer.output_text == "Scripted." and answer.model == "house-model"
        with pytest.raises(openai.BadRequestError) as info:
            await client.responses.create(model="house-model", input="Hi", max_output_tokens=101)
        assert info.value.code == "invalid_value"
        with pytest.raises(openai.NotFoundError):  # the scenario is strict, the server is not
            await client.responses.create(model="made-up", input="Hi")
        question = "think about why the sky is blue at noon and red at sunset, step by step"
        thought = await client.responses.create(model="o3", input=question * 3)
        assert [item.type for item in thought.output] == ["reasoning", "message"]
        assert thought.usage is not None
        assert thought.usage.output_tokens_details.reasoning_tokens > 0  # scripted, yet counted


def test_a_bad_scenario_models_section_is_refused_at_load(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        SCENARIO.replace("max_output_tokens: 100", "max_output_tokens: 100000000"),
        encoding="utf-8",
    )
    with pytest.raises(Exception, match="max_output_tokens 100000000 exceeds its context_window"):
        create_app(Config(scenarios=(path,)))


# ---- determinism -----------------------------------------------------------------------------


async def test_same_seed_same_bytes(start_server: StartServer) -> None:
    bodies = []
    for _ in range(2):
        server = await start_server(seed=11, freeze_time=1757000000.0)
        async with server.client() as client:
            for params in (REASONING_REQUEST, LOGPROBS_REQUEST):
                raw = await client.responses.with_raw_response.create(**params)
                bodies.append(raw.http_response.content)
    assert bodies[:2] == bodies[2:]
