"""The zero-config model: a plausible, deterministic answer to any valid request.

Text is faker's lorem words; a required tool gets a function_call whose arguments validate against
the tool's JSON Schema (with `namespace` for a namespaced one), or a custom_tool_call;
`text.format: json_schema` gets JSON valid against the schema.
What a schema may cost is bounded by a Budget (budget.py): the caller passes one to read its
`notes` afterwards (what a bound cut, for the journal), or gets the request's default.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import struct
from typing import Any

import orjson
from faker import Faker

from mockserver.lazy_random import LazyRandom
from mockserver.openai.request import ResponseRequest
from mockserver.openai.tools import CALLABLE_KINDS, OfferedTool, find_choice, offered_tools
from mockserver.plan import (
    FunctionCallPlan,
    ItemPlan,
    MessagePlan,
    Plan,
    VerbatimPlan,
    model_json,
)
from mockserver.zeroconfig.budget import Budget, for_output_tokens
from mockserver.zeroconfig.regex_values import string_matching
from mockserver.zeroconfig.schema_values import SchemaValues


@functools.cache
def _faker() -> Faker:
    # One instance, re-seeded before every use: creating one costs ~0.2 s.
    return Faker("en_US")


def warm() -> None:
    _faker()


def faker_for(rng: random.Random) -> Faker:
    fake = _faker()
    fake.seed_instance(rng.getrandbits(64))
    return fake


def json_for_schema(
    schema: dict[str, Any], rng: random.Random, budget: Budget | None = None
) -> Any:
    """A value valid against schema, drawn from rng, within budget (default: 64 KB)."""
    return SchemaValues(faker_for(rng), rng, schema, budget).value(schema)


def budget_for(req: ResponseRequest) -> Budget:
    """The budget of a generated answer to req: 64 KB, fewer under a small max_output_tokens."""
    return for_output_tokens(req.max_output_tokens)


# Fields that change how an answer is delivered or kept, not what the model writes: the same
# prompt streamed, stored, cut by max_output_tokens or tagged gets the same text.
_NOT_CONTENT = frozenset(
    {"stream", "stream_options", "store", "background", "max_output_tokens", "metadata", "user",
     "safety_identifier", "prompt_cache_key", "service_tier", "include"}
)  # fmt: skip


# What orjson refuses (integers past 64 bits) is encoded by the standard library.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_rng(seed: int | None, fallback: random.Random, body: dict[str, Any]) -> random.Random:
    """With a seed, the answer depends only on the seed and the request, not on request order."""
    if seed is None:
        return LazyRandom(fallback.getrandbits(64))
    # Digested on the first draw only: a scripted answer usually never draws from it.
    return LazyRandom.deferred(functools.partial(content_seed, seed, body))


def content_seed(seed: int, body: dict[str, Any]) -> int:
    """An integer seed from the seed and what the request asks (`_NOT_CONTENT` left out):
    128 bits of SHA-256 over the content as compact JSON with sorted keys, written by orjson
    (~10x faster than the standard library on a 13 KB body; floats in its notation)."""
    content = {k: v for k, v in body.items() if k not in _NOT_CONTENT}
    try:
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        canonical = _CANONICAL.encode(content).encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(b"%d:%b" % (seed, canonical)).digest()
    return int.from_bytes(digest[:16], "big")


def plan_for(req: ResponseRequest, rng: random.Random, budget: Budget | None = None) -> Plan:
    """The zero-config answer to req. Pass a budget (`budget_for(req)`) to read its notes."""
    budget = budget if budget is not None else budget_for(req)
    items: list[ItemPlan] = []
    tool = forced_tool(req)
    if tool is not None:
        items.append(_tool_call(tool, rng, budget))
    else:
        items.append(MessagePlan(text=answer_text(req, rng, budget)))
    return Plan(items=tuple(items))


def forced_tool(req: ResponseRequest) -> OfferedTool | None:
    """The function or custom tool that tool_choice obliges the model to call, if any: among
    every tool offered (namespaced, additional_tools), one offered up front first."""
    choice = req.tool_choice
    if not isinstance(choice, dict) and choice != "required":
        return None  # auto or none: nothing obliges a call (the tools are not even listed)
    offered = [t for t in offered_tools(req.tools, req.input_items) if t.callable]
    offered.sort(key=lambda t: t.deferred)  # stable: the request's order otherwise
    if isinstance(choice, dict) and choice.get("type") in CALLABLE_KINDS:
        return find_choice(offered, choice)
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        allowed = [t for t in choice.get("tools", []) if isinstance(t, dict)]
        named = [t for t in offered if any(find_choice([t], a) for a in allowed)]
        return named[0] if named and choice.get("mode") == "required" else None
    if choice == "required" and offered:
        return offered[0]
    return None


def _tool_call(tool: OfferedTool, rng: random.Random, budget: Budget) -> ItemPlan:
    if tool.kind == "custom":
        return _custom_tool_call(tool, rng, budget)
    schema = tool.spec.get("parameters") or {"type": "object", "properties": {}}
    args = json_for_schema(schema, rng, budget)
    return FunctionCallPlan(name=tool.name, arguments=model_json(args), namespace=tool.namespace)


def _custom_tool_call(tool: OfferedTool, rng: random.Random, budget: Budget) -> VerbatimPlan:
    """A custom_tool_call: input matching the tool's regex grammar, else a sentence (a lark
    grammar is not drawn from)."""
    fmt = tool.spec.get("format")
    text = None
    if isinstance(fmt, dict) and fmt.get("type") == "grammar" and fmt.get("syntax") == "regex":
        definition = str(fmt.get("definition", ""))
        text = string_matching(f"^(?:{definition})$", rng, budget=budget)
    if text is None:
        text = lorem_sentences(rng, 1, 1)[0]
    call: dict[str, Any] = {"type": "custom_tool_call", "status": "completed", "call_id": ""}
    if tool.namespace is not None:
        call["namespace"] = tool.namespace
    return VerbatimPlan({**call, "name": tool.name, "input": text})


def answer_text(req: ResponseRequest, rng: random.Random, budget: Budget | None = None) -> str:
    fmt = req.text.get("format") or {}
    if fmt.get("type") == "json_schema":
        return model_json(json_for_schema(fmt["schema"], rng, budget))
    if fmt.get("type") == "json_object":
        sentence = lorem_sentences(rng, 1, 1)[0]
        return model_json({"answer": sentence, "confidence": round(rng.random(), 2)})
    return " ".join(lorem_sentences(rng, 2, 6))


# faker's lorem sentence: 6 words +/-40%, i.e. `int(6 * randint(60, 140) / 100)`: 3 to 8 words.
_WORDS_PER_SENTENCE = tuple(int(6 * spread / 100) for spread in range(60, 141))
_MOST_WORDS = max(_WORDS_PER_SENTENCE)


def lorem_sentences(rng: random.Random, fewest: int, most: int) -> list[str]:
    """Between fewest and most sentences shaped as faker's lorem `sentences` makes them: its
    word list, 3 to 8 words as its `sentence` draws them, the first title-cased, a period.

    All of it comes from one draw of 32-bit values (`rng.randbytes`), enough for the longest
    answer, each value taken modulo what it picks from: faker draws a number per word
    (`random.choices`, two Python calls deep each), and this runs for every zero-config answer.
    """
    layout = _layout(most)
    values = layout.unpack(rng.randbytes(layout.size))
    words = _lorem_words()
    size, shapes = len(words), len(_WORDS_PER_SENTENCE)
    nb = fewest + values[0] % (most - fewest + 1)
    sentences = []
    at = 1 + most
    for lengths in values[1 : 1 + nb]:
        count = _WORDS_PER_SENTENCE[lengths % shapes]
        picked = [words[v % size] for v in values[at : at + count]]
        at += count
        picked[0] = picked[0].title()
        sentences.append(" ".join(picked) + ".")
    return sentences


@functools.lru_cache(maxsize=8)  # `most` is one of the few the callers above pass
def _layout(most: int) -> struct.Struct:
    """The values lorem_sentences draws: how many sentences, each one's length, the words."""
    return struct.Struct(f"<{1 + most + most * _MOST_WORDS}I")


@functools.cache
def _lorem_words() -> tuple[str, ...]:
    return tuple(_faker().get_words_list())
