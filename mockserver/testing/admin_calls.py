"""Every admin API call as data: method, path, query, body, and how to read the answer.

Both clients of admin_client.py send these; only the transport differs.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from mockserver.testing.admin_types import (
    Binding,
    ConversationInfo,
    Health,
    RequestPage,
    ScenarioInfo,
    Verification,
)

T = TypeVar("T")
ScenarioSource = str | Path | Mapping[str, Any] | Sequence[Mapping[str, Any]]
Moment = float | datetime


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    read: Callable[[Any], T]
    query: Mapping[str, str] | None = None
    body: bytes | None = None
    content_type: str = "application/json"

    def target(self, base: str) -> str:
        query = f"?{urllib.parse.urlencode(self.query)}" if self.query else ""
        return f"{base}{self.path}{query}"


def _query(**values: Any) -> dict[str, str]:
    out = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, datetime):
            value = value.timestamp()
        out[name] = str(value)
    return out


def _source(source: ScenarioSource) -> tuple[bytes, str]:
    """The body for a scenario: YAML/JSON text as is, a file's text, or a mapping as JSON."""
    if isinstance(source, Path):
        source = source.read_text(encoding="utf-8")
    if isinstance(source, str):
        return source.encode(), "application/yaml"
    return json.dumps(source).encode(), "application/json"


def _quoted(name: str) -> str:
    return urllib.parse.quote(name, safe="")


class Calls:
    """Every admin call, as data (shared by both clients)."""

    @staticmethod
    def health() -> Call[Health]:
        return Call("GET", "/_mock/health", Health.from_json)

    @staticmethod
    def scenarios() -> Call[list[ScenarioInfo]]:
        return Call("GET", "/_mock/scenarios", ScenarioInfo.list_from_json)

    @staticmethod
    def scenario(name: str) -> Call[ScenarioInfo]:
        return Call("GET", f"/_mock/scenarios/{_quoted(name)}", ScenarioInfo.from_json)

    @staticmethod
    def add_scenarios(source: ScenarioSource) -> Call[list[ScenarioInfo]]:
        body, kind = _source(source)
        return Call("POST", "/_mock/scenarios", ScenarioInfo.list_from_json, None, body, kind)

    @staticmethod
    def put_scenario(name: str, source: ScenarioSource) -> Call[ScenarioInfo]:
        body, kind = _source(source)
        path = f"/_mock/scenarios/{_quoted(name)}"
        return Call("PUT", path, ScenarioInfo.from_json, None, body, kind)

    @staticmethod
    def delete_scenario(name: str) -> Call[bool]:
        return Call("DELETE", f"/_mock/scenarios/{_quoted(name)}", lambda d: bool(d["deleted"]))

    @staticmethod
    def bind(tenant: str, scenario: str) -> Call[Binding]:
        body = json.dumps({"scenario": scenario}).encode()
        path = "/_mock/tenants/binding"
        return Call("PUT", path, Binding.from_json, _query(tenant=tenant), body)

    @staticmethod
    def binding(tenant: str) -> Call[Binding]:
        return Call("GET", "/_mock/tenants/binding", Binding.from_json, _query(tenant=tenant))

    @staticmethod
    def unbind(tenant: str) -> Call[Binding]:
        return Call("DELETE", "/_mock/tenants/binding", Binding.from_json, _query(tenant=tenant))

    @staticmethod
    def requests(**filters: Any) -> Call[RequestPage]:
        """The first page of the journal's matches (clients follow `next_requests`)."""
        return Call("GET", "/_mock/requests", RequestPage.from_json, _query(**filters))

    @staticmethod
    def next_requests(
        filters: dict[str, Any], page: RequestPage, taken: int
    ) -> Call[RequestPage] | None:
        """The page after `page` (None: that was the last), `taken` entries read so far."""
        if not page.has_more or page.last_seq is None:
            return None
        limit = filters.get("limit")
        rest = {
            **filters,
            "after": page.last_seq,
            "limit": None if limit is None else limit - taken,
        }
        return Call("GET", "/_mock/requests", RequestPage.from_json, _query(**rest))

    @staticmethod
    def clear_requests(tenant: str | None) -> Call[int]:
        query = _query(tenant=tenant)
        return Call("DELETE", "/_mock/requests", lambda d: int(d["requests"]), query)

    @staticmethod
    def reset(tenant: str | None) -> Call[int]:
        return Call("POST", "/_mock/reset", lambda d: int(d["requests"]), _query(tenant=tenant))

    @staticmethod
    def conversations(tenant: str) -> Call[list[ConversationInfo]]:
        query = _query(tenant=tenant)
        return Call("GET", "/_mock/conversations", ConversationInfo.list_from_json, query)

    @staticmethod
    def forget_conversations(tenant: str) -> Call[int]:
        query = _query(tenant=tenant)
        return Call("DELETE", "/_mock/conversations", lambda d: int(d["conversations"]), query)

    @staticmethod
    def verify(tenant: str | None) -> Call[Verification]:
        return Call("GET", "/_mock/verify", Verification.from_json, _query(tenant=tenant))
