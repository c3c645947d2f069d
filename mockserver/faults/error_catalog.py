"""The error catalogue: named presets with the real API's status, type, code, message and headers.

A rule's `error:` is a preset name, or a mapping: either a full error
`{status, type, code, message, param, headers}` or `{preset: NAME, ...overrides}`; both take
`retry_after` (seconds -> `retry-after`), `retry_after_ms` (-> `retry-after-ms`),
`should_retry` (-> `x-should-retry`) and `on_stream` (`failed` or `http`: how a streamed
request gets it; ErrorSpec.fails_in_stream says the default). Texts are the real API's where
they are known (see docs/faults.md for which were observed and which are modelled);
placeholders in a message are filled in per request (presets.py).

What the official Python SDK does with them (openai 3.x `_should_retry`): a retry delay over
120 s means no retry; else `x-should-retry` decides if present; else 408, 409, 429 and 5xx are
retried. Nothing in a real `insufficient_quota` answer stops that, so the SDK retries it too:
the preset is faithful to that, and `should_retry: false` is there to script the opposite.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from mockserver.clock import format_duration
from mockserver.errors import MockError
from mockserver.faults.presets import (
    ON_STREAM,
    PRESETS,
    RATE_LIMIT_DOCS,
    ErrorContext,
    ErrorSpec,
    rate_limit_text,
)

__all__ = [
    "PRESETS",
    "RATE_LIMIT_DOCS",
    "ErrorContext",
    "ErrorSpec",
    "build_error",
    "error_from_spec",
    "parse_error_spec",
    "preset_names",
    "rate_limit_text",
    "render_message",
    "validate_error_spec",
]

# Keys a mapping `error:` may hold, besides a preset's name.
SPEC_KEYS = ("status", "type", "code", "message", "param", "headers")
CONTROL_KEYS = ("retry_after", "retry_after_ms", "should_retry", "on_stream")


def preset_names() -> list[str]:
    return sorted(PRESETS)


def parse_error_spec(value: Any) -> ErrorSpec:
    """A validated `error:` value as an ErrorSpec (raises ValueError listing every problem)."""
    problems = validate_error_spec(value)
    if problems:
        raise ValueError("; ".join(problems))
    if isinstance(value, str):
        return PRESETS[value]
    base = PRESETS[value["preset"]] if "preset" in value else None
    return _merge(base, value)


def _merge(base: ErrorSpec | None, value: Mapping[str, Any]) -> ErrorSpec:
    fields: dict[str, Any] = {}
    for key in (*SPEC_KEYS, *CONTROL_KEYS):
        if key in value:
            item = value[key]
            fields[key] = {str(k): str(v) for k, v in item.items()} if key == "headers" else item
    if base is None:
        fields.setdefault("type", _default_type(fields["status"]))
        fields.setdefault("code", None)
        fields.setdefault("message", _default_message(fields["status"]))
        return ErrorSpec(**fields)
    if "headers" in fields:
        fields["headers"] = {**base.headers, **fields["headers"]}
    return replace(base, **fields)


def _default_type(status: int) -> str:
    return "server_error" if status >= 500 else "invalid_request_error"


def _default_message(status: int) -> str:
    return PRESETS["server_error"].message if status >= 500 else f"Request failed ({status})."


def error_from_spec(value: Any, ctx: ErrorContext | None = None) -> MockError:
    """The MockError a rule's `error:` value (name, mapping or ErrorSpec) answers with."""
    spec = value if isinstance(value, ErrorSpec) else parse_error_spec(value)
    return build_error(spec, ctx or ErrorContext())


def build_error(spec: ErrorSpec, ctx: ErrorContext) -> MockError:
    message = render_message(spec, ctx)
    return MockError(
        message,
        code=spec.code,
        param=spec.param,
        status=spec.status,
        type=spec.type,
        headers=error_headers(spec),
    )


def render_message(spec: ErrorSpec, ctx: ErrorContext) -> str:
    delay = spec.retry_delay()
    values = {
        "model": ctx.model,
        "organization": ctx.organization,
        "request_id": ctx.request_id,
        "api_key": ctx.api_key or "sk-***",
        "retry_in": format_duration(delay if delay is not None else 1.0),
        **ctx.numbers(),
    }
    return spec.message.format_map(_Leave(values))


class _Leave(dict[str, str]):
    """format_map that leaves unknown `{names}` as written (user texts may hold braces)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def error_headers(spec: ErrorSpec) -> dict[str, str]:
    headers = dict(spec.headers)
    if spec.retry_after is not None:
        # `retry-after` is whole seconds on the wire; round up so nobody is told to come early.
        headers["retry-after"] = str(math.ceil(spec.retry_after))
    if spec.retry_after_ms is not None:
        headers["retry-after-ms"] = _number(spec.retry_after_ms)
    if spec.should_retry is not None:
        headers["x-should-retry"] = "true" if spec.should_retry else "false"
    return headers


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def validate_error_spec(value: Any, path: str = "error") -> list[str]:
    """Every problem with an `error:` value, each naming its path and what is allowed."""
    if isinstance(value, str):
        return [] if value in PRESETS else [_unknown_preset(path, value)]
    if not isinstance(value, Mapping):
        return [f"{path}: expected a preset name or a mapping, got {type(value).__name__}"]
    problems = _unknown_keys(value, path)
    if "preset" in value:
        preset = value["preset"]
        if not isinstance(preset, str) or preset not in PRESETS:
            problems.append(_unknown_preset(f"{path}.preset", preset))
    elif "status" not in value:
        problems.append(f"{path}: needs `status` (400..599) or `preset` (one of the catalogue)")
    problems += _check_fields(value, path)
    return problems


def _unknown_preset(path: str, value: object) -> str:
    hint = did_you_mean(value, PRESETS)
    return f"{path}: unknown error preset {value!r}{hint}; presets are: {', '.join(preset_names())}"


def did_you_mean(value: object, names: Iterable[str]) -> str:
    close = (
        difflib.get_close_matches(str(value), list(names), n=1) if isinstance(value, str) else []
    )
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown_keys(value: Mapping[str, Any], path: str) -> list[str]:
    allowed = ("preset", *SPEC_KEYS, *CONTROL_KEYS)
    return [
        f"{path}.{key}: unknown key; allowed: {', '.join(allowed)}"
        for key in value
        if key not in allowed
    ]


def _check_fields(value: Mapping[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    status = value.get("status", 400)
    if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
        problems.append(f"{path}.status: expected an integer 400..599, got {status!r}")
    for key in ("type", "message"):
        if key in value and not isinstance(value[key], str):
            problems.append(f"{path}.{key}: expected a string, got {value[key]!r}")
    for key in ("code", "param"):
        if key in value and value[key] is not None and not isinstance(value[key], str):
            problems.append(f"{path}.{key}: expected a string or null, got {value[key]!r}")
    problems += _check_headers(value.get("headers", {}), f"{path}.headers")
    problems += _check_controls(value, path)
    return problems


def _check_headers(headers: Any, path: str) -> list[str]:
    if not isinstance(headers, Mapping):
        return [f"{path}: expected a mapping of header names to strings"]
    return [
        f"{path}.{name}: expected a string value, got {item!r}"
        for name, item in headers.items()
        if not isinstance(item, str | int | float) or isinstance(item, bool)
    ]


def _non_negative_number(item: object) -> bool:
    return isinstance(item, int | float) and not isinstance(item, bool) and item >= 0


def _check_controls(value: Mapping[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    for key in ("retry_after", "retry_after_ms"):
        item = value.get(key)
        if item is not None and not _non_negative_number(item):
            problems.append(f"{path}.{key}: expected a number >= 0, got {item!r}")
    if "should_retry" in value and not isinstance(value["should_retry"], bool):
        problems.append(f"{path}.should_retry: expected true or false")
    if "on_stream" in value and value["on_stream"] not in ON_STREAM:
        problems.append(
            f"{path}.on_stream: expected one of {', '.join(ON_STREAM)}, got {value['on_stream']!r}"
        )
    return problems
