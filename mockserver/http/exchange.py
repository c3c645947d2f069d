"""One request/answer exchange as the server saw it: what the journal, access log and metrics read.

Handlers fill it in as they go (scenario, rule, fault, events sent); the middleware that
created it finishes it (status, duration) once the answer is written or the client left.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Headers whose values are never kept (credentials a client or a proxy may send).
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie", "x-mock-admin-token"}
)
REDACTED = "<redacted>"


def redacted(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers by lowercased name, credential values replaced by "<redacted>"."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = _PLAIN_NAMES.get(name)
        if key is None:
            key = name.lower()
            if key in SECRET_HEADERS:
                value = REDACTED
            elif len(_PLAIN_NAMES) < _MAX_NAMES:
                _PLAIN_NAMES[name] = key
        out[key] = value
    return out


class KeptHeaders(Mapping[str, str]):
    """A request's headers as an exchange keeps them: `redacted(raw)`, worked out when first
    read (by a `headers` match, the journal, an expectation). Most requests are never looked
    at, and lowercasing a dozen names costs ~10k instructions a request. Until then the raw
    headers are only held, never shown: every read goes through `redacted`."""

    __slots__ = ("_plain", "_raw")

    def __init__(self, raw: Mapping[str, str]) -> None:
        self._raw: Mapping[str, str] | None = raw
        self._plain: dict[str, str] | None = None

    def _kept(self) -> dict[str, str]:
        if self._plain is None:
            assert self._raw is not None
            self._plain, self._raw = redacted(self._raw), None
        return self._plain

    def __getitem__(self, name: str) -> str:
        return self._kept()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kept())

    def __len__(self) -> int:
        return len(self._kept())

    def __repr__(self) -> str:
        return f"KeptHeaders({self._kept()!r})"


# Header names as sent -> lowercased, for names that are not secrets: every request sends
# the same few (a lookup costs less than `lower()`). Bounded: names are the client's choice.
_PLAIN_NAMES: dict[str, str] = {}
_MAX_NAMES = 1024


# The note a request refused by a live rate limit carries (not a scripted 429).
RATE_LIMITED_NOTE = "rate_limited"


@dataclass(slots=True)  # kept by the journal (thousands): no __dict__ each
class Exchange:
    request_id: str
    method: str
    path: str
    started_at: float  # unix time
    transport: str = "http"  # or "websocket": a response.create over /v1/responses' socket
    tenant: str | None = None  # short hash of the API key, never the key itself
    scenario: str | None = None
    rule: str | None = None
    status: int | None = None
    error_code: str | None = None
    fault: str | None = None
    stream: bool = False
    events_sent: int = 0
    stream_completed: bool | None = None  # None: not a stream; False: cut short
    response_id: str | None = None
    conversation_id: str | None = None  # the Conversations API's, when the request names one
    retry_count: int = 0
    # Retries (mockserver.faults): the request id this one repeats (same body), how long the
    # client waited since that answer, and whether that was less than the retry-after it got.
    retry_of: str | None = None
    retry_waited_ms: float | None = None
    retry_early: bool | None = None
    retry_after_ms: float | None = None  # the delay this answer told the client to wait
    duration_ms: float | None = None
    body: Any = None
    body_bytes: int = 0  # the request body's size as received (the journal's cost of `body`)
    headers: Mapping[str, str] = field(default_factory=dict)  # KeptHeaders on requests
    unmatched: list[dict[str, Any]] | None = None  # why no rule matched, when none did
    notes: list[str] = field(default_factory=list)
    # Expectations (a rule's `expect:`) the request did not meet: mockserver.scenario.expectations.
    # Only ever replaced, never added to: an empty tuple, not a list made for every exchange.
    expectations: Sequence[dict[str, Any]] = ()
