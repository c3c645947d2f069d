"""The Response object: the request's settings echoed back around the output, usage and status.

Field order and defaults follow real traffic, so a body from the mock reads like one from
the API. `output_text` is left out: it is an SDK-side convenience, never sent by the API.
"""

from __future__ import annotations

from typing import Any

from mockserver.openai.moderation import moderation_results
from mockserver.openai.request import ResponseRequest
from mockserver.openai.texts import message_text

# The Response's fields in the API's order, as a request that sets nothing shows them (null
# where the answer fills them in). build_response copies it and writes only what differs:
# copying a dict is several times cheaper than building one of 32 keys.
_UNSET: dict[str, Any] = {
    "id": None,
    "object": "response",
    "created_at": None,
    "status": None,
    "background": False,
    "completed_at": None,
    "error": None,
    "incomplete_details": None,
    "instructions": None,
    "max_output_tokens": None,
    "max_tool_calls": None,
    "model": None,
    "moderation": None,
    "output": None,
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "prompt_cache_key": None,
    "prompt_cache_retention": None,
    "reasoning": None,
    "safety_identifier": None,
    "service_tier": "default",
    "store": True,
    "temperature": 1.0,
    "text": None,
    "tool_choice": "auto",
    "tools": None,
    "top_logprobs": 0,
    "top_p": 1.0,
    "truncation": "disabled",
    "usage": None,
    # Real bodies always carry `user`, null when unset (the spec types it as a string).
    "user": None,
    "metadata": None,
}
# Body fields the Response echoes as sent (null when absent).
_ECHOED = ("max_tool_calls", "prompt_cache_key", "prompt_cache_retention", "safety_identifier",
           "user")  # fmt: skip


def build_response(
    req: ResponseRequest,
    *,
    rid: str,
    created_at: int,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    completed_at: int | None = None,
    error: dict[str, Any] | None = None,
    incomplete_reason: str | None = None,
    model: str | None = None,
    effort: str | None = None,
    reasoning_defaults: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The Response around `output`. reasoning_defaults: what a reasoning model reports for
    `reasoning.context` and `reasoning.mode` when the request leaves them out."""
    raw, tools, reasoning = req.raw, req.tools, req.reasoning
    response = _UNSET.copy()
    # What every answer fills in.
    response["id"] = rid
    response["created_at"] = created_at
    response["status"] = status
    response["completed_at"] = completed_at
    response["model"] = model or req.model
    response["output"] = output
    response["reasoning"] = (
        _reasoning(reasoning or {}, effort, reasoning_defaults or {})
        if reasoning or reasoning_defaults
        else {"effort": effort, "summary": None}  # what _reasoning gives for nothing set
    )
    response["text"] = req.text
    response["tools"] = [_echoed_tool(tool) for tool in tools] if tools else []
    response["usage"] = usage
    response["metadata"] = req.metadata
    # What the answer or the request set, where it differs from _UNSET.
    if error is not None:
        response["error"] = error
    if incomplete_reason:
        response["incomplete_details"] = {"reason": incomplete_reason}
    if len(raw) > ("model" in raw) + ("input" in raw):  # a body field besides these two
        _echo_request(response, req, output)
    return response


def _echo_request(
    response: dict[str, Any], req: ResponseRequest, output: list[dict[str, Any]]
) -> None:
    """What the request set, where it differs from _UNSET (a body of only `model` and
    `input` sets none of it: each field below is then at its default)."""
    if req.background is not False:
        response["background"] = req.background
    if req.instructions is not None:
        response["instructions"] = req.instructions
    if req.max_output_tokens is not None:
        response["max_output_tokens"] = req.max_output_tokens
    if req.parallel_tool_calls is not True:
        response["parallel_tool_calls"] = req.parallel_tool_calls
    if req.previous_response_id is not None:
        response["previous_response_id"] = req.previous_response_id
    if req.store is not True:
        response["store"] = req.store
    if req.temperature is not None:
        response["temperature"] = req.temperature
    if req.tool_choice != "auto":
        response["tool_choice"] = req.tool_choice
    if req.top_logprobs:
        response["top_logprobs"] = req.top_logprobs
    if req.top_p is not None:
        response["top_p"] = req.top_p
    _echo_body_fields(response, req, output)


def _echo_body_fields(
    response: dict[str, Any], req: ResponseRequest, output: list[dict[str, Any]]
) -> None:
    """The body fields the Response echoes or answers (each None or absent: as in _UNSET)."""
    raw = req.raw
    for key in _ECHOED:
        if key in raw:
            response[key] = raw[key]
    if (moderation := raw.get("moderation")) is not None:
        response["moderation"] = _moderation(moderation, req, output)
    if (tier := raw.get("service_tier")) is not None:
        response["service_tier"] = _SERVED_TIERS.get(tier) or str(tier)
    if raw.get("truncation"):
        response["truncation"] = raw["truncation"]
    cache_options = raw.get("prompt_cache_options")
    if isinstance(cache_options, dict):  # the options applied, their defaults filled in
        response["prompt_cache_options"] = {"ttl": "30m", "mode": "implicit", **cache_options}
    if raw.get("prompt") is not None:
        response["prompt"] = raw["prompt"]
    conversation = raw.get("conversation")  # an id or {id}, checked when it was opened
    if conversation is not None:
        conv_id = conversation.get("id") if isinstance(conversation, dict) else conversation
        response["conversation"] = {"id": conv_id}


def _moderation(
    asked: Any, req: ResponseRequest, output: list[dict[str, Any]]
) -> dict[str, Any] | None:
    return moderation_results(asked, _texts(req.input_items), _texts(output))


def _texts(items: list[dict[str, Any]]) -> str:
    return "\n".join(message_text(i) for i in items if i.get("type") == "message")


def _reasoning(
    reasoning: dict[str, Any], effort: str | None, defaults: dict[str, str]
) -> dict[str, Any]:
    # `effort`: what the model ran with. Real traffic shows a reasoning model's default
    # ("medium" for o4-mini) when the request set none; other models show null. Reasoning
    # models also report the `context` and `mode` they ran with (defaults filled in).
    context = _ran_with(reasoning, defaults, "context")
    mode = _ran_with(reasoning, defaults, "mode")
    echoed = {} if context is None else {"context": context}  # real key order
    echoed["effort"] = reasoning.get("effort") if effort is None else effort
    if mode is not None:
        echoed["mode"] = mode
    echoed["summary"] = reasoning.get("summary")
    return echoed


def _ran_with(reasoning: dict[str, Any], defaults: dict[str, str], key: str) -> Any:
    value = reasoning.get(key)
    return defaults.get(key) if value in (None, "auto") else value


# The tier a request asked for -> the tier the response names (the API serves "fast" as
# "priority", and "auto" with the project's default); any other tier is named as asked.
_SERVED_TIERS = {None: "default", "auto": "default", "fast": "priority"}


# An unset user_location, as real bodies show it.
_LOCATION = {"type": "approximate", "city": None, "country": "US", "region": None, "timezone": None}
_NO_LOCATION = dict.fromkeys(_LOCATION, None)


def _echoed_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """A tool as the Response shows it: hosted tools with the API's defaults filled in, and
    an MCP tool without its secrets (`authorization` left out, header values redacted)."""
    kind = tool.get("type")
    if kind in ("web_search", "web_search_2025_08_26"):
        return {"type": kind, "filters": None, **_search_defaults(tool)}
    if kind in ("web_search_preview", "web_search_preview_2025_03_11"):
        return {"type": kind, **_search_defaults(tool)}
    if kind == "mcp":
        echoed = {"allowed_tools": None, "headers": None, "server_description": None, **tool}
        echoed.pop("authorization", None)
        headers = echoed["headers"]
        if isinstance(headers, dict):
            echoed["headers"] = dict.fromkeys(headers, "<redacted>")
        return echoed
    return tool


def _search_defaults(tool: dict[str, Any]) -> dict[str, Any]:
    location = tool.get("user_location")
    filled = {**_NO_LOCATION, **location} if isinstance(location, dict) else dict(_LOCATION)
    return {"search_context_size": "medium", **tool, "user_location": filled}
