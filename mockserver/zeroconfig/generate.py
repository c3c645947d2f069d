"""The zero-config model: a plausible, deterministic answer to any valid request.

Text is faker's lorem words; a required tool gets a function_call whose arguments validate against
the tool's JSON Schema (with `namespace` for a namespaced one), or a custom_tool_call;
`text.format: json_schema` gets JSON valid against the schema.
What a schema may cost is bounded by a Budget (budget.py), made only when a value is drawn
from a schema or a pattern: the caller passes the list its `notes` go to (what a bound cut,
for the journal). All of it draws from the request's ContentStream (BLAKE2b, keyed by the
seed and the request's content).
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import random
import struct
import types
from typing import TYPE_CHECKING, Any

import orjson
from faker import Faker

from mockserver.openai.request import ResponseRequest
from mockserver.openai.tools import CALLABLE_KINDS, OfferedTool, find_choice, offered_tools
from mockserver.plan import (
    FunctionCallPlan,
    ItemPlan,
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
    _lorem_tables()  # and faker


def faker_for(rng: random.Random) -> Faker:
    fake = _faker()
    fake.seed_instance(rng.getrandbits(64))
    return fake


def json_for_schema(
    schema: dict[str, Any], rng: random.Random, budget: Budget | None = None
) -> Any:
    """A value valid against schema, drawn from rng, within budget (default: 64 KB)."""
    return SchemaValues(faker_for(rng), rng, schema, budget).value(schema)


def json_for_answer(
    req: ResponseRequest, notes: list[str], schema: dict[str, Any], rng: random.Random
) -> Any:
    """json_for_schema within the budget of an answer to req (`budget_for`), its notes in
    `notes`: what a scenario's reply draws from a schema (bind req and notes first)."""
    return json_for_schema(schema, rng, budget_for(req, notes))


def budget_for(req: ResponseRequest, notes: list[str] | None = None) -> Budget:
    """The budget of a generated answer to req: 64 KB, fewer under a small max_output_tokens;
    what it cuts is noted in `notes` (the caller journals them)."""
    return for_output_tokens(req.max_output_tokens, notes)


# Fields that change how an answer is delivered or kept, not what the model writes: the same
# prompt streamed, stored, cut by max_output_tokens or tagged gets the same text.
_NOT_CONTENT = frozenset(
    {"stream", "stream_options", "store", "background", "max_output_tokens", "metadata", "user",
     "safety_identifier", "prompt_cache_key", "service_tier", "include"}
)  # fmt: skip


# What orjson refuses (integers past 64 bits) is encoded by the standard library.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_BLOCK = 64  # bytes of one BLAKE2b-512 block of the stream
_EPSILON = 2.0**-53
_blake2b = hashlib.blake2b  # random(): 53 bits of the stream, as random.Random makes a float


def _drawn_as_random() -> type:
    """A class with random.Random's methods written in Python (`choice`, `randint`, `sample`,
    `shuffle`, `uniform`, `gauss`...; the dunders, seeding and state left out): each draws
    through `getrandbits` or `random` (`_randbelow` through `getrandbits`), so a subclass that
    defines those two draws as a random.Random subclass would, without random.Random's C base,
    which allocates and zeroes a Mersenne Twister state (2.5 KB) in every instance."""
    left_out = {"__init__", "seed", "getstate", "setstate", "randbytes"}
    methods = {
        name: value
        for name, value in vars(random.Random).items()
        if isinstance(value, types.FunctionType)
        and not name.startswith("__")
        and name not in left_out
    }
    return type("_DrawnAsRandom", (), methods)


if TYPE_CHECKING:  # a random.Random to the type checker: it has all of its methods
    _DrawnAsRandom = random.Random
else:
    _DrawnAsRandom = _drawn_as_random()


class ContentStream(_DrawnAsRandom):
    """The randomness of one request's generated content (the Turn's `rng`).

    With a seed, the answer depends only on the seed and the request, not on request order:
    the stream is keyed by `content_key(seed, body)`; without one, by 64 bits of the tenant's
    stream (`fallback`). The bytes are BLAKE2b-512 in counter mode (block i: the hash of i
    under the key), made as draws need them; the key is digested on the first draw only (a
    scripted answer usually never draws). Every draw of random.Random goes through
    `getrandbits` or `random` (and `randbytes` here), so `choice`, `randint`, `sample`... (its
    methods, `_DrawnAsRandom`) all read this stream; it has no Mersenne Twister at all (not a
    random.Random instance: its C part allocates one, ~4k instructions a request).
    """

    # Until the first draw sets them, read from the class: a line of __init__ less each.
    _pool = b""  # the stream's bytes made so far
    _at = 0  # the next byte to draw
    gauss_next = None  # random.Random's state of `gauss`

    def __init__(self, seed: int | None, fallback: random.Random, body: dict[str, Any]) -> None:
        self._seed, self._body = seed, body
        self._key = None if seed is not None else fallback.getrandbits(64).to_bytes(8, "little")

    def randbytes(self, n: int) -> bytes:
        at = self._at
        end = at + n
        if end > len(self._pool):
            self._extend(end)
        elif n < 0:  # (then end < at: never past the pool)
            raise ValueError("negative byte count")
        self._at = end
        return self._pool[at:end]

    def getrandbits(self, k: int, /) -> int:
        if k <= 0:
            if k < 0:
                raise ValueError("number of bits must be non-negative")
            return 0
        size = (k + 7) // 8
        return int.from_bytes(self.randbytes(size), "little") >> (8 * size - k)

    def random(self) -> float:
        return (int.from_bytes(self.randbytes(7), "little") >> 3) * _EPSILON

    def _extend(self, end: int) -> None:
        key = self._key or self._keyed()  # digested at the first draw only
        pool = self._pool
        for index in range(len(pool) // _BLOCK, -(-end // _BLOCK)):
            pool += _blake2b(index.to_bytes(8, "little"), key=key).digest()
        self._pool = pool

    def seed(self, a: Any = None, version: int = 2) -> None:
        raise TypeError("a ContentStream is keyed by its request; it is not re-seeded")

    def _keyed(self) -> bytes:
        if self._key is None:
            assert self._seed is not None
            self._key = content_key(self._seed, self._body)
        return self._key

    def getstate(self) -> tuple[Any, ...]:
        """The key (digested now if it was not) and how many bytes were drawn."""
        return (self._keyed(), self._at)

    def setstate(self, state: tuple[Any, ...]) -> None:
        self._key, self._at = state
        self._pool, self._seed, self._body, self.gauss_next = b"", None, {}, None

    def __reduce__(self) -> tuple[Any, ...]:  # copy, deepcopy, pickle
        return (_resumed, self.getstate())


def _resumed(key: bytes, at: int) -> ContentStream:
    stream = ContentStream.__new__(ContentStream)
    stream.setstate((key, at))
    return stream


def content_key(seed: int, body: dict[str, Any]) -> bytes:
    """The key of a seeded request's content stream: 256 bits of BLAKE2b over the seed and
    what the request asks (`_NOT_CONTENT` left out) as compact JSON with sorted keys, written
    by orjson (~10x faster than the standard library on a 13 KB body; floats in its notation),
    so key order and whitespace do not matter."""
    content = (
        body
        if _NOT_CONTENT.isdisjoint(body)
        else {k: v for k, v in body.items() if k not in _NOT_CONTENT}
    )
    try:
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        canonical = _CANONICAL.encode(content).encode("utf-8", "surrogatepass")
    hasher = _seeded_hasher(seed).copy()
    hasher.update(canonical)
    return hasher.digest()


@functools.lru_cache(maxsize=16)  # a server has one seed (tests a few)
def _seeded_hasher(seed: int) -> hashlib.blake2b:
    """content_key's hash of `seed:`, before the content: a copy costs less than making one
    (its parameters parsed and set up again) and formatting the seed into the data, ~2.5k
    instructions a request."""
    hasher = hashlib.blake2b(digest_size=32)
    hasher.update(b"%d:" % seed)
    return hasher


def plan_for(req: ResponseRequest, rng: random.Random, notes: list[str] | None = None) -> Plan:
    """The zero-config answer to req. What a generation bound cut is noted in `notes` (the
    journal's): the budget (`budget_for`) is made only for a value drawn from a schema or a
    pattern, the text of a plain answer needs none."""
    tool = forced_tool(req)
    if tool is not None:
        return Plan.of((_tool_call(tool, rng, budget_for(req, notes)),))
    return Plan.of_message(answer_text(req, rng, notes))


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
        text = lorem_text(rng, 1, 1)
    call: dict[str, Any] = {"type": "custom_tool_call", "status": "completed", "call_id": ""}
    if tool.namespace is not None:
        call["namespace"] = tool.namespace
    return VerbatimPlan({**call, "name": tool.name, "input": text})


def answer_text(req: ResponseRequest, rng: random.Random, notes: list[str] | None = None) -> str:
    fmt = req.text.get("format") or {}
    if fmt.get("type") == "json_schema":
        return model_json(json_for_schema(fmt["schema"], rng, budget_for(req, notes)))
    if fmt.get("type") == "json_object":
        sentence = lorem_text(rng, 1, 1)
        return model_json({"answer": sentence, "confidence": round(rng.random(), 2)})
    return lorem_text(rng, 2, 6)


# faker's lorem sentence: 6 words +/-40%, i.e. `int(6 * randint(60, 140) / 100)`: 3 to 8 words.
_WORDS_PER_SENTENCE = tuple(int(6 * spread / 100) for spread in range(60, 141))
# A byte of the stream picks a sentence's length: each of faker's 81 spreads gets 3 or 4 values
# (a `bytes.translate` table: the lengths of all sentences in one call).
_LENGTH_OF_BYTE = bytes(
    _WORDS_PER_SENTENCE[b * len(_WORDS_PER_SENTENCE) // 256] for b in range(256)
)


def lorem_text(rng: random.Random, fewest: int, most: int) -> str:
    """Between fewest and most sentences shaped as faker's lorem `sentences` makes them, joined
    by spaces: its word list, 3 to 8 words as its `sentence` draws them, the first title-cased,
    a period.

    Two draws of bytes (`rng.randbytes`): one for the count and the lengths (a byte each),
    one for the words (16 bits each, looked up in a table of every 16-bit value's word):
    faker draws a number per word (`random.choices`, two Python calls deep each), and this
    runs for every zero-config answer. The words are looked up in one call (itemgetter) and
    joined once; only each sentence's first and last word are changed in Python.
    """
    head = rng.randbytes(1 + most)
    lengths = head[1 : 1 + fewest + head[0] % (most - fewest + 1)].translate(_LENGTH_OF_BYTE)
    total = sum(lengths)
    values = _values(total).unpack(rng.randbytes(2 * total))
    of_value, first_of_value, last_of_value = _lorem_tables()
    words = [*operator.itemgetter(*values)(of_value)]  # 3 words at least: a tuple
    at = 0
    for count in lengths:
        words[at] = first_of_value[values[at]]
        at += count
        words[at - 1] = last_of_value[values[at - 1]]
    return " ".join(words)


@functools.lru_cache(maxsize=64)  # at most 8 words a sentence: 48 for the longest answer
def _values(count: int) -> struct.Struct:
    """The 16-bit values (little-endian) that pick `count` words."""
    return struct.Struct(f"<{count}H")


@functools.cache
def _lorem_words() -> tuple[str, ...]:
    return tuple(_faker().get_words_list())


@functools.cache
def _lorem_tables() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The word each 16-bit value picks, `words[value % len(words)]`, as a sentence's inner
    word, its first (title-cased) and its last (a period): tables of every value's word
    (~0.5 MB each), so that no word is picked by a modulo in Python."""
    words = _lorem_words()
    first, last = tuple(w.title() for w in words), tuple(f"{w}." for w in words)
    return _of_every_value(words), _of_every_value(first), _of_every_value(last)


def _of_every_value(words: tuple[str, ...]) -> tuple[str, ...]:
    """`words[value % len(words)]` for every 16-bit value, in order."""
    return (words * (0x10000 // len(words) + 1))[:0x10000]
