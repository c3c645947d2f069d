"""The request journal: what each /v1/ request sent and what answered it, newest last.

An exchange sink (`Journal.record`) keeps every finished API exchange; the admin API lists,
filters and clears it. It is bounded (`--journal-size`, server-wide, oldest dropped first, as
the store caps responses), and it never holds an API key: tenants appear as their short hash,
credential headers are redacted. Recording is one synchronous append on the event loop, so
concurrent requests can neither lose an entry nor interleave two.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mockserver.http.exchange import Exchange, redacted


@dataclass(frozen=True)
class Entry:
    """One journaled exchange; `seq` orders entries and survives clears (it never restarts)."""

    seq: int
    exchange: Exchange

    def as_json(self) -> dict[str, Any]:
        ex = self.exchange
        return {
            "object": "mockserver.request",
            "seq": self.seq,
            "request_id": ex.request_id,
            "started_at": ex.started_at,
            "time": _iso(ex.started_at),
            "duration_ms": None if ex.duration_ms is None else round(ex.duration_ms, 3),
            "method": ex.method,
            "path": ex.path,
            "transport": ex.transport,
            "tenant": ex.tenant,
            "scenario": ex.scenario,
            "rule": ex.rule,
            "unmatched": ex.unmatched,
            "status": ex.status,
            "error": ex.error_code,
            "fault": ex.fault,
            "stream": _stream(ex),
            "response_id": ex.response_id,
            "conversation_id": ex.conversation_id,
            "retry_count": ex.retry_count,
            # Retries (mockserver.faults): what this answer asked the client to wait, and
            # for a retry, the attempt it repeats, how long it waited, and if too early.
            "retry_after_ms": ex.retry_after_ms,
            "retry_of": ex.retry_of,
            "retry_waited_ms": ex.retry_waited_ms,
            "retry_early": ex.retry_early,
            "request": {"headers": redact(ex.headers), "body": ex.body},
            "expectations": list(ex.expectations),
            "notes": list(ex.notes),
        }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _stream(ex: Exchange) -> dict[str, Any] | None:
    if not ex.stream:
        return None
    return {"events_sent": ex.events_sent, "completed": ex.stream_completed}


def redact(headers: dict[str, str]) -> dict[str, str]:
    """Headers with credentials hidden (the handler already redacts; this is the last line)."""
    return redacted({k.lower(): v for k, v in headers.items()})


@dataclass(frozen=True)
class Query:
    """A journal filter; every field left None matches everything."""

    tenant: str | None = None  # the tenant's hash (the admin API hashes the key it is given)
    scenario: str | None = None
    rule: str | None = None
    unmatched: bool | None = None  # True: no rule answered (400 or fallback); False: one did
    violations: bool | None = None  # True: an expectation of the answering rule was not met
    since: float | None = None  # unix time, inclusive
    until: float | None = None  # unix time, exclusive
    limit: int | None = None  # the newest N of what matches

    def matches(self, ex: Exchange) -> bool:
        return (
            (self.tenant is None or ex.tenant == self.tenant)
            and (self.scenario is None or ex.scenario == self.scenario)
            and (self.rule is None or ex.rule == self.rule)
            and (self.unmatched is None or (ex.unmatched is not None) == self.unmatched)
            and (self.violations is None or bool(ex.expectations) == self.violations)
            and (self.since is None or ex.started_at >= self.since)
            and (self.until is None or ex.started_at < self.until)
        )


class Journal:
    def __init__(self, size: int) -> None:
        self.size = max(size, 0)
        # Plain (seq, exchange) pairs: recording is on every request's path, an Entry is made
        # only for who reads the journal (a frozen dataclass costs a microsecond to build).
        self._entries: deque[tuple[int, Exchange]] = deque(maxlen=self.size or None)
        self._seq = itertools.count(1)

    def record(self, ex: Exchange) -> None:
        """The exchange sink: keep API traffic (the admin API's own calls are not journaled)."""
        if not ex.path.startswith("/v1/") or self.size == 0:
            return
        self._entries.append((next(self._seq), ex))

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter([Entry(seq, ex) for seq, ex in self._entries])

    def query(self, query: Query | None = None) -> list[Entry]:
        query = query or Query()
        found = [(seq, ex) for seq, ex in self._entries if query.matches(ex)]
        if query.limit:
            found = found[-query.limit :]
        return [Entry(seq, ex) for seq, ex in found]

    def clear(self, tenant: str | None = None) -> int:
        """Forget everyone's entries, or one tenant's (by hash); how many went."""
        before = len(self._entries)
        if tenant is None:
            self._entries.clear()
        else:
            kept = (e for e in self._entries if e[1].tenant != tenant)
            self._entries = deque(kept, maxlen=self._entries.maxlen)
        return before - len(self._entries)

    def knows(self, *, tenant: str | None = None, scenario: str | None = None) -> bool:
        """Whether any entry names this tenant or scenario (for 404s on filters)."""
        return any(
            (tenant is None or ex.tenant == tenant)
            and (scenario is None or ex.scenario == scenario)
            for _, ex in self._entries
        )

    def rules_of(self, scenario: str | None) -> set[str]:
        """Rule names that answered entries (of one scenario, or any)."""
        return {
            ex.rule
            for _, ex in self._entries
            if ex.rule and (scenario is None or ex.scenario == scenario)
        }
