"""The shortcuts on the non-streaming create path give the results of the code they replace:
include[] copies, the context-size bound, plans left alone. (The zero-config text is no longer
faker's `sentences` draw for draw: tests/unit/zeroconfig/test_generate.py checks its shape.)"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

from mockserver.catalog import reasoning, rules
from mockserver.catalog.includes import _json_copy, apply_includes
from mockserver.catalog.models import unknown_model
from mockserver.lazy_random import LazyRandom
from mockserver.openai.request import parse_request
from mockserver.plan import MessagePlan, Plan


def test_json_copy_is_a_deep_copy_that_keeps_shared_parts_shared() -> None:
    shared: dict[str, Any] = {"k": [1, 2, {"x": None}]}
    value: dict[str, Any] = {
        "a": shared,
        "b": shared,
        "c": [1.5, "s", True, (1, [2])],
        "d": {"e": []},
    }
    copied = _json_copy(value, {})
    assert copied == copy.deepcopy(value)
    assert copied["a"] is copied["b"] and copied["a"] is not shared
    assert copied["c"][3][1] is not value["c"][3][1]  # other containers go to deepcopy
    copied["a"]["k"][2]["x"] = 1
    assert shared["k"][2]["x"] is None


def test_apply_includes_leaves_its_input_untouched() -> None:
    part = {"type": "output_text", "text": "hi", "annotations": []}
    items = [{"type": "message", "content": [part]}, {"type": "message", "content": [part]}]
    before = copy.deepcopy(items)
    out = apply_includes(items, None, random.Random(1))
    assert items == before
    assert out[0]["content"][0]["logprobs"] == [] and out[1]["content"][0]["logprobs"] == []


def test_bytes_bound_is_at_least_the_old_bound() -> None:
    conversations: list[list[dict[str, Any]]] = [
        [{"role": "user", "content": "hello " * 50}],
        [{"role": "user", "content": [{"type": "input_text", "text": "Grüße 世界"}]}] * 3,
        [{"type": "function_call_output", "call_id": "c", "output": '{"a": [1, 2, 3]}'}],
        [{"role": "user", "content": "x", "big": 10**40}],  # orjson refuses: the slow way
    ]
    for conversation in conversations:
        body = {"instructions": "be brief", "tools": [{"type": "function", "name": "f"}]}
        parts = [body["instructions"], conversation, body["tools"]]
        old = len(json.dumps(parts, ensure_ascii=False, default=str).encode())
        assert rules._bytes_bound(body, conversation) >= old


def test_bytes_bound_of_a_lone_string_bounds_its_tokens() -> None:
    """A string input alone is bounded by its length: however its characters tokenise (and
    a lone surrogate is counted as U+FFFD)."""
    texts = ["", "hi", "hello " * 300, "Grüße 世界 🎉🎉", "\ud800 lone", "\x00\x01\n\t", "🎉" * 50]
    rng = random.Random(5)
    texts += ["".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(40)) for _ in range(20)]
    for text in texts:
        body = {"model": "gpt-4o", "input": text}
        req = parse_request(body, strict=True)
        conversation = req.input_items
        assert rules._bytes_bound(body, conversation) >= rules.input_token_count(body, conversation)
        assert rules._bytes_bound(body, conversation) == 4 * len(text) + 7  # the shortcut
    # With anything else the model reads, the bound is the compact JSON's.
    extras: list[dict[str, Any]] = [
        {"instructions": "x"},
        {"tools": [{"type": "web_search"}]},
        {"text": {}},
    ]
    for extra in extras:
        body = {"model": "gpt-4o", "input": "hi", **extra}
        items = parse_request({"input": "hi", "model": "gpt-4o"}, strict=True).input_items
        assert rules._bytes_bound(body, items) != 4 * 2 + 7
    body = {"model": "gpt-4o", "input": "hi"}
    earlier = [{"role": "assistant", "content": "hello " * 100}]
    assert rules._bytes_bound(body, earlier + items) >= rules.input_token_count(
        body, earlier + items
    )


def test_with_reasoning_keeps_a_plan_it_does_not_change() -> None:
    plan = Plan(items=(MessagePlan(text="hi"),), scenario="s", rule="r")
    assert reasoning.with_reasoning(plan, {}, unknown_model("x"), lambda: random.Random(0)) is plan


def test_lazy_random_draws_what_random_random_draws() -> None:
    draws: list[Callable[[random.Random], object]] = [
        lambda g: g.random(),
        lambda g: g.getrandbits(64),
        lambda g: g.randint(2, 6),
        lambda g: g.choices(range(100), k=5),
        lambda g: g.sample(range(100), 3),
        lambda g: g.gauss(0, 1),
        lambda g: g.randbytes(5),
    ]
    for seed in ["answer/7/s/r/3", 12345, 2**70 + 3]:
        lazy = LazyRandom(seed)
        plain = random.Random(seed)  # type: ignore[arg-type]
        assert [d(lazy) for d in draws * 2] == [d(plain) for d in draws * 2]
        assert lazy.getstate() == plain.getstate()
    assert copy.deepcopy(LazyRandom("s")).random() == random.Random("s").random()


def test_reserved_bits_come_first_whoever_asks_first() -> None:
    plain = random.Random("s")
    first, then = plain.getrandbits(64), plain.random()
    lazy = LazyRandom("s", reserve_bits=64)
    assert (lazy.random(), lazy.reserved()) == (then, first)
    lazy = LazyRandom("s", reserve_bits=64)
    assert (lazy.reserved(), lazy.random()) == (first, then)
