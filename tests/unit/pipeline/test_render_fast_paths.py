"""render's shortcuts for a scenario's plan (ids drawn in one call, its output's tokens and
include[] worked out once: Plan.rendering) agree with the full render they skip."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import pytest

from mockserver.catalog.models import builtin_catalogue
from mockserver.config import Config
from mockserver.http.exchange import Exchange
from mockserver.openai.ids import IdFactory
from mockserver.openai.items import render_item
from mockserver.pipeline.create import open_turn, store_response
from mockserver.pipeline.render import render, rendering_of
from mockserver.pipeline.store import Store, Tenant
from mockserver.plan import (
    FunctionCallPlan,
    ItemPlan,
    MessagePlan,
    Plan,
    ReasoningPlan,
    VerbatimPlan,
)

PLANS: dict[str, tuple[ItemPlan, ...]] = {
    "message": (MessagePlan("Hello! It is sunny in Paris today."),),
    "refusal": (MessagePlan("I cannot.", refusal=True),),
    "logprobs": (MessagePlan("hi", logprobs=({"token": "hi", "logprob": -0.1},)),),
    "reasoning": (ReasoningPlan(summary=("thought",), encrypted_content="abc"), MessagePlan("ok")),
    "call": (FunctionCallPlan("get_weather", '{"city":"Paris"}'),),
    "call with id": (FunctionCallPlan("get_weather", "{}", call_id="call_1"),),
    "verbatim": (VerbatimPlan({"type": "code_interpreter_call", "outputs": []}),),
    "verbatim with id": (VerbatimPlan({"type": "message", "id": "msg_x", "content": []}),),
    "none": (),
}
BODIES: list[dict[str, Any]] = [
    {"model": "gpt-4o", "input": "hello"},
    {"model": "gpt-4o", "input": "hello", "include": ["message.output_text.logprobs"]},
    {"model": "gpt-4o", "input": "hello", "max_output_tokens": 16},
    {"model": "o4-mini", "input": "hello", "include": ["reasoning.encrypted_content"]},
]


def _rendered(plan: Plan, body: dict[str, Any]) -> tuple[bytes, int]:
    """The stored Response and input items, and the tenant's next draw, after rendering
    plan for body and storing it."""
    rng = random.Random(7)
    tenant = Tenant(name="t", rng=rng, ids=IdFactory(rng))
    ex = Exchange("req_1", "POST", "/v1/responses", 0.0)
    turn = open_turn(json.dumps(body).encode(), Config(seed=7), tenant, ex, {})
    model = builtin_catalogue().get(body["model"])
    assert model is not None
    response, input_ids = render(turn, plan, model, 1.0)
    stored = store_response(Store(None, 10), turn, response, input_ids)
    return stored.body + stored.input_body, rng.getrandbits(32)


@pytest.mark.parametrize("body", BODIES, ids=lambda b: str(sorted(b)))
@pytest.mark.parametrize("name", list(PLANS))
def test_a_learned_plan_renders_as_a_fresh_one(name: str, body: dict[str, Any]) -> None:
    plan = Plan(PLANS[name], scenario="s", rule="r")
    fresh = _rendered(dataclasses.replace(plan, rule=None), body)  # never learned
    for _ in range(3):  # marked, then learned, then reused
        assert _rendered(plan, body) == fresh
    assert plan.rendering == rendering_of(plan)


def test_a_plan_made_per_request_is_only_marked() -> None:
    """A scenario plan rendered once is not worked out (a templated rule's plan is new each
    time); replace() starts a plan without what its original learned."""
    plan = Plan(PLANS["message"], scenario="s", rule="r")
    _rendered(plan, BODIES[0])
    assert plan.rendering is not None and plan.rendering.id_prefixes is None
    _rendered(plan, BODIES[0])
    assert plan.rendering == rendering_of(plan) and plan.rendering.id_prefixes == ("resp", "msg")
    assert dataclasses.replace(plan, status="incomplete").rendering is None


@pytest.mark.parametrize("name", list(PLANS))
def test_include_free_is_what_apply_includes_does(name: str) -> None:
    learned = rendering_of(Plan(PLANS[name]))
    assert learned.include_free == (name not in ("logprobs", "reasoning", "verbatim"))


def test_hex_ids_draws_what_hex_id_draws_one_by_one() -> None:
    prefixes = ["resp", "msg", "rs", "fc"]
    one_by_one = IdFactory(random.Random(3))
    assert IdFactory(random.Random(3)).hex_ids(prefixes) == [one_by_one.hex_id(p) for p in prefixes]


@pytest.mark.parametrize("name", list(PLANS))
def test_the_ids_are_those_drawn_one_by_one(name: str) -> None:
    """The response's, its items' and its input items' ids, whether drawn in one call or
    not, are what drawing each in turn gives (then store_response draws the input ids)."""
    plan = Plan(PLANS[name], scenario="s", rule="r")
    developer = {"type": "message", "role": "developer", "content": "be brief"}
    body = {"model": "gpt-4o", "input": [{"role": "user", "content": "hi"}, developer]}
    one_by_one = IdFactory(random.Random(7))
    expected: list[Any] = [one_by_one.hex_id("resp")]
    expected += [render_item(item, one_by_one).get("id") for item in plan.items]
    inputs = [one_by_one.item_id("message"), one_by_one.item_id("message")]
    for _ in range(3):
        rng = random.Random(7)
        tenant = Tenant(name="t", rng=rng, ids=IdFactory(rng))
        ex = Exchange("req_1", "POST", "/v1/responses", 0.0)
        turn = open_turn(json.dumps(body).encode(), Config(seed=7), tenant, ex, {})
        model = builtin_catalogue().get("gpt-4o")
        assert model is not None
        response, input_ids = render(turn, plan, model, 1.0)
        assert [response["id"], *(item.get("id") for item in response["output"])] == expected
        assert input_ids in ([], inputs)
        stored = store_response(Store(None, 10), turn, response, input_ids)
        assert [item["id"] for item in stored.input_items()] == inputs
