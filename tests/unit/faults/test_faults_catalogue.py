"""The error catalogue: presets, full error objects, per-rule retry controls, validation."""

from __future__ import annotations

import math
import random

import pytest

from mockserver.clock import _milliseconds, format_duration
from mockserver.faults.error_catalog import (
    PRESETS,
    ErrorContext,
    error_from_spec,
    parse_error_spec,
    preset_names,
    validate_error_spec,
)

# (preset, status, type, code, param): the real API's values.
EXPECTED = [
    ("rate_limit_exceeded", 429, "requests", "rate_limit_exceeded", None),
    ("rate_limit_exceeded_tokens", 429, "tokens", "rate_limit_exceeded", None),
    ("request_too_large", 429, "tokens", "rate_limit_exceeded", None),
    ("insufficient_quota", 429, "insufficient_quota", "insufficient_quota", None),
    ("server_error", 500, "server_error", None, None),
    ("overloaded", 503, "server_error", None, None),
    ("invalid_api_key", 401, "invalid_request_error", "invalid_api_key", None),
    ("insufficient_permissions", 403, "invalid_request_error", None, None),
    (
        "unsupported_country_region_territory",
        403,
        "request_forbidden",
        "unsupported_country_region_territory",
        None,
    ),
    ("model_not_found", 404, "invalid_request_error", "model_not_found", "model"),
    ("context_length_exceeded", 400, "invalid_request_error", "context_length_exceeded", "input"),
    ("invalid_prompt", 400, "invalid_request_error", "invalid_prompt", None),
    ("conflict", 409, "invalid_request_error", "conflict", None),
    ("request_timeout", 408, "invalid_request_error", "request_timeout", None),
    ("stream_server_error", 500, "server_error", "server_error", None),
]


def test_every_preset_is_covered_here() -> None:
    assert sorted(p for p, *_ in EXPECTED) == preset_names()


@pytest.mark.parametrize(
    ("name", "status", "type_", "code", "param"), EXPECTED, ids=[e[0] for e in EXPECTED]
)
def test_preset_body(
    name: str, status: int, type_: str, code: str | None, param: str | None
) -> None:
    error = error_from_spec(name, ErrorContext(model="gpt-4o-mini", request_id="req_abc"))
    assert error.status == status
    body = error.body()["error"]
    assert (body["type"], body["code"], body["param"]) == (type_, code, param)
    assert body["message"] and "{" not in body["message"]  # every placeholder filled in


def test_messages_use_the_request_values() -> None:
    ctx = ErrorContext(model="gpt-4o-mini", request_id="req_abc", api_key="sk-****wxyz")
    assert "`gpt-4o-mini` does not exist" in error_from_spec("model_not_found", ctx).message
    assert "request ID req_abc" in error_from_spec("server_error", ctx).message
    assert (
        "Incorrect API key provided: sk-****wxyz."
        in error_from_spec("invalid_api_key", ctx).message
    )
    # A scripted "too large" always asks for more than the limit it names.
    assert "Limit 30000, Requested 50000." in error_from_spec("request_too_large", ctx).message


def test_rate_limit_text_is_the_apis() -> None:
    ctx = ErrorContext(organization="org-test", limit_tokens=30000, used_tokens=29937)
    message = error_from_spec({"preset": "rate_limit_exceeded_tokens"}, ctx).message
    assert message == (
        "Rate limit reached for gpt-4o in organization org-test on tokens per min (TPM): "
        "Limit 30000, Used 29937, Requested 385. Please try again in 644ms. "
        "Visit https://platform.openai.com/account/rate-limits to learn more."
    )


def test_retry_controls_set_headers_and_text() -> None:
    error = error_from_spec(
        {
            "preset": "rate_limit_exceeded",
            "retry_after": 2,
            "retry_after_ms": 1500,
            "should_retry": False,
        }
    )
    assert error.headers == {
        "retry-after": "2",
        "retry-after-ms": "1500",
        "x-should-retry": "false",
    }
    # The text says what the SDK will wait: retry-after-ms wins over retry-after.
    assert "Please try again in 1.5s." in error.message


def test_retry_after_seconds_round_up_on_the_wire() -> None:
    error = error_from_spec({"preset": "overloaded", "retry_after": 0.2, "should_retry": True})
    assert error.headers == {"retry-after": "1", "x-should-retry": "true"}


def test_insufficient_quota_sends_nothing_that_stops_retries() -> None:
    # Faithful to the real API: no x-should-retry, so the SDK retries it like any 429.
    assert error_from_spec("insufficient_quota").headers == {}


def test_full_error_object() -> None:
    spec = {
        "status": 418,
        "type": "teapot_error",
        "code": "short_and_stout",
        "message": "I'm a teapot",
        "param": "input",
        "headers": {"x-extra": 1},
    }
    error = error_from_spec(spec)
    assert error.status == 418
    assert error.body() == {
        "error": {
            "message": "I'm a teapot",
            "type": "teapot_error",
            "param": "input",
            "code": "short_and_stout",
        }
    }
    assert error.headers == {"x-extra": "1"}


def test_full_error_object_defaults() -> None:
    error = error_from_spec({"status": 502})
    assert (error.type, error.code) == ("server_error", None)
    assert error_from_spec({"status": 422}).type == "invalid_request_error"


def test_preset_with_overrides_keeps_the_rest() -> None:
    spec = parse_error_spec({"preset": "server_error", "message": "boom", "headers": {"x-a": "b"}})
    assert (spec.status, spec.type, spec.message, spec.preset) == (
        500,
        "server_error",
        "boom",
        "server_error",
    )
    assert dict(spec.headers) == {"x-a": "b"}


def test_user_braces_survive_formatting() -> None:
    assert (
        error_from_spec({"status": 400, "message": "bad {json} here"}).message == "bad {json} here"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nope", "error: unknown error preset 'nope'; presets are: conflict,"),
        ("server_eror", "error: unknown error preset 'server_eror' (did you mean 'server_error'?)"),
        (42, "error: expected a preset name or a mapping, got int"),
        ({"message": "x"}, "error: needs `status` (400..599) or `preset`"),
        ({"status": 200}, "error.status: expected an integer 400..599, got 200"),
        ({"status": True}, "error.status: expected an integer 400..599, got True"),
        ({"preset": "x"}, "error.preset: unknown error preset 'x'"),
        ({"status": 500, "colour": 1}, "error.colour: unknown key; allowed: preset, status,"),
        ({"status": 500, "code": 5}, "error.code: expected a string or null, got 5"),
        ({"status": 500, "message": None}, "error.message: expected a string, got None"),
        ({"status": 500, "headers": []}, "error.headers: expected a mapping"),
        (
            {"status": 500, "headers": {"a": None}},
            "error.headers.a: expected a string value, got None",
        ),
        ({"status": 500, "retry_after": -1}, "error.retry_after: expected a number >= 0, got -1"),
        (
            {"status": 500, "retry_after_ms": "1"},
            "error.retry_after_ms: expected a number >= 0, got '1'",
        ),
        ({"status": 500, "should_retry": "no"}, "error.should_retry: expected true or false"),
    ],
)
def test_validation_messages(value: object, expected: str) -> None:
    problems = validate_error_spec(value)
    assert any(p.startswith(expected) for p in problems), problems
    with pytest.raises(ValueError):
        parse_error_spec(value)


def test_validation_reports_every_problem_with_its_path() -> None:
    problems = validate_error_spec({"status": "x", "foo": 1, "retry_after": -1}, "$.rules[2].error")
    assert len(problems) == 3
    assert all(p.startswith("$.rules[2].error.") for p in problems)


def test_presets_are_valid_error_specs() -> None:
    for name in PRESETS:
        assert validate_error_spec({"preset": name}) == []


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.0004, "1ms"),
        (0.012, "12ms"),
        (0.644, "644ms"),
        (1, "1s"),
        (1.898, "1.898s"),
        (17.28, "17.28s"),
        (60, "1m0s"),
        (360, "6m0s"),
        (3600, "1h0m0s"),
        (3661.5, "1h1m1.5s"),
    ],
)
def test_duration_format(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_duration_format_skips_rounding_only_where_it_cannot_matter() -> None:
    """The fast path (a millionth of a millisecond clear of a whole one) gives what the
    definition, `ceil(round(ms, 6))`, gives: random durations, and ones at the edges."""
    rng = random.Random(12)
    samples = [rng.uniform(0, 5) for _ in range(20_000)]
    samples += [rng.uniform(0, 4000) for _ in range(20_000)]
    samples += [
        n / 1000 + d for n in range(0, 3000, 7) for d in (0, 1e-10, 4e-10, 6e-10, 1e-9, 2e-9)
    ]
    samples += [1 / 166.66666666666666, 0.006, 39 / 500_000, 1e-12, 5e-4, 7.0000005e-3]
    for seconds in samples:
        want = math.ceil(round(seconds * 1000, 6)) if seconds > 0 else 0
        assert format_duration(seconds) == _milliseconds(want), seconds
    assert format_duration(math.nan) == "0s" and format_duration(-1.0) == "0s"
