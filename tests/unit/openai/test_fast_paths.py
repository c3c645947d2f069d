"""The hot path's shortcuts in usage and the Response agree with the definitions they skip."""

from __future__ import annotations

import random
from typing import Any

import pytest

from mockserver.openai import tokens, usage
from mockserver.openai.ids import IdFactory
from mockserver.openai.request import parse_request
from mockserver.openai.response import _echo_request, _reasoning, build_response
from mockserver.openai.texts import message_text
from mockserver.openai.tool_prompt import response_format_text

CONTENTS: list[Any] = [
    "plain text",
    "",
    None,
    42,
    [],
    [{"type": "input_text", "text": "one part"}],
    [{"type": "output_text", "text": "one part", "annotations": []}],
    [{"type": "refusal", "refusal": "I cannot."}],
    [{"type": "refusal", "refusal": ""}],
    [{"type": "refusal", "refusal": None}],
    [{"type": "input_image", "image_url": "https://x/y.png"}],
    [{"type": "input_text", "text": 7}],
    [{"type": "input_text", "text": "two"}, {"type": "input_text", "text": "parts"}],
    [{"type": "output_text", "text": "said"}, {"type": "refusal", "refusal": "and refused"}],
    ["not a part", {"type": "input_text", "text": "after it"}],
]


def _defined(item: dict[str, Any]) -> int:
    """A message's tokens by the definition: its message_text, and each refusal part."""
    content = item.get("content")
    parts = content if isinstance(content, list) else []
    refusals = sum(tokens.count(p.get("refusal", "")) for p in parts if isinstance(p, dict))
    return tokens.count(message_text(item)) + refusals


@pytest.mark.parametrize("content", CONTENTS)
def test_message_tokens_are_message_text_and_refusals(content: Any) -> None:
    item = {"type": "message", "role": "user", "content": content}
    assert usage.item_tokens(item) == usage.PER_MESSAGE + _defined(item)
    assert usage.output_tokens([item]) == _defined(item)


@pytest.mark.parametrize(
    "text_format",
    [
        None,
        {"type": "text"},
        {"type": "json_object"},
        {"type": "json_schema", "name": "a", "schema": {"type": "object"}},
        "text",
    ],
)
def test_a_format_counts_as_the_section_it_writes(text_format: Any) -> None:
    items = [{"type": "message", "role": "user", "content": "hi"}]
    written = response_format_text(text_format)
    extra = tokens.count(written) + usage.PER_MESSAGE if written else 0
    assert usage.input_tokens(None, items, [], text_format) == (
        usage.input_tokens(None, items, []) + extra
    )


@pytest.mark.parametrize("effort", [None, "low"])
def test_reasoning_left_unset_is_what_reasoning_gives_for_nothing(effort: str | None) -> None:
    req = parse_request({"model": "gpt-4o", "input": "hi"}, strict=False)
    response = build_response(
        req, rid="resp_1", created_at=1, status="completed", output=[], usage=None, effort=effort
    )
    assert response["reasoning"] == _reasoning({}, effort, {})


def test_hex_ids_are_the_formatted_random_bits() -> None:
    ids, bits = IdFactory(random.Random(3)), random.Random(3)
    for prefix in ("resp", "msg", "fc"):
        assert ids.hex_id(prefix) == f"{prefix}_{bits.getrandbits(200):050x}"


def test_known_is_the_cached_count() -> None:
    text = "A text counted once, then known."
    assert tokens.known(text) in (None, tokens.count(text))
    counted = tokens.count(text)
    assert tokens.known(text) == counted == len(tokens._encode(text))


@pytest.mark.parametrize("text", ["hi", [{"type": "message", "role": "user", "content": "hi"}]])
def test_a_body_of_model_and_input_leaves_what_echo_request_writes_unset(text: Any) -> None:
    """build_response skips _echo_request for such a body: it would change nothing."""
    req = parse_request({"model": "gpt-4o", "input": text}, strict=True)
    response = build_response(
        req, rid="resp_1", created_at=1, status="completed", output=[], usage=None
    )
    echoed = dict(response)
    _echo_request(echoed, req, [])
    assert echoed == response


@pytest.mark.parametrize("text", ["", "hi", "Say hello.", "Grüße 世界 🎉", "\ud800"])
def test_text_input_tokens_is_input_tokens_of_its_one_message(text: str) -> None:
    items = parse_request({"model": "gpt-4o", "input": text}, strict=True).input_items
    expected = usage.input_tokens(None, items, [], None)
    assert usage.text_input_tokens(text) == expected  # counted now or known
    assert usage.text_input_tokens(text) == expected
