"""The create-response body, validated at the edge and turned into a typed ResponseRequest.

Checks follow the real API's messages and codes (invalid_type, decimal_above_max_value,
integer_below_min_value, unknown_parameter, missing_required_parameter, ...). Deep checks of
tools, tool_choice, text.format and input live in request_parts.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mockserver.errors import InvalidRequest, invalid_type, missing_parameter, unsupported_value
from mockserver.openai import request_parts as parts

log = logging.getLogger("mockserver.request")

KNOWN_FIELDS = frozenset(
    {
        "background", "context_management", "conversation", "include", "input", "instructions",
        "max_output_tokens", "max_tool_calls", "metadata", "model", "moderation",
        "parallel_tool_calls", "previous_response_id", "prompt", "prompt_cache_key",
        "prompt_cache_options", "prompt_cache_retention", "reasoning", "safety_identifier",
        "service_tier", "store", "stream", "stream_options", "temperature", "text", "tool_choice",
        "tools", "top_logprobs", "top_p", "truncation", "user",
    }
)  # fmt: skip

SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority")


@dataclass(frozen=True)
class ResponseRequest:
    raw: dict[str, Any]  # the body as sent (scenario `json` matching reads it)
    model: str
    input_items: list[dict[str, Any]]  # normalised: a string input becomes one user message
    instructions: str | None
    tools: list[dict[str, Any]]
    tool_choice: Any
    temperature: float | None
    top_p: float | None
    max_output_tokens: int | None
    parallel_tool_calls: bool
    reasoning: dict[str, Any] | None
    text: dict[str, Any]
    metadata: dict[str, str]
    store: bool
    stream: bool
    background: bool
    previous_response_id: str | None
    include: list[str]
    top_logprobs: int | None
    include_obfuscation: bool
    unknown_fields: tuple[str, ...]

    def get(self, name: str, default: Any = None) -> Any:
        """A raw body field (for echoing the fields this class does not model)."""
        return self.raw.get(name, default)


def parse_request(body: dict[str, Any], *, strict: bool) -> ResponseRequest:
    unknown = tuple(k for k in body if k not in KNOWN_FIELDS)
    if unknown and strict:
        raise InvalidRequest(
            f"Unknown parameter: '{unknown[0]}'.", code="unknown_parameter", param=unknown[0]
        )
    if unknown:
        log.info("accepting unknown body fields %s (use --strict to reject them)", list(unknown))
    model = _model(body)
    return ResponseRequest(
        raw=body,
        model=model,
        input_items=parts.input_items(body),
        instructions=_optional(body, "instructions", str, "a string"),
        tools=parts.tools(body.get("tools")),
        tool_choice=parts.tool_choice(body.get("tool_choice"), body.get("tools")),
        temperature=_number(body, "temperature", 0.0, 2.0),
        top_p=_number(body, "top_p", 0.0, 1.0),
        max_output_tokens=_max_output_tokens(body),
        parallel_tool_calls=_bool(body, "parallel_tool_calls", True),
        reasoning=parts.reasoning(body.get("reasoning")),
        text=parts.text(body.get("text")),
        metadata=parts.metadata(body.get("metadata")),
        store=_bool(body, "store", True),
        stream=_bool(body, "stream", False),
        background=_background(body),
        previous_response_id=parts.previous_response_id(body.get("previous_response_id")),
        include=parts.include(body.get("include")),
        top_logprobs=_top_logprobs(body),
        include_obfuscation=parts.include_obfuscation(body.get("stream_options")),
        unknown_fields=unknown,
    )


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model is None:
        raise missing_parameter("model")
    if not isinstance(model, str):
        raise invalid_type("model", "a string", model)
    if not model.strip():
        raise InvalidRequest(
            "Invalid 'model': empty string. Expected a string with minimum length 1.",
            code="empty_string",
            param="model",
        )
    _check_service_tier(body)
    return model


def _check_service_tier(body: dict[str, Any]) -> None:
    tier = body.get("service_tier")
    if tier is not None and tier not in SERVICE_TIERS:
        raise unsupported_value("service_tier", tier, SERVICE_TIERS)


def _optional(body: dict[str, Any], name: str, kind: type, expected: str) -> Any:
    value = body.get(name)
    if value is not None and not isinstance(value, kind):
        raise invalid_type(name, expected, value)
    return value


def _bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid_type(name, "a boolean", value)
    return value


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_type(name, "a decimal", value)
    if value < low:
        raise _out_of_range(name, "decimal", "below minimum", ">=", low, value)
    if value > high:
        raise _out_of_range(name, "decimal", "above maximum", "<=", high, value)
    return float(value)


def _int(body: dict[str, Any], name: str, low: int, high: int | None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_type(name, "an integer", value)
    if value < low:
        raise _out_of_range(name, "integer", "below minimum", ">=", low, value)
    if high is not None and value > high:
        raise _out_of_range(name, "integer", "above maximum", "<=", high, value)
    return value


def _out_of_range(
    name: str, kind: str, what: str, op: str, bound: float, got: object
) -> InvalidRequest:
    # e.g. decimal_above_max_value, integer_below_min_value: the real API's codes
    side = "above_max" if what.startswith("above") else "below_min"
    shown = int(bound) if float(bound).is_integer() else bound
    return InvalidRequest(
        f"Invalid '{name}': {kind} {what} value. Expected a value {op} {shown}, "
        f"but got {got} instead.",
        code=f"{kind}_{side}_value",
        param=name,
    )


def _max_output_tokens(body: dict[str, Any]) -> int | None:
    return _int(body, "max_output_tokens", 16, None)


def _top_logprobs(body: dict[str, Any]) -> int | None:
    return _int(body, "top_logprobs", 0, 20)


def _background(body: dict[str, Any]) -> bool:
    background = _bool(body, "background", False)
    if background and body.get("store") is False:
        raise InvalidRequest(
            "Background mode requires 'store' to be true.", code="invalid_value", param="store"
        )
    return background
