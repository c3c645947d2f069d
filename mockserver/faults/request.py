"""One create request's failure-injection bookkeeping: admissions, the estimate, the seeded draws.

RequestFaults holds what the steps of admission.py share: the tenant's state, the rate-limit
scopes and admissions behind the headers, the faults to apply, the faulted stream. It keeps
plain values (the exchange record, the model, the API key), never the aiohttp request, so a
request leaves no reference cycle behind. Helpers here admit a request, fail it with a
remembered retry delay, and record the attempt for a later retry.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockserver.errors import MockError, mask_key
from mockserver.faults.chaos import Attempt
from mockserver.faults.error_catalog import ErrorContext
from mockserver.faults.ratelimit import Admission, LimitScope, Snapshot, refusal_error
from mockserver.faults.spec import FaultSpec
from mockserver.faults.state import TenantFaults
from mockserver.faults.stream_faults import FaultedStream
from mockserver.http.exchange import RATE_LIMITED_NOTE, Exchange
from mockserver.plan import Plan

ORGANIZATION = "org-mockserver"


@dataclass
class RequestFaults:
    """One create request's failure-injection bookkeeping."""

    state: TenantFaults
    exchange: Exchange
    model: str
    api_key: str
    fingerprint: str  # of the body: a retry sends the same bytes
    seed: int | None  # the server's --seed (chaos draws, the faults' random stream)
    # Seed material of the faults' own random stream (latency draws, garbage bytes), apart
    # from the answer's; None: unseeded. The stream is made only when a fault draws from it.
    rng_seed: str | None
    estimate_tokens: Callable[[], int]  # what admission charges (asked only if a limit counts)
    streamed: bool = False  # stream or background: the answer is a Run, errors can come in it
    scopes: list[LimitScope] = field(default_factory=list)
    admissions: list[Admission] = field(default_factory=list)
    estimate: int = 0
    used_tokens: int = 0  # the answer's total_tokens, once rendered (settles the estimate)
    settled: bool = False
    snapshot: Snapshot | None = None  # what the x-ratelimit-* headers say
    plan: Plan | None = None  # the answer's plan, once chosen
    faults: list[FaultSpec] = field(default_factory=list)  # chaos's, then the rule's
    stream: FaultedStream | None = None

    @functools.cached_property
    def rng(self) -> random.Random:
        return random.Random(self.rng_seed if self.rng_seed is not None else os.urandom(16))

    def error_context(self) -> ErrorContext:
        return ErrorContext(
            model=self.model,
            organization=ORGANIZATION,
            request_id=self.exchange.request_id,
            api_key=mask_key(self.api_key),
        )


def fingerprint(body: bytes) -> str:
    """Same request body, same fingerprint. The raw bytes: an SDK resends them unchanged."""
    return hashlib.blake2b(body, digest_size=12).hexdigest()


def admit_scopes(rf: RequestFaults, scopes: list[LimitScope]) -> None:
    """Admit the request to these scopes (the first call also counts it in the nominal bucket)."""
    if any(s.limits.tokens_per_minute for s in scopes) and not rf.estimate:
        rf.estimate = rf.estimate_tokens()
    admission = rf.state.limiter.admit(scopes, rf.estimate, nominal=not rf.admissions)
    rf.scopes.extend(scopes)
    if not admission.ok:
        rf.exchange.notes.append(RATE_LIMITED_NOTE)  # the limiter, not a scripted 429
        fail(rf, refusal_error(admission, rf.error_context()))
    rf.admissions.append(admission)
    # The headers tell the state as of admission (as the API's do), whenever they are sent.
    # (The first admission's own snapshot covers every scope so far; a second needs a look.)
    first = len(rf.admissions) == 1
    rf.snapshot = admission.snapshot if first else rf.state.limiter.peek(rf.scopes)


def admit_nominal(rf: RequestFaults) -> None:
    """`admit_scopes(rf, [])` when no limit applies: counted in the nominal bucket only,
    which never refuses (tests/unit/faults/test_ratelimit.py proves the two agree)."""
    admission = rf.state.limiter.admit_nominal()
    rf.admissions.append(admission)
    rf.snapshot = admission.snapshot


def estimate(
    conversation: Sequence[Mapping[str, Any]], instructions: str | None, max_output: int | None
) -> int:
    """Tokens a request may use, estimated as the API does: text length / 4 + max output."""
    chars = len(json.dumps(conversation, ensure_ascii=False)) + len(instructions or "")
    return chars // 4 + (max_output or 0)


def fail(rf: RequestFaults, error: MockError) -> None:
    """Raise the error, remembering what retry delay it told the client."""
    record(rf, error.code or error.type, told_delay(error.headers), rf.plan)
    rf.exchange.retry_after_ms = as_ms(told_delay(error.headers))
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
    """Remember this attempt by body fingerprint, for a retry of it."""
    chosen = rf.plan
    attempt = Attempt(
        rf.exchange.request_id,
        rf.state.limiter.clock.monotonic(),
        retry_after,
        chosen.scenario if chosen else None,
        chosen.rule if chosen else None,
        outcome,
        plan,
    )
    rf.state.retries.record(rf.fingerprint, attempt)


def name_faults(rf: RequestFaults, faults: Sequence[FaultSpec]) -> None:
    if faults:
        rf.exchange.fault = "+".join(f.name for f in faults)


def settle(rf: RequestFaults) -> None:
    if rf.settled:
        return
    rf.settled = True
    for admission in rf.admissions:
        rf.state.limiter.settle(admission, rf.used_tokens - rf.estimate)
