"""The admin API's answers as typed, frozen values (what admin_client returns).

Each `from_json` reads the JSON the server sends (api/admin*.py); fields mirror it one to one,
so the README's curl examples and these classes describe the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Json = Mapping[str, Any]


@dataclass(frozen=True)
class Health:
    ok: bool
    version: str
    scenarios: tuple[str, ...]
    last_reload_error: tuple[str, ...] | None  # the problems of the last rejected reload

    @classmethod
    def from_json(cls, d: Json) -> Health:
        error = d.get("last_reload_error")
        return cls(
            bool(d["ok"]),
            str(d["version"]),
            tuple(d["scenarios"]),
            None if error is None else tuple(error),
        )


@dataclass(frozen=True)
class RuleInfo:
    name: str
    index: int
    origin: str  # file:line
    description: str
    times: int | None
    expects: bool  # the rule has an `expect:` section

    @classmethod
    def from_json(cls, d: Json) -> RuleInfo:
        return cls(d["name"], d["index"], d["origin"], d["description"], d["times"], d["expects"])


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    description: str
    origin: str
    rules: tuple[RuleInfo, ...]
    definition: Json | None = None  # as written (only when one scenario is fetched)

    @classmethod
    def from_json(cls, d: Json) -> ScenarioInfo:
        rules = tuple(RuleInfo.from_json(r) for r in d["rules"])
        return cls(d["name"], d["description"], d["origin"], rules, d.get("definition"))

    @classmethod
    def list_from_json(cls, d: Json) -> list[ScenarioInfo]:
        return [cls.from_json(s) for s in d["data"]]

    @property
    def rule_names(self) -> list[str]:
        return [r.name for r in self.rules]


@dataclass(frozen=True)
class Binding:
    tenant: str  # the tenant's hash (the key is never echoed)
    scenario: str | None

    @classmethod
    def from_json(cls, d: Json) -> Binding:
        return cls(d["tenant"], d["scenario"])


@dataclass(frozen=True)
class Violation:
    """One `expect:` key the request did not meet."""

    scenario: str
    rule: str
    origin: str
    key: str
    expected: Any
    got: Any

    @classmethod
    def from_json(cls, d: Json) -> Violation:
        return cls(d["scenario"], d["rule"], d["origin"], d["key"], d["expected"], d["got"])


@dataclass(frozen=True)
class StreamProgress:
    events_sent: int
    completed: bool | None  # False: the stream was cut (fault or client gone)


@dataclass(frozen=True)
class RequestEntry:
    """One journaled request: what the client sent and what answered it."""

    seq: int
    request_id: str
    started_at: float
    time: str
    duration_ms: float | None
    method: str  # "WS": a response.create over the WebSocket mode
    path: str
    transport: str  # "http" or "websocket"
    tenant: str | None
    scenario: str | None
    rule: str | None
    unmatched: list[dict[str, Any]] | None  # why no rule matched, closest rules first
    status: int | None
    error: str | None
    fault: str | None
    stream: StreamProgress | None
    response_id: str | None
    conversation_id: str | None  # the Conversations API's, when the request named one
    retry_count: int
    retry_after_ms: float | None  # the delay this answer asked the client to wait
    retry_of: str | None  # for a retry: the request id of the attempt it repeats
    retry_waited_ms: float | None  # how long the client waited since that answer
    retry_early: bool | None  # True: it retried before the retry-after it was given
    headers: Json
    body: Any
    expectations: tuple[Violation, ...]
    notes: tuple[str, ...]

    @classmethod
    def from_json(cls, d: Json) -> RequestEntry:
        stream = d.get("stream")
        return cls(
            seq=d["seq"],
            request_id=d["request_id"],
            started_at=d["started_at"],
            time=d["time"],
            duration_ms=d["duration_ms"],
            method=d["method"],
            path=d["path"],
            transport=d.get("transport", "http"),
            tenant=d["tenant"],
            scenario=d["scenario"],
            rule=d["rule"],
            unmatched=d["unmatched"],
            status=d["status"],
            error=d["error"],
            fault=d["fault"],
            stream=None if stream is None else StreamProgress(**stream),
            response_id=d["response_id"],
            conversation_id=d.get("conversation_id"),
            retry_count=d["retry_count"],
            retry_after_ms=d.get("retry_after_ms"),
            retry_of=d.get("retry_of"),
            retry_waited_ms=d.get("retry_waited_ms"),
            retry_early=d.get("retry_early"),
            headers=d["request"]["headers"],
            body=d["request"]["body"],
            expectations=tuple(Violation.from_json(v) for v in d["expectations"]),
            notes=tuple(d["notes"]),
        )

    @classmethod
    def list_from_json(cls, d: Json) -> list[RequestEntry]:
        return [cls.from_json(e) for e in d["data"]]


@dataclass(frozen=True)
class RequestPage:
    """One page of GET /_mock/requests; the next starts after `last_seq` when has_more."""

    entries: tuple[RequestEntry, ...]
    has_more: bool
    last_seq: int | None

    @classmethod
    def from_json(cls, d: Json) -> RequestPage:
        entries = tuple(RequestEntry.list_from_json(d))
        return cls(entries, bool(d.get("has_more")), d.get("last_seq"))


@dataclass(frozen=True)
class Verification:
    ok: bool
    violations: int
    requests: tuple[RequestEntry, ...]  # the journal entries with violations
    report: str  # the readable diff

    @classmethod
    def from_json(cls, d: Json) -> Verification:
        entries = tuple(RequestEntry.from_json(e) for e in d["requests"])
        return cls(bool(d["ok"]), int(d["violations"]), entries, str(d["report"]))


@dataclass(frozen=True)
class ConversationInfo:
    """One conversation of a tenant (Conversations API), with its items, oldest first."""

    id: str
    created_at: int
    metadata: Mapping[str, str]
    compactions: int  # how often a response compacted it (context_management)
    items: tuple[Json, ...]

    @classmethod
    def from_json(cls, d: Json) -> ConversationInfo:
        items = tuple(d["items"])
        return cls(d["id"], d["created_at"], dict(d["metadata"]), d["compactions"], items)

    @classmethod
    def list_from_json(cls, d: Json) -> list[ConversationInfo]:
        return [cls.from_json(c) for c in d["data"]]
