"""The request journal: what each /v1/ request sent and what answered it, newest last.

An exchange sink (`Journal.record`) keeps every finished API exchange; the admin API lists,
filters and clears it, a page at a time. It is bounded by entries (`--journal-size`) and by
the request bodies it keeps (`--journal-bytes`), server-wide, oldest dropped first, as the
store caps responses; a body above `BODY_KEPT_WHOLE` bytes is kept with its long strings cut,
and its entry says so in `notes`. It never holds an API key: tenants appear as their short
hash, credential headers are redacted. Recording is one synchronous append on the event loop,
so concurrent requests can neither lose an entry nor interleave two.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mockserver.config import DEFAULT_JOURNAL_BYTES
from mockserver.http.exchange import Exchange, redacted

# A body up to this size is kept as sent; in a larger one every string longer than
# STRING_KEPT characters is cut to that (a 1 MB prompt costs 4 KB in the journal).
BODY_KEPT_WHOLE = 256 * 1024
STRING_KEPT = 4096
ENTRY_COST = 1024  # what an entry costs besides its body (headers, facts), counted per entry
# A page of GET /_mock/requests stops after this many body bytes (at least one entry), so one
# listing never serializes the whole journal at once.
PAGE_BYTES = 8 * 1024 * 1024


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


def redact(headers: Mapping[str, str]) -> dict[str, str]:
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
    # Without `after`: the newest N of what matches; with it, the first N after that seq.
    limit: int | None = None
    after: int | None = None  # only entries whose seq is greater (paging)

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


@dataclass(frozen=True)
class Page:
    """Entries of one listing, oldest first; more match after the last when has_more."""

    entries: list[Entry]
    has_more: bool

    @property
    def last_seq(self) -> int | None:
        return self.entries[-1].seq if self.entries else None


class Journal:
    def __init__(self, size: int, max_bytes: int = DEFAULT_JOURNAL_BYTES) -> None:
        self.size = max(size, 0)
        self.max_bytes = max(max_bytes, 0)
        # Plain (seq, exchange, cost) triples: recording is on every request's path, an Entry
        # is made only for who reads the journal (a frozen dataclass costs a microsecond).
        self._entries: deque[tuple[int, Exchange, int]] = deque()
        self._bytes = 0  # the sum of the entries' costs
        self._seq = itertools.count(1)
        self.page_bytes = PAGE_BYTES

    def record(self, ex: Exchange) -> None:
        """The exchange sink: keep API traffic (the admin API's own calls are not journaled)."""
        if not ex.path.startswith("/v1/") or self.size == 0 or self.max_bytes == 0:
            return
        cost = ENTRY_COST + ex.body_bytes
        if ex.body_bytes > BODY_KEPT_WHOLE:
            ex.body, cut = _cut_strings(ex.body)
            cost -= cut
            ex.notes.append(
                f"journal: the {ex.body_bytes}-byte request body is kept with its strings cut "
                f"to {STRING_KEPT} characters ({cut} characters left out)"
            )
        entries = self._entries
        if len(entries) >= self.size:  # full: the oldest goes (one test, not the loop's two)
            self._bytes -= entries.popleft()[2]
        entries.append((next(self._seq), ex, cost))
        self._bytes += cost
        while self._bytes > self.max_bytes and len(entries) > 1:
            self._bytes -= entries.popleft()[2]

    @property
    def bytes(self) -> int:
        """What the kept entries cost, by the journal's own count (bodies' bytes mostly)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter([Entry(seq, ex) for seq, ex, _ in self._entries])

    def query(self, query: Query | None = None) -> list[Entry]:
        """Every match (for verify and tests); listings go through `page`."""
        query = query or Query()
        found = [(seq, ex) for seq, ex, _ in self._matches(query)]
        if query.limit:
            found = found[-query.limit :] if query.after is None else found[: query.limit]
        return [Entry(seq, ex) for seq, ex in found]

    def page(self, query: Query) -> Page:
        """`query`'s entries up to about `page_bytes` of bodies (always at least one)."""
        found = self._matches(query)
        if query.limit:
            more = query.after is not None and len(found) > query.limit
            found = found[-query.limit :] if query.after is None else found[: query.limit]
        else:
            more = False
        taken: list[Entry] = []
        spent = 0
        for seq, ex, cost in found:
            if taken and spent + cost > self.page_bytes:
                return Page(taken, has_more=True)
            taken.append(Entry(seq, ex))
            spent += cost
        return Page(taken, has_more=more)

    def _matches(self, query: Query) -> list[tuple[int, Exchange, int]]:
        after = query.after or 0
        return [e for e in self._entries if e[0] > after and query.matches(e[1])]

    def clear(self, tenant: str | None = None) -> int:
        """Forget everyone's entries, or one tenant's (by hash); how many went."""
        before = len(self._entries)
        if tenant is None:
            self._entries.clear()
        else:
            self._entries = deque(e for e in self._entries if e[1].tenant != tenant)
        self._bytes = sum(cost for _, _, cost in self._entries)
        return before - len(self._entries)

    def knows(self, *, tenant: str | None = None, scenario: str | None = None) -> bool:
        """Whether any entry names this tenant or scenario (for 404s on filters)."""
        return any(
            (tenant is None or ex.tenant == tenant)
            and (scenario is None or ex.scenario == scenario)
            for _, ex, _ in self._entries
        )

    def rules_of(self, scenario: str | None) -> set[str]:
        """Rule names that answered entries (of one scenario, or any)."""
        return {
            ex.rule
            for _, ex, _ in self._entries
            if ex.rule and (scenario is None or ex.scenario == scenario)
        }


def _cut_strings(value: Any) -> tuple[Any, int]:
    """A copy of the JSON value with every string longer than STRING_KEPT cut (an ellipsis
    marks the cut), and how many characters were left out. Bodies are at most 100 levels
    deep (http/body.py), so the recursion is bounded."""
    cut = 0

    def walk(v: Any) -> Any:
        nonlocal cut
        if isinstance(v, str) and len(v) > STRING_KEPT:
            cut += len(v) - STRING_KEPT
            return v[:STRING_KEPT] + "\u2026"
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v

    return walk(value), cut
