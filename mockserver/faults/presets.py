"""The error presets: the real API's status, type, code, message and headers, by name.

Texts are the real API's where they are known (docs/faults.md says which were
observed and which are modelled). `{model}`, `{organization}`, `{request_id}`, `{api_key}`,
`{retry_in}` and the rate-limit numbers in a message are filled in per request from an
ErrorContext.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

RATE_LIMIT_DOCS = "Visit https://platform.openai.com/account/rate-limits to learn more."
_RETRY_HELP = (
    "You can retry your request, or contact us through our help center at help.openai.com "
    "if the error persists."
)


OnStream = Literal["failed", "http"]
ON_STREAM = ("failed", "http")
# Errors the real API reports after a stream has started (quota, context window, a server
# error during generation): 200 SSE ending in `error` + `response.failed`, which the SDK does
# not retry. Request validation (400) and rate limits (429, 503 overload) stay HTTP.
STREAM_TIME_CODES = frozenset({"insufficient_quota", "context_length_exceeded", "server_error"})


@dataclass(frozen=True)
class ErrorSpec:
    """An error as scripted: what the client will receive, before per-request values."""

    status: int
    type: str
    code: str | None
    message: str
    param: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    retry_after: float | None = None  # seconds, sent as `retry-after`
    retry_after_ms: float | None = None  # sent as `retry-after-ms`
    should_retry: bool | None = None  # sent as `x-should-retry`
    # With stream or background: "failed" answers 200 and fails the response in its stream
    # (created -> in_progress -> error -> response.failed), "http" answers the HTTP error
    # before any stream; None: as the real API does for this kind of error (fails_in_stream).
    on_stream: OnStream | None = None
    preset: str | None = None

    def fails_in_stream(self) -> bool:
        """Whether a streamed (or background) request gets this error inside its stream."""
        if self.on_stream is not None:
            return self.on_stream == "failed"
        server_error = self.status == 500 and self.type == "server_error"
        return server_error or self.code in STREAM_TIME_CODES

    def retry_delay(self) -> float | None:
        """The delay (s) the client is told to wait: what the SDK would use, ms first."""
        if self.retry_after_ms is not None:
            return self.retry_after_ms / 1000
        return self.retry_after


@dataclass(frozen=True)
class ErrorContext:
    """Per-request values a message template may name."""

    model: str = "gpt-4o"
    organization: str = "org-mockserver"
    request_id: str = "req_0"
    api_key: str = ""  # already masked, as the 401 message shows it
    # Rate-limit numbers for the 429 texts: the scenario's or the live bucket's when known.
    limit_requests: int = 60
    used_requests: int | None = None  # None: the whole limit
    limit_tokens: int = 30000
    used_tokens: int | None = None
    requested_tokens: int = 385

    def numbers(self) -> dict[str, str]:
        used_requests = self.limit_requests if self.used_requests is None else self.used_requests
        used_tokens = self.limit_tokens if self.used_tokens is None else self.used_tokens
        return {
            "limit_requests": str(self.limit_requests),
            "used_requests": str(used_requests),
            "limit_tokens": str(self.limit_tokens),
            "used_tokens": str(used_tokens),
            "requested_tokens": str(self.requested_tokens),
            # A "too large" text must request more than the limit, scripted or live.
            "oversize_tokens": str(max(self.requested_tokens, self.limit_tokens * 5 // 3)),
        }


def rate_limit_text(kind: str) -> str:
    """The 429 text for a bucket ("requests" or "tokens"), with placeholders for the numbers."""
    if kind == "requests":
        unit, numbers = "requests per min (RPM)", "{limit_requests}, Used {used_requests}"
        requested = "1"
    else:
        unit, numbers = "tokens per min (TPM)", "{limit_tokens}, Used {used_tokens}"
        requested = "{requested_tokens}"
    return (
        f"Rate limit reached for {{model}} in organization {{organization}} on {unit}: "
        f"Limit {numbers}, Requested {requested}. Please try again in {{retry_in}}. "
        f"{RATE_LIMIT_DOCS}"
    )


def _spec(status: int, type_: str, code: str | None, message: str, **kw: Any) -> ErrorSpec:
    return ErrorSpec(status=status, type=type_, code=code, message=message, **kw)


_TABLE: dict[str, ErrorSpec] = {
    "rate_limit_exceeded": _spec(
        429, "requests", "rate_limit_exceeded", rate_limit_text("requests"), retry_after=1.0
    ),
    "rate_limit_exceeded_tokens": _spec(
        429,
        "tokens",
        "rate_limit_exceeded",
        rate_limit_text("tokens"),
        retry_after=1.0,
        retry_after_ms=644,
    ),
    "request_too_large": _spec(
        429,
        "tokens",
        "rate_limit_exceeded",
        "Request too large for {model} in organization {organization} on tokens per min (TPM): "
        "Limit {limit_tokens}, Requested {oversize_tokens}. The input or output tokens must be "
        "reduced in order to "
        f"run successfully. {RATE_LIMIT_DOCS}",
    ),
    "insufficient_quota": _spec(
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, read the docs: "
        "https://platform.openai.com/docs/guides/error-codes/api-errors.",
    ),
    "server_error": _spec(
        500,
        "server_error",
        None,
        "The server had an error processing your request. Sorry about that! You can retry your "
        "request, or contact us through our help center at help.openai.com if you keep seeing "
        "this error. (Please include the request ID {request_id} in your email.)",
    ),
    "overloaded": _spec(
        503,
        "server_error",
        None,
        "The engine is currently overloaded, please try again later.",
    ),
    "invalid_api_key": _spec(
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: {api_key}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    "insufficient_permissions": _spec(
        403,
        "invalid_request_error",
        None,
        "You have insufficient permissions for this operation. Missing scopes: "
        "api.responses.write. Check that you have the correct role in your organization "
        "(Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted "
        "API key, that it has the necessary scopes.",
    ),
    "unsupported_country_region_territory": _spec(
        403,
        "request_forbidden",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    "model_not_found": _spec(
        404,
        "invalid_request_error",
        "model_not_found",
        "The model `{model}` does not exist or you do not have access to it.",
        param="model",
    ),
    "context_length_exceeded": _spec(
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "Your input exceeds the context window of this model. Please adjust your input and try "
        "again.",
        param="input",
    ),
    "invalid_prompt": _spec(
        400,
        "invalid_request_error",
        "invalid_prompt",
        "Invalid prompt: your prompt was flagged as potentially violating our usage policy. "
        "Please try again with a different prompt.",
    ),
    "conflict": _spec(
        409,
        "invalid_request_error",
        "conflict",
        "Another request is currently operating on this resource. Please try again.",
    ),
    "request_timeout": _spec(
        408,
        "invalid_request_error",
        "request_timeout",
        "The request timed out before the server could process it. Please try again.",
    ),
    # What a streamed response.failed / error event carries in real traffic.
    "stream_server_error": _spec(
        500,
        "server_error",
        "server_error",
        f"An error occurred while processing your request. {_RETRY_HELP} Please include the "
        "request ID {request_id} in your message.",
    ),
}
# Each preset knows its own name (the journal and chaos report it).
PRESETS: dict[str, ErrorSpec] = {name: replace(spec, preset=name) for name, spec in _TABLE.items()}
