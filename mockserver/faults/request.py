"""One create request's failure-injection bookkeeping, kept on the request.

What the pipeline hooks (hooks.py) share: the tenant's state, the rate-limit scopes and
admissions behind the x-ratelimit-* headers, the faults to apply, the stream plan; and the
helpers that admit a request, fail it with a remembered retry delay, and record the attempt.
"""

from __future__ import annotations

import functools
import json
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from mockserver.errors import MockError
from mockserver.faults.chaos import Attempt
from mockserver.faults.error_catalog import ErrorContext
from mockserver.faults.ratelimit import Admission, LimitScope, Snapshot, refusal_error
from mockserver.faults.spec import FaultSpec
from mockserver.faults.state import TenantFaults
from mockserver.faults.stream_faults import StreamPlan
from mockserver.http.middleware import API_KEY, mask_key
from mockserver.observe.metrics import RATE_LIMITED_NOTE
from mockserver.plan import Plan

if TYPE_CHECKING:
    from mockserver.pipeline.turn import Turn

ORGANIZATION = "org-mockserver"


@dataclass
class RequestFaults:
    """One create request's failure-injection bookkeeping."""

    turn: Turn
    state: TenantFaults
    fingerprint: str
    # Seed of the faults' own random stream (latency draws, garbage bytes), apart from the
    # answer's; None: unseeded. The stream is made only when a fault draws from it.
    rng_seed: str | None
    scopes: list[LimitScope] = field(default_factory=list)
    admissions: list[Admission] = field(default_factory=list)
    estimate: int = 0
    settled: bool = False
    snapshot: Snapshot | None = None  # what the x-ratelimit-* headers say
    faults: list[FaultSpec] = field(default_factory=list)  # chaos's, added to the rule's
    stream: StreamPlan | None = None

    @functools.cached_property
    def rng(self) -> random.Random:
        return random.Random(self.rng_seed if self.rng_seed is not None else os.urandom(16))


REQUEST_FAULTS = web.RequestKey("faults", RequestFaults)


def admit(rf: RequestFaults, scopes: list[LimitScope]) -> None:
    """Admit the request to these scopes (the first call also counts it in the nominal bucket)."""
    if any(s.limits.tokens_per_minute for s in scopes) and not rf.estimate:
        rf.estimate = estimate(rf.turn)
    admission = rf.state.limiter.admit(scopes, rf.estimate, nominal=not rf.admissions)
    rf.scopes.extend(scopes)
    if not admission.ok:
        rf.turn.exchange.notes.append(RATE_LIMITED_NOTE)  # the limiter, not a scripted 429
        fail(rf, refusal_error(admission, error_context(rf.turn)))
    rf.admissions.append(admission)
    # The headers tell the state as of admission (as the API's do), whenever they are sent.
    # (The first admission's own snapshot covers every scope so far; a second needs a look.)
    first = len(rf.admissions) == 1
    rf.snapshot = admission.snapshot if first else rf.state.limiter.peek(rf.scopes)


def estimate(turn: Turn) -> int:
    """Tokens a request may use, estimated as the API does: text length / 4 + max output."""
    chars = len(json.dumps(turn.conversation, ensure_ascii=False)) + len(
        turn.req.instructions or ""
    )
    return chars // 4 + (turn.req.max_output_tokens or 0)


def fail(rf: RequestFaults, error: MockError) -> None:
    """Raise the error, remembering what retry delay it told the client."""
    record(rf, error.code or error.type, told_delay(error.headers), rf.turn.plan)
    rf.turn.exchange.retry_after_ms = as_ms(told_delay(error.headers))
    raise error


def told_delay(headers: dict[str, str]) -> float | None:
    """The delay (s) the SDK reads from an answer's headers: retry-after-ms, then retry-after."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[name]) / scale
        except (KeyError, ValueError):
            continue
    return None


def as_ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def record(rf: RequestFaults, outcome: str, retry_after: float | None, plan: Plan | None) -> None:
    turn = rf.turn
    attempt = Attempt(
        turn.exchange.request_id,
        rf.state.limiter.clock.monotonic(),
        retry_after,
        turn.plan.scenario if turn.plan else None,
        turn.plan.rule if turn.plan else None,
        outcome,
        plan,
    )
    rf.state.retries.record(rf.fingerprint, attempt)


def name_faults(turn: Turn, faults: Sequence[FaultSpec]) -> None:
    if faults:
        turn.exchange.fault = "+".join(f.name for f in faults)


def error_context(turn: Turn) -> ErrorContext:
    return ErrorContext(
        model=turn.req.model,
        organization=ORGANIZATION,
        request_id=turn.exchange.request_id,
        api_key=mask_key(turn.request.get(API_KEY, "")),
    )


def settle(rf: RequestFaults) -> None:
    if rf.settled:
        return
    rf.settled = True
    response = rf.turn.response
    usage = response.get("usage") if isinstance(response, dict) else None
    used = int(usage.get("total_tokens", 0)) if isinstance(usage, dict) else 0
    for admission in rf.admissions:
        rf.state.limiter.settle(admission, used - rf.estimate)


async def ratelimit_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: x-ratelimit-* on every answer to a create request, streams too."""
    rf = request.get(REQUEST_FAULTS)
    if rf is None:
        return
    settle(rf)
    snapshot = rf.snapshot or rf.state.limiter.peek(rf.scopes)
    for name, value in snapshot.headers().items():
        response.headers.setdefault(name, value)
