"""Property-based fuzz of POST /v1/responses: bodies shaped like the spec's CreateResponse,
then mutated (a field replaced by any JSON, a required one dropped, unknown keys, non-finite
numbers as text). Whatever arrives, the server answers: never a 5xx, never a traceback, never
non-standard JSON, and within a bounded time. The budget is fixed (derandomized, a set number
of examples) so CI can afford it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fuzzsupport import FUZZ, any_json, check_answer, schema, served
from hypothesis import given
from hypothesis import strategies as st

STATUSES: list[int] = []  # what the fuzzed bodies got, for the test after the fuzz

text_part = st.fixed_dictionaries({"type": st.just("input_text"), "text": st.text(max_size=30)})
message = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["user", "assistant", "system", "developer"]),
        "content": st.text(max_size=30) | st.lists(text_part, min_size=1, max_size=3),
    },
    optional={"type": st.just("message")},
)
function_output = st.fixed_dictionaries(
    {
        "type": st.just("function_call_output"),
        "call_id": st.text(min_size=1, max_size=12),
        "output": st.text(max_size=20),
    }
)
function_tool = st.fixed_dictionaries(
    {"type": st.just("function"), "name": st.from_regex(r"[a-z_]{1,12}", fullmatch=True)},
    optional={"parameters": schema, "strict": st.booleans(), "description": st.text(max_size=20)},
)
text_format = st.one_of(
    st.just({"type": "text"}),
    st.just({"type": "json_object"}),
    st.fixed_dictionaries(
        {
            "type": st.just("json_schema"),
            "name": st.from_regex(r"[a-z]{1,8}", fullmatch=True),
            "schema": schema,
        },
        optional={"strict": st.booleans()},
    ),
)
create_response = st.fixed_dictionaries(
    {
        "model": st.sampled_from(
            ["gpt-4o", "gpt-4o-mini", "gpt-5", "o4-mini", "gpt-4.1", "nope-model"]
        ),
        "input": st.text(max_size=40) | st.lists(message | function_output, max_size=4),
    },
    optional={
        "instructions": st.text(max_size=30) | st.none(),
        "stream": st.booleans(),
        "store": st.booleans(),
        "background": st.booleans(),
        "temperature": st.floats(-1, 3, allow_nan=False),
        "top_p": st.floats(-0.5, 1.5, allow_nan=False),
        "max_output_tokens": st.integers(-5, 5000),
        "metadata": st.dictionaries(st.text(max_size=70), st.text(max_size=600), max_size=18),
        "tools": st.lists(function_tool, max_size=3),
        "tool_choice": st.sampled_from(["auto", "none", "required"])
        | st.fixed_dictionaries({"type": st.just("function"), "name": st.text(max_size=8)}),
        "text": st.fixed_dictionaries({"format": text_format}),
        "parallel_tool_calls": st.booleans(),
        "truncation": st.sampled_from(["auto", "disabled", "sideways"]),
        "reasoning": st.fixed_dictionaries(
            {},
            optional={
                "effort": st.sampled_from(["minimal", "low", "medium", "high", "max"]),
                "summary": st.sampled_from(["auto", "concise", "detailed"]),
            },
        ),
        "previous_response_id": st.text(max_size=20),
        "include": st.lists(
            st.sampled_from(["reasoning.encrypted_content", "message.output_text.logprobs", "x"]),
            max_size=2,
        ),
        "service_tier": st.sampled_from(["auto", "default", "flex", "priority", "turbo"]),
    },
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A CreateResponse body, then up to three mutations; as the bytes sent."""
    body: dict[str, Any] = draw(create_response)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["replace", "drop", "unknown", "nest"]))
        keys = sorted(body)
        if kind == "replace" and keys:
            body[draw(st.sampled_from(keys))] = draw(any_json)
        elif kind == "drop" and keys:
            body.pop(draw(st.sampled_from(keys)))
        elif kind == "unknown":
            body[draw(st.text(max_size=10))] = draw(any_json)
        elif kind == "nest" and keys:
            key = draw(st.sampled_from(keys))
            body[key] = [body[key]] if draw(st.booleans()) else {"value": body[key]}
    raw = json.dumps(body).encode()
    if draw(st.integers(0, 9)) == 0:  # numbers JSON cannot hold, as a client might send them
        constant = draw(st.sampled_from([b"1e999", b"NaN", b"-Infinity"]))
        raw = raw[:-1] + b', "temperature": ' + constant + b"}"
    return raw


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with served(seed=11) as client:
        client.headers.update({"Authorization": "Bearer sk-fuzz"})
        client.headers.update({"Content-Type": "application/json"})
        yield client


def _refuse(constant: str) -> None:
    raise AssertionError(f"{constant} in a JSON answer")


@FUZZ
@given(body=mutated())
def test_any_create_body_gets_an_answer(http: httpx.Client, body: bytes) -> None:
    start = time.monotonic()
    with http.stream("POST", "/v1/responses", content=body) as resp:
        text = resp.read().decode()
    STATUSES.append(resp.status_code)
    check_answer(resp.status_code, text, time.monotonic() - start)
    if resp.headers.get("content-type", "").startswith("application/json"):
        json.loads(text, parse_constant=_refuse)
    else:  # a stream: every data line is standard JSON
        for line in text.splitlines():
            if line.startswith("data: ") and line != "data: [DONE]":
                json.loads(line[6:], parse_constant=_refuse)


def test_the_journal_of_the_fuzzed_traffic_is_standard_json(http: httpx.Client) -> None:
    # The fuzz reached past validation too: some bodies were answered, some refused.
    assert 200 in STATUSES and 400 in STATUSES, STATUSES
    listing = http.get("/_mock/requests?limit=200")
    assert listing.status_code == 200
    json.loads(listing.text, parse_constant=_refuse)
