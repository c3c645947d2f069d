"""What the create pipeline knows about one request, and what it has made of it.

Turn: the validated request with its tenant and conversation (create.open_turn makes it).
Created: the answer the transport-independent steps made: the Plan, the rendered and stored
Response, the request's fault bookkeeping. The HTTP answer (JSON, SSE, background) and,
later, the WebSocket one are written from a Created. Neither holds the aiohttp request, so
a request leaves no reference cycle behind.
Both are made once per request and never changed afterwards; they are slotted rather than
frozen only because a frozen dataclass's __init__ costs ~5x more (one object.__setattr__ a
field), as do the pipeline's other per-request values (Incoming, Continuation, Decision).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from mockserver.catalog.models import ModelInfo
from mockserver.config import Config
from mockserver.faults import admission
from mockserver.faults.admission import RequestFaults
from mockserver.http.exchange import Exchange
from mockserver.openai.request import ResponseRequest
from mockserver.pipeline.conversations import Continuation
from mockserver.pipeline.store import StoredResponse, Tenant
from mockserver.plan import Plan
from mockserver.zeroconfig import generate
from mockserver.zeroconfig.generate import ContentStream


@dataclass(slots=True)
class Turn:
    config: Config
    tenant: Tenant
    req: ResponseRequest
    # Earlier turns + this request's input, from the last compaction item on (what is counted).
    conversation: list[dict[str, Any]]
    history_len: int  # how many of conversation's items came from earlier turns
    exchange: Exchange
    # The conversation it runs in, what the scenario sees of it (compactions expanded).
    continues: Continuation
    # The content randomness, made at the first draw (`content_rng`): a static rule's answer
    # draws nothing, and making the stream still costs ~2k instructions (a static answer
    # need not pay it). Without a seed it is made at once: its key
    # comes from the tenant's stream, before the ids drawn from it.
    content: ContentStream | None

    def content_rng(self) -> random.Random:
        """The content randomness (keyed by seed + request when a seed is set)."""
        if self.content is None:
            self.content = ContentStream(self.config.seed, self.tenant.rng, self.req.raw)
        return self.content

    def token_estimate(self) -> int:
        """What the rate limits count the request as, before its answer is known."""
        req = self.req
        return admission.estimate(self.conversation, req.instructions, req.max_output_tokens)

    # What the scenario engine generates with (methods: a bound method costs less to pass
    # than a closure), made only if it draws one.
    def json_for_schema(self, schema: dict[str, Any], rng: random.Random) -> Any:
        """A value for schema within the answer's budget."""
        return generate.json_for_answer(self.req, self.exchange.notes, schema, rng)

    def generated_plan(self) -> Plan:
        """The zero-config plan (a scenario's fallback)."""
        return generate.plan_for(self.req, self.content_rng(), self.exchange.notes)


@dataclass(slots=True)
class Created:
    turn: Turn
    plan: Plan
    model: ModelInfo
    response: dict[str, Any]  # the final Response
    stored: StoredResponse | None  # None: store=false
    faults: RequestFaults
