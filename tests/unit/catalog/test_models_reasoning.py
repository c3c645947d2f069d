"""Reasoning models in the zero-config generator: reasoning item, summary, tokens, encryption."""

from __future__ import annotations

import base64
import random

import pytest
from specschema import validate

from mockserver.catalog import (
    builtin_catalogue,
    encrypted_content_for,
    reasoning_plan_for,
    reasoning_tokens_for,
    unknown_model,
    with_reasoning,
)
from mockserver.openai.ids import IdFactory
from mockserver.openai.items import reasoning_item
from mockserver.plan import MessagePlan, Plan, ReasoningPlan

CATALOGUE = builtin_catalogue()


def _model(name: str):  # type: ignore[no-untyped-def]
    info = CATALOGUE.get(name)
    assert info is not None
    return info


@pytest.mark.parametrize(
    ("summary", "parts"), [(None, 0), ("auto", 1), ("concise", 1), ("detailed", 3)]
)
def test_summary_parts_follow_reasoning_summary(summary: str | None, parts: int) -> None:
    body = {"model": "o3", "input": "Why is the sky blue?", "reasoning": {"summary": summary}}
    plan = reasoning_plan_for(body, _model("o3"), random.Random(1))
    assert plan is not None and len(plan.summary) == parts
    assert all(s.startswith("**") and "Why is the sky blue?" in s for s in plan.summary)
    assert plan.encrypted_content is None
    item = reasoning_item(plan, IdFactory(random.Random(2)).hex_id("rs"))
    validate(item, "ReasoningItem")


def test_encrypted_content_when_included() -> None:
    body = {"model": "gpt-5", "input": "hi", "include": ["reasoning.encrypted_content"]}
    plan = reasoning_plan_for(body, _model("gpt-5"), random.Random(3))
    assert plan is not None and plan.encrypted_content is not None
    raw = base64.urlsafe_b64decode(plan.encrypted_content)
    assert raw[0] == 0x80 and plan.encrypted_content.startswith("gAAAAA")


@pytest.mark.parametrize(
    ("model", "reasoning"),
    [
        ("gpt-4o", {"summary": "auto"}),  # does not reason (the rules refuse this anyway)
        ("gpt-5.1", None),  # default effort none
        ("gpt-5", {"effort": "none"}),
        ("made-up", None),
    ],
)
def test_no_reasoning_item(model: str, reasoning: dict[str, str] | None) -> None:
    info = CATALOGUE.get(model) or unknown_model(model)
    body = {"model": model, "input": "hi", "reasoning": reasoning}
    assert reasoning_plan_for(body, info, random.Random()) is None


def test_unknown_models_reason_when_asked_to() -> None:
    body = {"model": "my-reasoner", "input": "hi", "reasoning": {"effort": "high"}}
    assert reasoning_plan_for(body, unknown_model("my-reasoner"), random.Random()) is not None


def test_reasoning_tokens_scale_with_effort_question_and_answer() -> None:
    def mean(effort: str, prompt: int, output: int) -> float:
        rng = random.Random(effort)
        return sum(reasoning_tokens_for(effort, prompt, output, rng) for _ in range(200)) / 200

    assert reasoning_tokens_for("minimal", 100, 500, random.Random()) == 0
    assert reasoning_tokens_for("none", 100, 500, random.Random()) == 0
    assert mean("low", 50, 50) < mean("medium", 50, 50) < mean("high", 50, 50)
    assert mean("high", 50, 50) < mean("xhigh", 50, 50) < mean("max", 50, 50)
    assert mean("medium", 50, 50) < mean("medium", 50, 500) < mean("medium", 500, 500)
    rng = random.Random(4)
    for effort in ("low", "medium", "high", "xhigh", "max"):
        for prompt in (0, 10, 100, 10_000, 10**7):
            spent = reasoning_tokens_for(effort, prompt, 100, rng)
            assert 0 <= spent <= 100_000 and spent % 64 == 0


def test_a_trivial_question_at_medium_effort_reasons_0_to_128_tokens() -> None:
    rng = random.Random(7)
    seen = {reasoning_tokens_for("medium", 8, 6, rng) for _ in range(300)}
    assert seen == {0, 64, 128}


def test_encrypted_content_grows_with_the_reasoning() -> None:
    rng = random.Random(5)
    assert len(encrypted_content_for(64, rng)) < len(encrypted_content_for(2048, rng))


def test_with_reasoning_prepends_an_item_and_counts_tokens() -> None:
    plan = Plan(items=(MessagePlan(text="The answer is 42."),))
    body = {"model": "o4-mini", "input": "Question?", "reasoning": {"effort": "high"}}
    reasoned = with_reasoning(plan, body, _model("o4-mini"), lambda: random.Random(6))
    assert isinstance(reasoned.items[0], ReasoningPlan)
    assert reasoned.items[1:] == plan.items
    assert reasoned.reasoning_tokens is not None and reasoned.reasoning_tokens % 64 == 0


def test_with_reasoning_leaves_scripted_plans_and_plain_models_alone() -> None:
    scripted = Plan(items=(MessagePlan(text="scripted"),), scenario="s", rule="r")
    assert (
        with_reasoning(scripted, {"input": "x"}, _model("o3"), lambda: random.Random()) == scripted
    )
    written = Plan(items=(ReasoningPlan(summary=("s",)), MessagePlan(text="t")), scenario="s")
    counted = with_reasoning(written, {"input": "x"}, _model("o3"), lambda: random.Random())
    assert counted.items == written.items and counted.reasoning_tokens is not None
    fixed = Plan(items=written.items, scenario="s", reasoning_tokens=7)
    assert with_reasoning(fixed, {}, _model("o3"), lambda: random.Random()).reasoning_tokens == 7
    plain = Plan(items=(MessagePlan(text="t"),))
    assert with_reasoning(plain, {"input": "x"}, _model("gpt-4o"), lambda: random.Random()) == plain


def test_scripted_usage_names_the_reasoning_tokens() -> None:
    written = Plan(
        items=(ReasoningPlan(summary=("s",)), MessagePlan(text="t")),
        scenario="s",
        usage={"output_tokens_details": {"reasoning_tokens": 128}},
    )
    counted = with_reasoning(written, {}, _model("o4-mini"), lambda: random.Random())
    assert counted.reasoning_tokens == 128
