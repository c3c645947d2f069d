"""What a seeded zero-config request is answered, pinned: the same seed and request give these
texts in every version (a client's recorded answers, a test's expectations depend on them), so
making the generator cheaper must not change one of them."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import pytest

from mockserver.openai.request import parse_request
from mockserver.plan import MessagePlan, Plan, VerbatimPlan
from mockserver.zeroconfig import generate


def _plan(body: dict[str, Any], seed: int = 7) -> Plan:
    req = parse_request(dict(body), strict=False)
    return generate.plan_for(req, generate.ContentStream(seed, random.Random(0), body), [])


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            {"model": "gpt-4o", "input": "Say hello to the benchmark."},
            "Hotel his sure through. Customer option positive meeting participant woman. Detail"
            " cold go American my threat. Black late decision back large only some film. Card"
            " natural church. Tell newspaper management increase none election hospital.",
        ),
        (
            {"model": "gpt-4o", "input": "hi"},
            "Direction into color whatever food pay. Write read dog seat. Through institution"
            " industry beautiful claim. Base pretty provide I movie modern soon.",
        ),
        (
            {"model": "gpt-4o", "input": "j", "text": {"format": {"type": "json_object"}}},
            '{"answer":"Always plant surface.","confidence":0.34}',
        ),
    ],
)
def test_a_seeded_message_is_pinned(body: dict[str, Any], text: str) -> None:
    assert _plan(body) == Plan(items=(MessagePlan(text=text),))


def test_a_seeded_custom_tool_call_is_pinned() -> None:
    tools = [{"type": "custom", "name": "free"}]
    body = {"model": "gpt-4o", "input": "t", "tools": tools, "tool_choice": "required"}
    call = {"type": "custom_tool_call", "status": "completed", "call_id": ""}
    item = {**call, "name": "free", "input": "Office fund feeling."}
    assert _plan(body) == Plan(items=(VerbatimPlan(item),))


def test_the_texts_of_a_thousand_seeds_are_pinned() -> None:
    body = {"model": "gpt-4o", "input": "hi"}
    req = parse_request(dict(body), strict=False)
    digest = hashlib.sha256()
    for seed in range(1000):
        text = generate.answer_text(req, generate.ContentStream(seed, random.Random(0), body))
        digest.update(text.encode() + b"\n")
    assert digest.hexdigest() == (
        "9446872366f2e06f8b7a2736f838ab328768780e63f186081bfcd6f8f3e9a064"
    )
