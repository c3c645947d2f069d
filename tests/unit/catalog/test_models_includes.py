"""include[]: included parts appear (scripted or generated), the rest are hidden as the API does."""

from __future__ import annotations

import random
from typing import Any

import pytest
from specschema import validate

from mockserver.catalog import (
    apply_includes,
    apply_input_includes,
    builtin_catalogue,
    check_include,
    unknown_model,
)
from mockserver.errors import MockError

MESSAGE: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "status": "completed",
    "role": "assistant",
    "content": [
        {"type": "output_text", "text": "Hi there, friend.", "annotations": [], "logprobs": []}
    ],
}
REASONING: dict[str, Any] = {"id": "rs_1", "type": "reasoning", "summary": []}
FILE_SEARCH: dict[str, Any] = {
    "id": "fs_1",
    "type": "file_search_call",
    "status": "completed",
    "queries": ["refund policy"],
    "results": None,
}
WEB_SEARCH: dict[str, Any] = {
    "id": "ws_1",
    "type": "web_search_call",
    "status": "completed",
    "action": {"type": "search", "query": "weather in Paris"},
}
CODE: dict[str, Any] = {
    "id": "ci_1",
    "type": "code_interpreter_call",
    "status": "completed",
    "container_id": "cntr_1",
    "code": "print(6 * 7)",
    "outputs": [{"type": "logs", "logs": "42"}],
}
ITEMS: list[dict[str, Any]] = [REASONING, FILE_SEARCH, WEB_SEARCH, CODE, MESSAGE]
EVERYTHING = [
    "message.output_text.logprobs",
    "reasoning.encrypted_content",
    "file_search_call.results",
    "web_search_call.action.sources",
    "code_interpreter_call.outputs",
]


def _by_type(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["type"]: item for item in items}


def test_everything_included_is_filled_in_and_spec_valid() -> None:
    out = _by_type(apply_includes(ITEMS, EVERYTHING, random.Random(1), top_logprobs=2))
    logprobs = out["message"]["content"][0]["logprobs"]
    assert "".join(lp["token"] for lp in logprobs) == "Hi there, friend."
    assert all(len(lp["top_logprobs"]) == 2 for lp in logprobs)
    assert out["reasoning"]["encrypted_content"].startswith("gAAAAA")
    results = out["file_search_call"]["results"]
    assert 1 <= len(results) <= 3 and all(r["file_id"].startswith("file-") for r in results)
    sources = out["web_search_call"]["action"]["sources"]
    assert len(sources) >= 2 and all(s["url"].endswith("/weather_in_Paris") for s in sources)
    assert out["code_interpreter_call"]["outputs"] == [{"type": "logs", "logs": "42"}]
    for item in out.values():
        validate(item, "OutputItem")


def test_nothing_included_hides_even_scripted_parts() -> None:
    scripted: list[dict[str, Any]] = [
        {**REASONING, "encrypted_content": "gAAAAAscripted"},
        {**FILE_SEARCH, "results": [{"file_id": "file-1", "text": "t", "score": 0.5}]},
        {
            **WEB_SEARCH,
            "action": {**WEB_SEARCH["action"], "sources": [{"type": "url", "url": "https://a.b/"}]},
        },
        CODE,
        {**MESSAGE, "content": [{**MESSAGE["content"][0], "logprobs": [{"token": "x"}]}]},
    ]
    out = _by_type(apply_includes(scripted, [], random.Random(1)))
    assert "encrypted_content" not in out["reasoning"]
    assert out["file_search_call"]["results"] is None
    assert "sources" not in out["web_search_call"]["action"]
    assert out["code_interpreter_call"]["outputs"] is None
    assert out["message"]["content"][0]["logprobs"] == []
    for item in out.values():
        validate(item, "OutputItem")
    assert scripted[0]["encrypted_content"] == "gAAAAAscripted"  # the inputs are not touched


def test_scripted_parts_are_kept_when_included() -> None:
    results = [
        {"file_id": "file-1", "filename": "a.pdf", "text": "t", "score": 0.5, "attributes": {}}
    ]
    out = apply_includes(
        [{**FILE_SEARCH, "results": results}], ["file_search_call.results"], random.Random()
    )
    assert out[0]["results"] == results


def test_reasoning_runs_carry_no_logprobs() -> None:
    out = apply_includes(
        [MESSAGE], ["message.output_text.logprobs"], random.Random(), with_logprobs=False
    )
    assert out[0]["content"][0]["logprobs"] == []


def test_included_outputs_missing_become_an_empty_list() -> None:
    out = apply_includes(
        [{**CODE, "outputs": None}], ["code_interpreter_call.outputs"], random.Random()
    )
    assert out[0]["outputs"] == []


def test_deterministic() -> None:
    one = apply_includes(ITEMS, EVERYTHING, random.Random(9), top_logprobs=5)
    two = apply_includes(ITEMS, EVERYTHING, random.Random(9), top_logprobs=5)
    assert one == two


def test_input_image_and_screenshot_urls_only_when_included() -> None:
    items: list[dict[str, Any]] = [
        {
            "id": "msg_2",
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": "https://x.y/cat.png", "detail": "auto"},
            ],
        },
        {
            "id": "cuo_1",
            "type": "computer_call_output",
            "call_id": "call_1",
            "status": "completed",
            "output": {"type": "computer_screenshot", "image_url": "data:image/png;base64,AAAA"},
        },
    ]
    hidden = apply_input_includes(items, [])
    assert hidden[0]["content"][1]["image_url"] is None
    assert "image_url" not in hidden[1]["output"]
    shown = apply_input_includes(
        items, ["message.input_image.image_url", "computer_call_output.output.image_url"]
    )
    assert shown == items
    for item in hidden + shown:
        validate(item, "ItemResource")


@pytest.mark.parametrize(
    ("model", "refused"),
    [
        ("gpt-4o", True),
        ("gpt-4.1-mini", True),
        ("o4-mini", False),
        ("gpt-5", False),
        ("made-up", False),
    ],
)
def test_encrypted_content_needs_a_reasoning_model(model: str, refused: bool) -> None:
    info = builtin_catalogue().get(model) or unknown_model(model)
    if refused:
        with pytest.raises(MockError) as err:
            check_include(["reasoning.encrypted_content"], info)
        assert (err.value.status, err.value.param) == (400, "include")
    else:
        check_include(["reasoning.encrypted_content"], info)
    check_include(["message.output_text.logprobs"], info)
