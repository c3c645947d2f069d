"""Scenarios inside the server: selection, errors that explain, counters, determinism."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientSession
from conftest import RunningServer, StartServer
from openai import AsyncOpenAI
from openai.types.responses import Response

from mockserver.appkeys import EXCHANGE_SINKS, STORE
from mockserver.config import Config
from mockserver.http.exchange import Exchange
from mockserver.server import serve

SCENARIOS = {
    "alpha.yaml": "name: alpha\nrules: [{reply: [{message: from alpha}]}]\n",
    "beta.yaml": "name: beta\nrules: [{reply: [{message: from beta}]}]\n",
    "strict.yaml": """\
name: strict
rules:
  - name: weather
    when: {input_contains: weather, model: "gpt-4o*"}
    reply: [{message: sunny}]
  - name: tool-answer
    when: {has_tool_output: lookup}
    reply: [{message: "{{ tool_output.lookup.value }}"}]
""",
    "counted.yaml": """\
name: counted
rules:
  - {name: a, times: 7, reply: [{message: "a {{ call }}"}]}
  - {name: b, times: 13, reply: [{message: "b {{ call }}"}]}
  - {name: c, reply: [{message: "c {{ call }}"}]}
""",
    "lenient.yaml": """\
name: lenient
fallback: generate
rules: [{when: {input_contains: ping}, reply: [{message: pong}]}]
""",
    "seeded.yaml": """\
name: seeded
rules:
  - reply:
      - message: "{{ faker.name }} says {{ faker.sentence }}"
      - function_call: {name: f, arguments: {city: "{{ faker.city }}"}}
      - json: auto
""",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name, text in SCENARIOS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
async def server(start_server: StartServer, folder: Path) -> RunningServer:
    return await start_server(seed=7, scenarios=(folder,), default_scenario="alpha")


async def text_of(client: AsyncOpenAI, scenario: str | None = None, **body: Any) -> str:
    headers = {"X-Mock-Scenario": scenario} if scenario else {}
    body = {"model": "gpt-4o", "input": "hi", **body}
    response: Response = await client.responses.create(**body, extra_headers=headers)
    return response.output_text


async def test_selection_header_then_binding_then_default(server: RunningServer) -> None:
    async with server.client(api_key="sel") as client:
        assert await text_of(client) == "from alpha"  # --default-scenario
        server.app[STORE].tenant("sel").scenario_binding = "beta"
        assert await text_of(client) == "from beta"  # the tenant's binding
        assert await text_of(client, "alpha") == "from alpha"  # the header wins


async def test_without_any_scenario_the_generator_answers(
    start_server: StartServer, folder: Path
) -> None:
    plain = await start_server(seed=7, scenarios=(folder,))
    async with plain.client() as client:
        response = await client.responses.create(model="gpt-4o", input="hi")
    assert response.output_text and "from" not in response.output_text


async def test_an_unknown_scenario_is_a_400_listing_the_loaded_ones(server: RunningServer) -> None:
    async with server.client() as client:
        with pytest.raises(openai.BadRequestError) as info:
            await text_of(client, "gamma")
    assert info.value.code == "mock_unknown_scenario"
    assert info.value.param == "X-Mock-Scenario"
    assert info.value.body["message"] == (  # type: ignore[index]
        "Unknown scenario 'gamma'. Loaded scenarios: alpha, beta, counted, lenient, seeded, strict."
    )


async def test_an_unknown_scenario_close_to_a_loaded_one_says_did_you_mean(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        with pytest.raises(openai.BadRequestError) as info:
            await text_of(client, "alpah")
    assert info.value.body["message"] == (  # type: ignore[index]
        "Unknown scenario 'alpah' (did you mean 'alpha'?). "
        "Loaded scenarios: alpha, beta, counted, lenient, seeded, strict."
    )


async def test_no_matching_rule_is_a_400_that_explains_and_is_journaled(
    server: RunningServer,
) -> None:
    exchanges: list[Exchange] = []
    server.app[EXCHANGE_SINKS].append(exchanges.append)
    async with server.client() as client:
        with pytest.raises(openai.BadRequestError) as info:
            await text_of(client, "strict", model="o3", input="weather?")
    assert info.value.code == "mock_no_rule_matched"
    assert info.value.type == "invalid_request_error"
    assert (
        'rule \'weather\' (when.model expected "gpt-4o*", got "o3")' in info.value.body["message"]  # type: ignore[index]
    )
    assert (
        "rule 'tool-answer' (when.has_tool_output expected \"lookup\", got false)"
        in info.value.body["message"]  # type: ignore[index]
    )
    (exchange,) = [e for e in exchanges if e.path == "/v1/responses"]
    assert exchange.scenario == "strict" and exchange.status == 400
    assert exchange.unmatched[0] == {  # type: ignore[index]
        "rule": "weather",
        "index": 0,
        "misses": [{"key": "model", "expected": "gpt-4o*", "got": "o3"}],
    }


async def test_fallback_generate_answers_unmatched_requests(server: RunningServer) -> None:
    exchanges: list[Exchange] = []
    server.app[EXCHANGE_SINKS].append(exchanges.append)
    async with server.client() as client:
        pong = await text_of(client, "lenient", input="ping")
        other = await client.responses.with_raw_response.create(
            model="gpt-4o", input="something else", extra_headers={"X-Mock-Scenario": "lenient"}
        )
    assert pong == "pong"
    assert other.parse().output_text not in ("", "pong")
    assert other.headers["x-mock-scenario"] == "lenient"
    assert exchanges[-1].unmatched[0]["misses"][0]["key"] == "input_contains"  # type: ignore[index]


async def test_a_template_that_cannot_render_is_a_clear_400(server: RunningServer) -> None:
    call = {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "c1", "output": '{"other": 1}'}
    async with server.client() as client:
        with pytest.raises(openai.BadRequestError) as info:
            await text_of(client, "strict", input=[call, output])
    assert info.value.code == "mock_template_error"
    assert info.value.body["message"].startswith("Scenario 'strict', rule 'tool-answer' (")  # type: ignore[index]
    assert "strict.yaml:6): " in info.value.body["message"]  # type: ignore[index]  # where the rule is written
    assert (
        "{{ tool_output.lookup.value }}: tool_output.lookup has no 'value'; it has: other"
        in (info.value.body["message"])  # type: ignore[index]
    )


async def fire(client: AsyncOpenAI, n: int) -> list[str]:
    return await asyncio.gather(*(text_of(client, "counted") for _ in range(n)))


async def test_counters_under_concurrent_requests_lose_and_double_nothing(
    server: RunningServer,
) -> None:
    async with server.client(api_key="t1") as one, server.client(api_key="t2") as two:
        first, second = await asyncio.gather(fire(one, 40), fire(two, 25))
    for texts, total in ((first, 40), (second, 25)):
        by_rule: dict[str, list[int]] = {}
        for text in texts:
            rule, call = text.split()
            by_rule.setdefault(rule, []).append(int(call))
        assert sorted(c for calls in by_rule.values() for c in calls) == list(range(1, total + 1))
        assert sorted(by_rule["a"]) == list(range(1, 8))
        assert sorted(by_rule["b"]) == list(range(8, 21))
        assert sorted(by_rule["c"]) == list(range(21, total + 1))


async def raw_bodies(start_server: StartServer, folder: Path) -> list[bytes]:
    server = await start_server(seed=11, freeze_time=1_700_000_000, scenarios=(folder,))
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    body = {
        "model": "gpt-4o",
        "input": "go",
        "text": {"format": {"type": "json_schema", "name": "n", "schema": schema}},
    }
    headers = {"Authorization": "Bearer same", "X-Mock-Scenario": "seeded"}
    out = []
    async with ClientSession(base_url=server.root, headers=headers) as http:
        for _ in range(3):
            async with http.post("/v1/responses", json=body) as resp:
                out.append(await resp.read())
        async with http.post("/v1/responses", json={**body, "stream": True}) as resp:
            out.append(await resp.read())
    return out


async def test_same_seed_same_bytes(start_server: StartServer, folder: Path) -> None:
    first = await raw_bodies(start_server, folder)
    second = await raw_bodies(start_server, folder)
    assert first == second
    assert len(set(first[:3])) == 3  # each call its own draw
    _message, call, structured = json.loads(first[0])["output"]
    assert json.loads(call["arguments"])["city"]
    assert isinstance(json.loads(structured["content"][0]["text"])["n"], int)


async def test_an_unknown_default_scenario_stops_the_server(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert await serve(Config(port=0, scenarios=(folder,), default_scenario="nope")) == 1
    assert "--default-scenario:0:0: unknown scenario 'nope'; loaded scenarios: alpha" in caplog.text


async def test_an_unknown_default_scenario_says_did_you_mean(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert await serve(Config(port=0, scenarios=(folder,), default_scenario="strcit")) == 1
    assert "unknown scenario 'strcit' (did you mean 'strict'?); loaded scenarios:" in caplog.text


async def test_a_bad_scenario_file_stops_the_server_with_its_messages(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nrules: []\n", encoding="utf-8")
    status = await serve(Config(port=0, scenarios=(bad,)))
    assert status == 1
    assert f"{bad}:2:8: $.rules: empty list; a scenario needs at least one rule" in caplog.text
