"""Per-model request rules (pure): each refusal with the real API's status, code, param, message."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.catalog import builtin_catalogue, check_request, input_token_count
from mockserver.catalog.rules import CONTEXT_EXCEEDED, counted_body
from mockserver.errors import MockError
from mockserver.openai import tokens, usage
from mockserver.openai.request import parse_request

CATALOGUE = builtin_catalogue()


def _user(text: str) -> list[dict[str, Any]]:
    return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}]


def _refusal(body: dict[str, Any], conversation: list[dict[str, Any]] | None = None) -> MockError:
    with pytest.raises(MockError) as info:
        check_request(body, conversation or _user("hi"), CATALOGUE, strict=False)
    return info.value


REFUSALS = [
    pytest.param(
        {"model": "o3", "temperature": 0.2},
        (400, None, "temperature"),
        "Unsupported parameter: 'temperature' is not supported with this model.",
        id="temperature-on-o3",
    ),
    pytest.param(
        {"model": "gpt-5-mini", "top_p": 0.9},
        (400, None, "top_p"),
        "Unsupported parameter: 'top_p' is not supported with this model.",
        id="top_p-on-gpt-5-mini",
    ),
    pytest.param(
        {"model": "gpt-5.1", "temperature": 0.2, "reasoning": {"effort": "high"}},
        (400, None, "temperature"),
        "Unsupported parameter: 'temperature' is not supported with this model.",
        id="temperature-on-gpt-5.1-when-reasoning",
    ),
    pytest.param(
        {"model": "gpt-4o", "reasoning": {"effort": "low"}},
        (400, "unsupported_parameter", "reasoning.effort"),
        "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
        id="reasoning-on-gpt-4o",
    ),
    pytest.param(
        {"model": "gpt-4.1", "reasoning": {"summary": "auto"}},
        (400, "unsupported_parameter", "reasoning.summary"),
        "Unsupported parameter: 'reasoning.summary' is not supported with this model.",
        id="summary-on-gpt-4.1",
    ),
    pytest.param(
        {"model": "o3", "reasoning": {"effort": "minimal"}},
        (400, "unsupported_value", "reasoning.effort"),
        "Unsupported value: 'minimal' is not supported with this model. "
        "Supported values are: 'low', 'medium', and 'high'.",
        id="minimal-on-o3",
    ),
    pytest.param(
        {"model": "gpt-4o", "include": ["reasoning.encrypted_content"]},
        (400, None, "include"),
        "Encrypted content is not supported with this model.",
        id="encrypted-on-gpt-4o",
    ),
    pytest.param(
        {"model": "gpt-4.1-nano", "tools": [{"type": "web_search_preview"}]},
        (400, None, "tools"),
        "Hosted tool 'web_search_preview' is not supported with gpt-4.1-nano-2025-04-14.",
        id="web-search-on-gpt-4.1-nano",
    ),
    pytest.param(
        {"model": "o3-mini", "tools": [{"type": "web_search_2025_08_26"}]},
        (400, None, "tools"),
        "Hosted tool 'web_search_2025_08_26' is not supported with o3-mini-2025-01-31.",
        id="dated-web-search-on-o3-mini",
    ),
    pytest.param(
        {"model": "o3-deep-research", "tools": [{"type": "code_interpreter"}]},
        (400, None, "tools"),
        "Deep research models require at least one of 'web_search_preview', 'mcp', or "
        "'file_search' tools.",
        id="deep-research-without-search",
    ),
    pytest.param(
        {"model": "gpt-4o", "max_output_tokens": 20000},
        (400, "invalid_value", "max_output_tokens"),
        "max_output_tokens is too large: 20000. This model supports at most 16384 output "
        "tokens, whereas you provided 20000.",
        id="max-output-on-gpt-4o",
    ),
]


@pytest.mark.parametrize(("body", "expected", "message"), REFUSALS)
def test_refusals(body: dict[str, Any], expected: tuple[Any, ...], message: str) -> None:
    err = _refusal(body)
    assert (err.status, err.code, err.param) == expected
    assert err.type == "invalid_request_error"
    assert err.message == message


@pytest.mark.parametrize(
    "body",
    [
        {"model": "o3", "temperature": None, "top_p": None},  # null is "not sent"
        {"model": "gpt-5.1", "temperature": 0.3, "top_p": 0.5},  # default effort none samples
        {"model": "gpt-5.1", "temperature": 0.3, "reasoning": {"effort": "none"}},
        {"model": "gpt-4o", "temperature": 0.1, "reasoning": {"effort": None}},
        {"model": "gpt-4o", "reasoning": {}},
        {"model": "o3", "reasoning": {"effort": "high", "summary": "detailed"}},
        {"model": "gpt-4o", "tools": [{"type": "function", "name": "f"}, {"type": "custom"}]},
        {"model": "o3-deep-research", "tools": [{"type": "mcp", "server_label": "x"}]},
        {"model": "o3", "include": ["reasoning.encrypted_content"]},
        {"model": "gpt-4o", "max_output_tokens": 16384},
    ],
)
def test_accepted(body: dict[str, Any]) -> None:
    info = check_request(body, _user("hi"), CATALOGUE, strict=False)
    assert info.id == body["model"]


def test_unknown_models_are_lenient_unless_strict() -> None:
    body = {"model": "my-fake-model", "temperature": 2, "max_output_tokens": 10**9}
    info = check_request(body, _user("hi"), CATALOGUE, strict=False)
    assert not info.known and info.response_model == "my-fake-model"
    assert (info.context_window, info.max_output_tokens) == (None, None)
    with pytest.raises(MockError) as refused:
        check_request(body, _user("hi"), CATALOGUE, strict=True)
    err = refused.value
    assert (err.status, err.code, err.param) == (404, "model_not_found", None)
    assert err.message == (
        "The model `my-fake-model` does not exist or you do not have access to it."
    )


def _words(n_tokens: int) -> str:
    """A text of exactly n o200k_base tokens (" hello" is one token)."""
    return "hello" + " hello" * (n_tokens - 1)


FRAMING = usage.PRIMING + usage.PER_MESSAGE  # one user message


def test_the_filler_text_has_the_token_count_it_claims() -> None:
    assert tokens.count(_words(1000)) == 1000


def test_context_window_counts_the_whole_conversation_with_the_tokenizer() -> None:
    earlier = _user(_words(70_000))  # reached through previous_response_id
    current = _user(_words(70_000))
    assert input_token_count({"model": "gpt-4o"}, earlier + current) > 128_000
    err = _refusal({"model": "gpt-4o"}, earlier + current)
    assert (err.status, err.code, err.param) == (400, "context_length_exceeded", "input")
    assert err.message == CONTEXT_EXCEEDED
    check_request({"model": "gpt-4o"}, current, CATALOGUE, strict=False)  # one turn fits


def test_requested_output_counts_against_the_window() -> None:
    conversation = _user(_words(128_000 - FRAMING - 100))
    assert input_token_count({"model": "gpt-4o"}, conversation) == 127_900
    for fits in ({"model": "gpt-4o"}, {"model": "gpt-4o", "max_output_tokens": 100}):
        check_request(fits, conversation, CATALOGUE, strict=False)
    err = _refusal({"model": "gpt-4o", "max_output_tokens": 101}, conversation)
    assert err.code == "context_length_exceeded"


def test_gpt5_has_a_separate_input_limit() -> None:
    at_limit = _user(_words(272_000 - FRAMING))
    check_request({"model": "gpt-5"}, at_limit, CATALOGUE, strict=False)
    over = _user(_words(272_001 - FRAMING))
    assert _refusal({"model": "gpt-5"}, over).code == "context_length_exceeded"


def test_input_token_count_is_usage_input_tokens() -> None:
    conversation = [
        *_user("Tell me a joke."),
        {"type": "function_call", "name": "lookup", "arguments": '{"q": "x"}', "call_id": "c"},
        {"type": "function_call_output", "call_id": "c", "output": "42"},
    ]
    tools = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]
    body = {"model": "gpt-4o", "instructions": "Be brief.", "tools": tools}
    expected = usage.input_tokens("Be brief.", conversation, tools)
    assert input_token_count(body, conversation) == expected
    plain = usage.PRIMING + usage.PER_MESSAGE + tokens.count("Tell me a joke.")
    assert input_token_count({"model": "gpt-4o"}, _user("Tell me a joke.")) == plain


def test_short_requests_are_never_tokenized(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str) -> int:
        raise AssertionError("counted a request that is short in bytes")

    monkeypatch.setattr(tokens, "count", refuse)
    check_request({"model": "gpt-4o"}, _user("hello " * 1000), CATALOGUE, strict=False)


def test_special_tokens_and_huge_texts_are_counted_not_refused() -> None:
    # bpe-openai refuses "<|endoftext|>" and texts over 1M characters by default.
    assert tokens.count("a <|endoftext|> b") > 3
    huge = _words(300_000)  # 1.8M characters, more than one encoder call takes
    assert tokens.count(huge) == 300_000
    err = _refusal({"model": "gpt-4o"}, _user(huge))
    assert err.code == "context_length_exceeded"


def _checked(body: dict[str, Any], conversation: list[dict[str, Any]], strict: bool) -> Any:
    try:
        return check_request(body, conversation, CATALOGUE, strict)
    except MockError as exc:
        return (exc.status, exc.code, exc.param, exc.message)


@pytest.mark.parametrize(
    "body",
    [{"model": "gpt-4o", "input": "hi"}, {"model": "gpt-4o", "input": "hi", "tools": None},
     {"model": "o3", "input": "hi", "temperature": 0.5}, {"model": "nope", "input": "hi"},
     {"model": "gpt-4o", "input": "hello " * 30_000, "max_output_tokens": 20_000},
     {"model": "ft:gpt-4o:org:x", "input": "hi", "instructions": "be brief"}],
)  # fmt: skip
def test_a_body_that_sends_no_tools_is_counted_as_sent(body: dict[str, Any]) -> None:
    """counted_body does not copy a body that names its model and sends no tools: the rules
    and the token count read it as they read the copy with `tools: []`."""
    req = parse_request(body, strict=False)
    assert counted_body(req) is req.raw
    copy = {**req.raw, "model": req.model, "tools": req.tools}
    conversation = req.input_items
    assert input_token_count(req.raw, conversation) == input_token_count(copy, conversation)
    for strict in (False, True):
        assert _checked(req.raw, conversation, strict) == _checked(copy, conversation, strict)


def _outcome(body: dict[str, Any]) -> Any:
    try:
        return check_request(body, _user(body["input"]), CATALOGUE, strict=False)
    except MockError as exc:
        return (exc.status, exc.code, exc.param, exc.message)


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-5", "o3", "o3-deep-research", "my-model"])
@pytest.mark.parametrize("words", [10, 5_332, 5_334, 127_990, 128_000])  # 5_333: 4 x 32k bytes
def test_a_body_of_only_model_and_a_string_is_checked_as_any_other(model: str, words: int) -> None:
    """The shortcut for a body of only `model` and a string input (its bytes bound within
    the window) answers as the whole check of the same request with one more key does."""
    text = _words(words)
    plain = {"model": model, "input": text}
    assert _outcome(plain) == _outcome({**plain, "store": True})
