"""Token usage counted with the real tokenizer: what the model read and what it wrote."""

from __future__ import annotations

from typing import Any

from mockserver.openai import compaction, tokens, tool_prompt
from mockserver.openai.texts import message_text

# Chat-format overhead per message and for priming the answer, as the models count it.
PER_MESSAGE = 4
PRIMING = 3
# Providers cache prompt prefixes in blocks once a prompt is long enough.
CACHE_MIN_TOKENS = 1024
CACHE_BLOCK = 128
# Real usage reports reasoning in multiples of 64 tokens.
REASONING_STEP = 64


def input_tokens(
    instructions: str | None,
    items: list[dict[str, Any]],
    tool_defs: list[dict[str, Any]],
    text_format: Any = None,
) -> int:
    """What the model read: instructions, the items, and the developer message the API writes
    for the function tools and a json_schema response format (openai/tool_prompt.py)."""
    total = PRIMING + (tokens.count(instructions) + PER_MESSAGE if instructions else 0)
    for item in items:
        if item.get("type") == "message":  # the common item, without item_tokens's dispatch
            total += PER_MESSAGE + _message_tokens(item)
        else:
            total += item_tokens(item)
    # No section to write without tools and with no format, or a JSON object whose type is
    # not json_schema (what tool_prompt.response_format_text writes nothing for).
    plain = text_format is None or (
        type(text_format) is dict and text_format.get("type") != "json_schema"
    )
    if tool_defs or not plain:
        total += _tools_and_format_tokens(tool_defs, text_format)
    return total


def text_input_tokens(text: str) -> int:
    """`input_tokens` of a request that reads nothing but a string input (one user message
    of text: no instructions, tools, format or earlier turns), without walking its items."""
    return PRIMING + PER_MESSAGE + (tokens.known(text) or tokens.count(text))


def _tools_and_format_tokens(tool_defs: list[dict[str, Any]], text_format: Any) -> int:
    sections = [tool_prompt.tools_text(tool_defs), tool_prompt.response_format_text(text_format)]
    written = "\n\n".join(s for s in sections if s)
    total = tokens.count(written) + PER_MESSAGE if written else 0
    hosted = [t for t in tool_defs if t.get("type") != "function"]
    return total + (tokens.count_json(hosted) if hosted else 0)


def item_tokens(item: dict[str, Any]) -> int:
    kind = item.get("type")
    if kind == "message":
        return PER_MESSAGE + _message_tokens(item)
    if kind == "function_call":
        return (
            PER_MESSAGE
            + tokens.count(str(item.get("name", "")))
            + tokens.count(str(item.get("arguments", "")))
        )
    if kind == "function_call_output":
        output = item.get("output")
        text = output if isinstance(output, str) else tokens.count_json(output)
        return PER_MESSAGE + (tokens.count(text) if isinstance(text, str) else text)
    if kind == "reasoning":
        return 0  # earlier reasoning is not fed back to the model as text
    if kind == "compaction":  # the model reads the summary, not what it replaced
        return PER_MESSAGE + compaction.summary_size(item.get("encrypted_content"))
    return PER_MESSAGE + tokens.count_json(item)


def _message_tokens(item: dict[str, Any]) -> int:
    """A message's text (joined as message_text joins it) and its refusals. A text counted
    before is looked up without a call (`tokens.known`)."""
    content = item.get("content")
    if isinstance(content, str):
        return tokens.known(content) or tokens.count(content)
    if not isinstance(content, list):
        return 0
    if len(content) == 1 and type(part := content[0]) is dict:  # one part: no joining
        text, refusal = part.get("text"), part.get("refusal")
        written = (tokens.known(text) or tokens.count(text)) if isinstance(text, str) else 0
        return (written + tokens.count(refusal)) if refusal else written  # count("") is 0
    return tokens.count(message_text(item)) + _refusal_tokens(content)


def _refusal_tokens(content: list[Any]) -> int:
    return sum(tokens.count(p.get("refusal", "")) for p in content if isinstance(p, dict))


def output_tokens(output: list[dict[str, Any]]) -> int:
    total = 0
    for item in output:
        kind = item.get("type")
        if kind == "message":
            total += _message_tokens(item)
        elif kind == "function_call":
            total += tokens.count(str(item.get("arguments", ""))) + 2
        elif kind == "reasoning":
            continue  # counted as reasoning_tokens (a summary is not billed on its own)
        else:
            total += 8  # a built-in tool call costs a few tokens to emit
    return total


def cached_tokens(history_tokens: int) -> int:
    """Tokens of the earlier turns a real provider would serve from its prompt cache."""
    if history_tokens < CACHE_MIN_TOKENS:
        return 0
    return history_tokens - history_tokens % CACHE_BLOCK


def scripted_reasoning_tokens(override: dict[str, Any] | None) -> int | None:
    """The reasoning tokens a scenario's `usage:` names (output_tokens_details), or None."""
    details = (override or {}).get("output_tokens_details")
    scripted = details.get("reasoning_tokens") if isinstance(details, dict) else None
    return scripted if isinstance(scripted, int) else None


def usage(
    input_count: int,
    output_count: int,
    reasoning: int,
    cached: int,
    override: dict[str, Any] | None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "input_tokens": input_count,
        "input_tokens_details": {
            # Not min(): in CPython 3.11 it parses keyword arguments first (~1k instructions).
            "cached_tokens": cached if cached < input_count else input_count,
            "cache_write_tokens": 0,
        },
        "output_tokens": output_count + reasoning,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_count + output_count + reasoning,
    }
    if override:
        _merge(result, override)
        if reasoning:  # counted from the scripted number, kept within max_output_tokens
            result["output_tokens_details"]["reasoning_tokens"] = reasoning
        if "total_tokens" not in override:
            result["total_tokens"] = result["input_tokens"] + result["output_tokens"]
    return result


def _merge(into: dict[str, Any], override: dict[str, Any]) -> None:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
