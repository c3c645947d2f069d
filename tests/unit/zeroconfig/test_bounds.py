"""Every cost a request's schema controls is bounded (issue 13, defects 1 and 2).

Catastrophic patterns hung the server in `re` for ever; small schemas asking for huge strings
made 100 MB answers. Each case here is a small input with a time or size budget that the old
generator blew through, and a note saying what was cut. Times are CPU time of the thread, as
the budgets are: a busy CI machine stretches wall-clock time, not these.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest

from mockserver.openai.request import parse_request
from mockserver.plan import FunctionCallPlan, MessagePlan
from mockserver.zeroconfig import budget as budgets
from mockserver.zeroconfig.budget import Budget
from mockserver.zeroconfig.generate import json_for_schema, plan_for, warm
from mockserver.zeroconfig.regex_values import string_matching
from mockserver.zeroconfig.schema_check import checker, is_valid


def _prop(sub: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"s": sub}, "required": ["s"]}


CATASTROPHIC = [
    ("nested-plus", {"type": "string", "pattern": "^(a+)+$(?<!a)", "minLength": 30}),
    ("ambiguous-alternation", {"type": "string", "pattern": "^(?:a|a){32}$(?<!a)"}),
    ("overlapping-alternation", {"type": "string", "pattern": "^(a|aa)+$(?<!a)", "minLength": 60}),
    ("empty-repeat", {"type": "string", "pattern": "(?:(?:){9999}){9999}x"}),
    ("huge-count", {"type": "string", "pattern": "^a{100000000}$"}),
    ("huge-nested-count", {"type": "string", "pattern": "^(?:a{1000}){1000}$"}),
]


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm()  # faker's first instance costs ~0.2 s: not the generator's


@pytest.mark.parametrize("schema", [c[1] for c in CATASTROPHIC], ids=[c[0] for c in CATASTROPHIC])
def test_catastrophic_patterns_are_given_up_on_quickly(schema: dict[str, Any]) -> None:
    budget = Budget()
    start = time.thread_time()
    value = json_for_schema(_prop(schema), random.Random(1), budget)
    assert time.thread_time() - start < 1  # was: for ever (SIGKILL only)
    assert isinstance(value["s"], str)
    assert any(schema["pattern"][:20] in note for note in budget.notes), budget.notes


def test_many_catastrophic_patterns_share_one_budget() -> None:
    evil = {"type": "string", "pattern": "^(a|aa)+$(?<!a)", "minLength": 40}
    schema = {"type": "object", "properties": {f"p{i}": evil for i in range(64)}}
    start = time.thread_time()
    json_for_schema(schema, random.Random(1))
    assert time.thread_time() - start < 1


def test_catastrophic_pattern_properties_and_checks_are_bounded() -> None:
    evil = "^(a|aa)+$(?<!a)"
    schema = {
        "type": "object",
        "patternProperties": {evil: {"type": "string", "pattern": evil}},
        "properties": {"a" * 60: {"type": "string"}},
        "additionalProperties": False,
        "minProperties": 8,
    }
    start = time.thread_time()
    json_for_schema(schema, random.Random(2))
    check = checker(schema)
    assert check is not None
    assert is_valid(check, {"a" * 60: "a" * 60 + "b"}) is True  # cannot tell in time: kept
    assert time.thread_time() - start < 1


def test_string_matching_gives_up_within_its_budget() -> None:
    budget = Budget()
    start = time.thread_time()
    assert string_matching("^(a|aa)+$(?<!a)", random.Random(1), 60, None, budget) is None
    assert time.thread_time() - start < 1
    assert budget.notes


def test_a_small_schema_cannot_ask_for_a_huge_answer() -> None:
    # 256 properties of 7 strings of 65,536 characters: 117 MB before the budget.
    item = {"type": "string", "minLength": 65536}
    array = {"type": "array", "items": item, "minItems": 7, "maxItems": 7}
    schema = {"type": "object", "properties": {f"p{i}": array for i in range(256)}}
    budget = Budget()
    start = time.thread_time()
    value = json_for_schema(schema, random.Random(1), budget)
    assert len(json.dumps(value)) < 200_000
    assert time.thread_time() - start < 1
    assert any("size budget" in note for note in budget.notes), budget.notes


def test_the_budget_follows_max_output_tokens() -> None:
    schema = {"type": "string", "minLength": 50_000}
    small = budgets.for_output_tokens(100)
    assert len(json_for_schema(schema, random.Random(1), small)) <= 100 * 16
    assert len(json_for_schema(schema, random.Random(1), budgets.for_output_tokens(None))) >= 50_000
    assert budgets.for_output_tokens(16).max_bytes == budgets.MIN_BYTES
    assert budgets.for_output_tokens(10**9).max_bytes == budgets.DEFAULT_BYTES


def test_plan_for_a_required_tool_with_a_catastrophic_pattern() -> None:
    params = _prop({"type": "string", "pattern": "^(a+)+$(?<!a)", "minLength": 30})
    req = parse_request(
        {
            "model": "gpt-4o",
            "input": "hi",
            "tools": [{"type": "function", "name": "f", "parameters": params}],
            "tool_choice": "required",
        },
        strict=False,
    )
    notes: list[str] = []
    start = time.thread_time()
    plan = plan_for(req, random.Random(1), notes)
    assert time.thread_time() - start < 1
    (call,) = plan.items
    assert isinstance(call, FunctionCallPlan)
    assert isinstance(json.loads(call.arguments)["s"], str)
    assert notes  # what the pipeline puts in the journal


def test_structured_output_is_bounded_by_max_output_tokens() -> None:
    schema = {"type": "object", "properties": {"t": {"type": "string", "minLength": 60_000}}}
    req = parse_request(
        {
            "model": "gpt-4o",
            "input": "hi",
            "max_output_tokens": 64,
            "text": {"format": {"type": "json_schema", "name": "x", "schema": schema}},
        },
        strict=False,
    )
    notes: list[str] = []
    plan = plan_for(req, random.Random(1), notes)
    (message,) = plan.items
    assert isinstance(message, MessagePlan)
    assert len(message.text) <= budgets.MIN_BYTES + 64
    assert notes


def test_ordinary_schemas_leave_no_notes() -> None:
    schema = {
        "type": "object",
        "properties": {
            "date": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
            "code": {"type": "string", "pattern": "^(?=.*[0-9])[a-zA-Z0-9]{8,12}$"},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}},
        },
        "patternProperties": {"^x-": {"type": "integer"}},
    }
    for seed in range(5):
        budget = Budget()
        json_for_schema(schema, random.Random(seed), budget)
        assert budget.notes == []


async def test_the_server_answers_hostile_schemas_and_keeps_serving(http: Any) -> None:
    evil = _prop({"type": "string", "pattern": "^(a+)+$(?<!a)", "minLength": 30})
    tool = {"type": "function", "name": "f", "parameters": evil}
    body = {"model": "gpt-4o", "input": "hi", "tools": [tool], "tool_choice": "required"}
    start = time.perf_counter()
    async with http.post("/v1/responses", json=body) as resp:
        assert resp.status == 200, await resp.text()
        (call,) = (await resp.json())["output"]
    assert isinstance(json.loads(call["arguments"])["s"], str)
    item = {"type": "string", "minLength": 65536}
    array = {"type": "array", "items": item, "minItems": 7, "maxItems": 7}
    schema = {"type": "object", "properties": {f"p{i}": array for i in range(256)}}
    fmt = {"type": "json_schema", "name": "big", "schema": schema}
    async with http.post(
        "/v1/responses", json={"model": "gpt-4o", "input": "hi", "text": {"format": fmt}}
    ) as resp:
        assert resp.status == 200
        assert len(await resp.read()) < 200_000  # was 109 MB
    async with http.get("/_mock/health") as resp:
        assert resp.status == 200
    assert time.perf_counter() - start < 10  # wall time, on a busy CI machine


def test_long_patterns_are_not_kept_in_the_caches() -> None:
    long = "^(?:" + "|".join(f"w{i}" for i in range(400)) + ")$"
    assert len(long) > budgets.CACHED_LENGTH
    before = budgets._compiled.cache_info().currsize
    assert string_matching(long, random.Random(1), budget=Budget()) is not None
    assert budgets._compiled.cache_info().currsize == before
