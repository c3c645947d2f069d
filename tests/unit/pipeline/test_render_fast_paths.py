"""render's shortcuts for a scenario's plan (ids drawn in one call, its output's tokens and
include[] worked out once: Plan.rendering; the Response of a body of only `model` and
`input` copied from its model's frame) agree with the full render they skip."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

import pytest

from mockserver.catalog.models import builtin_catalogue
from mockserver.catalog.rules import resolve_model
from mockserver.config import Config
from mockserver.http.exchange import Exchange
from mockserver.jsonbytes import dumps_to_keep
from mockserver.openai.ids import IdFactory
from mockserver.openai.items import render_item
from mockserver.pipeline import render as render_module
from mockserver.pipeline.create import input_resources, open_turn, store_response
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
    {"model": "o4-mini", "input": "hello"},  # a reasoning model's effort and defaults
    {
        "input": [{"role": "user", "content": "hi"}, {"role": "developer", "content": "be brief"}],
        "model": "gpt-5",
    },  # input first: any order of the two keys
    {"model": "my-own-model", "input": "hello"},  # unknown: named as sent
    {"model": "100%-%s-model", "input": "hello"},  # a % in the frame's JSON
    {"model": '\0output", "\0id":"\0usage', "input": "hello"},  # a name like its cuts
    {"model": "ft:gpt-4o:acme:v1:abc", "input": "hello"},  # a model made on each lookup
    {"model": "gpt-4o", "input": "hello", "metadata": {"k": "v"}, "temperature": 0.5},
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
    model = resolve_model(body["model"], builtin_catalogue(), strict=False)
    response, input_ids, written = render(turn, plan, model, 1.0)
    stored = store_response(Store(None, 10), turn, response, input_ids, written)
    assert stored.response() == response
    return stored.body + stored.input_body, rng.getrandbits(32)


def _unframed(body: dict[str, Any]) -> dict[str, Any]:
    """The same request as a body the model's frame does not serve (`store: true` is the
    default), so build_response makes its Response."""
    return {**body, "store": True}


@pytest.mark.parametrize("body", BODIES, ids=lambda b: str(sorted(b)))
@pytest.mark.parametrize("learned", [True, False])
def test_a_framed_answer_is_build_responses(learned: bool, body: dict[str, Any]) -> None:
    """For a learned plan and for one rendered afresh (zero-config's), per model."""
    plan = Plan(PLANS["message"], scenario="s", rule="r" if learned else None)
    for _ in range(3):
        assert _rendered(plan, body) == _rendered(plan, _unframed(body))


@pytest.mark.parametrize("body", BODIES, ids=lambda b: str(sorted(b)))
@pytest.mark.parametrize("name", list(PLANS))
def test_a_learned_plan_renders_as_a_fresh_one(name: str, body: dict[str, Any]) -> None:
    plan = Plan(PLANS[name], scenario="s", rule="r")
    fresh = _rendered(dataclasses.replace(plan, rule=None), _unframed(body))  # never learned
    for _ in range(3):  # marked, then learned, then reused
        assert _rendered(plan, body) == fresh
    assert plan.rendering == rendering_of(plan)


@pytest.mark.parametrize("body", BODIES[:2], ids=lambda b: str(b["model"]))
@pytest.mark.parametrize(
    "outcome",
    [
        {"status": "incomplete", "incomplete_reason": "content_filter"},
        {"status": "failed", "response_error": {"code": "server_error", "message": "down"}},
        {"usage": {"input_tokens": 1000}},
        {"reasoning_tokens": 128},
    ],
    ids=lambda o: next(iter(o)),
)
def test_a_learned_plan_renders_any_outcome_as_a_fresh_one(
    outcome: dict[str, Any], body: dict[str, Any]
) -> None:
    plan = Plan(PLANS["message"], scenario="s", rule="r", **outcome)
    fresh = _rendered(dataclasses.replace(plan, rule=None), _unframed(body))
    for _ in range(3):
        assert _rendered(plan, body) == fresh


def test_a_frame_is_made_once_per_model() -> None:
    """Answers on one model copy its frame; a model with other settings has its own."""
    plan = Plan(PLANS["message"], scenario="s", rule="r")
    model = resolve_model("gpt-4o", builtin_catalogue(), strict=False)
    for _ in range(3):
        _rendered(plan, BODIES[0])
    frame = render_module._frames[id(model)]
    _rendered(plan, BODIES[0])
    assert render_module._frames[id(model)] is frame and frame[0] is model
    other = dataclasses.replace(model, snapshot="gpt-4o-2099-01-01")
    rng = random.Random(7)
    tenant = Tenant(name="t", rng=rng, ids=IdFactory(rng))
    ex = Exchange("req_1", "POST", "/v1/responses", 0.0)
    turn = open_turn(json.dumps(BODIES[0]).encode(), Config(seed=7), tenant, ex, {})
    assert render(turn, plan, other, 1.0)[0]["model"] == "gpt-4o-2099-01-01"


def test_a_framed_response_shares_nothing_with_the_next() -> None:
    """Emptying every dict and list of an answer changes nothing of a later one."""
    plan = Plan(PLANS["message"], scenario="s", rule="r")
    fresh = _rendered(dataclasses.replace(plan, rule=None), _unframed(BODIES[0]))
    for _ in range(2):
        _rendered(plan, BODIES[0])
    rng = random.Random(7)
    tenant = Tenant(name="t", rng=rng, ids=IdFactory(rng))
    ex = Exchange("req_1", "POST", "/v1/responses", 0.0)
    turn = open_turn(json.dumps(BODIES[0]).encode(), Config(seed=7), tenant, ex, {})
    model = resolve_model("gpt-4o", builtin_catalogue(), strict=False)
    response, _, _ = render(turn, plan, model, 1.0)
    for value in response.values():
        if isinstance(value, (dict, list)):
            value.clear()
    assert _rendered(plan, BODIES[0]) == fresh


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
    # What a plan not learned (zero-config's) is taken to be, without a render: never
    # include-free when its render is not.
    if render_module._messages_only(Plan(PLANS[name])):
        assert learned.include_free


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
        response, input_ids, written = render(turn, plan, model, 1.0)
        assert [response["id"], *(item.get("id") for item in response["output"])] == expected
        assert input_ids in ([], inputs)
        stored = store_response(Store(None, 10), turn, response, input_ids, written)
        assert [item["id"] for item in stored.input_items()] == inputs


@pytest.mark.parametrize(
    "text", ["hello", 'a "quoted" \\ text\n', "caf\u00e9 \U0001f600 100%", "\0id"]
)
@pytest.mark.parametrize("learned", [True, False])
def test_a_string_inputs_stored_items_are_input_resources(learned: bool, text: str) -> None:
    """A string input's stored items, written from their cut JSON, are what
    input_resources gives (encoded as any other input is kept), with the same id: drawn
    with the response's (a learned plan) or after it."""
    plan = Plan(PLANS["message"], scenario="s", rule="r" if learned else None)
    body = {"model": "gpt-4o", "input": text}
    for _ in range(3):  # a rule's plan: learned at the second render
        rng = random.Random(7)
        tenant = Tenant(name="t", rng=rng, ids=IdFactory(rng))
        ex = Exchange("req_1", "POST", "/v1/responses", 0.0)
        turn = open_turn(json.dumps(body).encode(), Config(seed=7), tenant, ex, {})
        model = resolve_model("gpt-4o", builtin_catalogue(), strict=False)
        response, input_ids, written = render(turn, plan, model, 1.0)
        state = rng.getstate()
        stored = store_response(Store(None, 10), turn, response, input_ids, written)
        rng.setstate(state)  # the input ids drawn again, as input_resources draws them
        resources = input_resources(turn.req.input_items, input_ids, tenant.ids)
    assert bool(input_ids) == learned
    assert stored.input_body == dumps_to_keep(resources)
