"""In-memory, per-tenant storage: stored responses, their input items, rule counters, randomness.

A tenant is an API key. Everything a test can observe lives on its Tenant, so parallel tests
with different keys never see each other. Tenants are bounded (`--max-tenants`): past the
limit the least recently used one is forgotten, as a reset of it would (every API key names
a tenant, so a client cycling keys must not grow the server without end). Responses are kept
as compact JSON bytes (parsed again only when a later request continues the conversation): a
small response costs about as much memory as its JSON, not the several times more that
nested dicts would.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockserver.conversations.store import ConversationStore, Owned, PendingItems
from mockserver.jsonbytes import dumps_to_keep
from mockserver.observe.evictions import EvictionLog
from mockserver.openai.ids import IdFactory

if TYPE_CHECKING:
    from mockserver.faults.state import TenantFaults
    from mockserver.scenario.engine import Counters
    from mockserver.streaming.runs import Run

log = logging.getLogger("mockserver.store")


def tenant_hash(api_key: str) -> str:
    """A short stable name for a tenant that never reveals the key."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


_ENDED = frozenset({"completed", "incomplete", "failed", "cancelled"})


class StoredResponse:
    __slots__ = (
        "_draft", "_input", "background", "body", "live", "pending", "previous_id", "tenant"
    )  # fmt: skip

    def __init__(
        self,
        tenant: Tenant,
        response: dict[str, Any],
        input_items: list[dict[str, Any]] | bytes,  # or their JSON, as dumps_to_keep's
        previous_id: str | None,
        body: bytes | None = None,
        running: bool = False,  # positional from create: a keyword to a class costs ~1k
    ) -> None:
        self.tenant = tenant
        # The Response as kept: compact JSON (`body`, when the caller wrote it: bytes of
        # their own size, as dumps_to_keep's are). A `running` one (streamed or background)
        # has its Run write it at once (`update`): it is encoded only if read before that.
        self._draft: dict[str, Any] | None = None
        if body is not None:
            self.body = body
        elif running:
            self._draft = response
        else:
            self.body = dumps_to_keep(response)
        self._input = input_items if type(input_items) is bytes else dumps_to_keep(input_items)
        self.previous_id = previous_id
        self.background = bool(response.get("background"))
        # The Run of a streamed or background response: its events and timeline, kept after
        # it ends for GET ?stream=true (resume); None otherwise.
        self.live: Run | None = None
        # The items that join its conversation when it completes (a stream or background run).
        self.pending: PendingItems | None = None

    def response(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value

    def update(self, body: bytes, response: dict[str, Any] | None = None) -> None:
        """The response's new state as kept JSON bytes (a Run cuts them out of its frames);
        `response`: the same as a dict, if the caller has it (else parsed when needed)."""
        self.body, self._draft = body, None
        if self.pending is not None:
            response = self.response() if response is None else response
            if response.get("status") in _ENDED:
                pending, self.pending = self.pending, None
                pending.settle(response)

    if not TYPE_CHECKING:  # (to mypy, `body` is the attribute __init__ sets)

        def __getattr__(self, name: str) -> Any:
            """A running response's `body`, read before its Run first wrote it: encoded now."""
            if name != "body" or self._draft is None:
                raise AttributeError(name)
            self.body, self._draft = dumps_to_keep(self._draft), None
            return self.body

    @property
    def input_body(self) -> bytes:
        """The input items as kept (JSON bytes), for a byte search before a parse."""
        return self._input

    def input_items(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = json.loads(self._input)
        return value


def _release(stored: StoredResponse) -> None:
    """Break the Run <-> StoredResponse cycle of a response the store lets go (a reader still
    following its stream keeps the Run, and the Run its response, until it is done)."""
    stored.live = None


@dataclass
class Tenant:
    name: str  # tenant_hash(key)
    rng: random.Random
    ids: IdFactory
    responses: dict[str, StoredResponse] = field(default_factory=dict)
    conversations: Owned = field(default_factory=dict)  # the Conversations API's, by id
    # Scenario bound through the admin API (used when no X-Mock-Scenario header is sent).
    scenario_binding: str | None = None
    # Requests per scenario and firings per rule (the scenario engine's `call` and `times`).
    counters: Counters = field(default_factory=lambda: _new_counters())
    # Rate-limit buckets, chaos counts, outage start, retry memory; made on first use.
    faults: TenantFaults | None = None


def _new_counters() -> Counters:
    # Imported here: the scenario package imports this module while it loads.
    from mockserver.scenario.engine import Counters

    return Counters()


class Store:
    """All tenants (least recently used first), and the server-wide caps on tenants and on
    stored responses (the least recently used tenant, the oldest response, go first)."""

    def __init__(self, seed: int | None, max_stored: int, max_tenants: int = 0) -> None:
        self._seed = seed
        self._max_stored = max_stored
        self._max_tenants = max_tenants  # 0: no limit
        self._tenants: OrderedDict[str, Tenant] = OrderedDict()  # API key -> tenant, LRU first
        self._order: OrderedDict[str, Tenant] = OrderedDict()  # response id -> owner
        self.conversations = ConversationStore(max_stored)  # their own count, same cap
        self.evictions = EvictionLog(log, "responses", "--max-stored", max_stored)
        self.tenants_evicted = 0

    def tenant(self, api_key: str) -> Tenant:
        """The key's tenant (made on first use), now the most recently used one."""
        tenant = self._tenants.get(api_key)
        if tenant is not None:
            self._tenants.move_to_end(api_key)
            return tenant
        tenant = self._tenants[api_key] = self._new_tenant(api_key)
        if self._max_tenants and len(self._tenants) > self._max_tenants:
            _, idle = self._tenants.popitem(last=False)
            self._forget(idle)
            if not self.tenants_evicted:
                log.warning(
                    "forgot the least recently used tenant %s (--max-tenants %d reached; "
                    "logged once)",
                    idle.name,
                    self._max_tenants,
                )
            self.tenants_evicted += 1
        return tenant

    def find_tenant(self, api_key: str) -> Tenant | None:
        return self._tenants.get(api_key)

    def _new_tenant(self, api_key: str) -> Tenant:
        name = tenant_hash(api_key)
        if self._seed is None:
            rng = random.Random(os.urandom(16))
        else:
            rng = random.Random(f"{self._seed}:{api_key}")
        return Tenant(name=name, rng=rng, ids=IdFactory(rng))

    def reset(self, api_key: str | None = None) -> None:
        """Forget one tenant, or everyone."""
        forgotten = list(self._tenants.values()) if api_key is None else []
        if api_key is None:
            self._tenants.clear()
        elif (tenant := self._tenants.pop(api_key, None)) is not None:
            forgotten.append(tenant)
        for tenant in forgotten:
            self._forget(tenant)

    def _forget(self, tenant: Tenant) -> None:
        """Drop a tenant's responses and conversations so their memory goes at once: a stored
        response and its tenant, and a streamed one and its Run, refer to each other, and such
        cycles would wait for a full collection (rare: see gctune), holding every body they keep."""
        for rid, stored in tenant.responses.items():
            self._order.pop(rid, None)
            _release(stored)
        tenant.responses.clear()
        self.conversations.forget(tenant.conversations)

    def put(self, tenant: Tenant, rid: str, stored: StoredResponse) -> None:
        tenant.responses[rid] = stored
        self._order[rid] = tenant
        while len(self._order) > self._max_stored:
            old_id, owner = self._order.popitem(last=False)
            old = owner.responses.pop(old_id, None)
            if old is not None:
                _release(old)
            self.evictions.evicted(old_id)

    def delete(self, tenant: Tenant, rid: str) -> bool:
        stored = tenant.responses.pop(rid, None)
        if stored is None:
            return False
        self._order.pop(rid, None)
        _release(stored)
        return True

    @property
    def stored_count(self) -> int:
        return len(self._order)

    def tenants(self) -> list[Tenant]:
        return list(self._tenants.values())
