"""The Response object: the request's settings echoed back around the output, usage and status.

Field order and defaults follow real traffic, so a body from the mock reads like one from
the API. `output_text` is left out: it is an SDK-side convenience, never sent by the API.
"""

from __future__ import annotations

from typing import Any

from mockserver.openai.request import ResponseRequest


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
) -> dict[str, Any]:
    raw = req.raw
    response = {
        "id": rid,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": req.background,
        "completed_at": completed_at,
        "error": error,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "instructions": req.instructions,
        "max_output_tokens": req.max_output_tokens,
        "max_tool_calls": raw.get("max_tool_calls"),
        "model": model or req.model,
        "output": output,
        "parallel_tool_calls": req.parallel_tool_calls,
        "previous_response_id": req.previous_response_id,
        "prompt_cache_key": raw.get("prompt_cache_key"),
        "prompt_cache_retention": raw.get("prompt_cache_retention"),
        "reasoning": _reasoning(req, effort),
        "safety_identifier": raw.get("safety_identifier"),
        "service_tier": _service_tier(raw.get("service_tier")),
        "store": req.store,
        "temperature": 1.0 if req.temperature is None else req.temperature,
        "text": req.text,
        "tool_choice": req.tool_choice,
        "tools": [_echoed_tool(tool) for tool in req.tools],
        "top_logprobs": req.top_logprobs or 0,
        "top_p": 1.0 if req.top_p is None else req.top_p,
        "truncation": raw.get("truncation") or "disabled",
        "usage": usage,
        "user": raw.get("user"),
        "metadata": req.metadata,
    }
    # The spec types these as plain strings/objects: absent rather than null when unset.
    for key in ("user", "prompt"):
        if response.get(key) is None:
            response.pop(key, None)
    if raw.get("prompt") is not None:
        response["prompt"] = raw["prompt"]
    conversation = raw.get("conversation")  # an id or {id}, checked when it was opened
    if conversation is not None:
        conv_id = conversation.get("id") if isinstance(conversation, dict) else conversation
        response["conversation"] = {"id": conv_id}
    return response


def _reasoning(req: ResponseRequest, effort: str | None) -> dict[str, Any]:
    # `effort`: what the model ran with. Real traffic shows a reasoning model's default
    # ("medium" for o4-mini) when the request set none; other models show null.
    reasoning = req.reasoning or {}
    asked = reasoning.get("effort")
    return {"effort": asked if effort is None else effort, "summary": reasoning.get("summary")}


def _service_tier(requested: Any) -> str:
    # "auto" resolves to the tier that served the request: "default" here.
    return "default" if requested in (None, "auto") else str(requested)


def _echoed_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """A tool as the Response shows it: an MCP tool's `authorization` is never sent back."""
    if tool.get("type") == "mcp" and "authorization" in tool:
        return {k: v for k, v in tool.items() if k != "authorization"}
    return tool
