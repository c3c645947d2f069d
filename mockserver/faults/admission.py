"""One create request's failure injection: its bookkeeping, and the steps the pipeline calls.

    begin(...)                       the request's RequestFaults; ties a retry to its attempt
    admit(rf, config, scenario)      server and scenario rate limits, outage, chaos
    replayed(rf, scenario)           the earlier attempt's Plan, for an `on_retry: replay` rule
    admit_rule(rf, plan, rule)       the rule's rate limits and chaos
    arm(rf, plan)                    a scripted error (raised), the rule's faults joined, the
                                     attempt remembered for a retry of it
    body_fault(rf) / shape_stream()  what acts on a JSON body, or reshapes a stream
    ratelimit_headers(rf)            x-ratelimit-*: the numbers of admission, usage settled
A refusal raises the MockError to answer (remembering the retry delay it told). A chaos or
outage choice that does not raise is returned: its pre-answer faults are the transport's to
run (transport.before_answer). RequestFaults keeps plain values (the exchange record, the
model, the API key), never the aiohttp request, so a request leaves no reference cycle.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mockserver.config import Config
from mockserver.errors import MockError, mask_key
from mockserver.faults import transport
from mockserver.faults.chaos import ChaosSpec, Choice, draw, server_chaos
from mockserver.faults.error_catalog import ErrorContext, ErrorSpec, build_error
from mockserver.faults.ratelimit import (
    Admission,
    HeaderPairs,
    LimitScope,
    Snapshot,
    refusal_error,
    server_scope,
)
from mockserver.faults.spec import FaultSpec
from mockserver.faults.state import TenantFaults
from mockserver.faults.stream_faults import (
    FaultedStream,
    fault_stream,
    stream_time_error,
)
from mockserver.http.exchange import RATE_LIMITED_NOTE, Exchange
from mockserver.plan import Plan
from mockserver.scenario.model import Rule, Scenario

__all__ = [
    "RequestFaults",
    "admit",
    "admit_rule",
    "arm",
    "begin",
    "body_fault",
    "estimate",
    "ratelimit_headers",
    "replayed",
    "shape_stream",
]

ORGANIZATION = "org-mockserver"


class RequestFaults:
    """One create request's failure-injection bookkeeping: the tenant's state, the scopes
    and admissions behind the x-ratelimit-* headers, the faults to apply, the faulted stream."""

    __slots__ = (
        "_rng",
        "admissions",
        "api_key",
        "body",
        "estimate",
        "estimate_tokens",
        "exchange",
        "faults",
        "model",
        "n",
        "plan",
        "response",
        "scopes",
        "seed",
        "settled",
        "snapshot",
        "state",
        "stream",
        "streamed",
        "tenant",
    )

    def __init__(
        self,
        state: TenantFaults,
        exchange: Exchange,
        body: bytes,  # as received: a retry sends the same bytes
        model: str,
        api_key: str,
        seed: int | None,  # the server's --seed (chaos draws, the faults' random stream)
        tenant: str,
        n: int,  # the tenant's n-th create request
        estimate_tokens: Callable[[], int],  # what admission charges (asked only if counted)
        streamed: bool = False,  # stream or background: the answer is a Run, errors can be in it
    ) -> None:
        self.state, self.exchange, self.body = state, exchange, body
        self.model, self.api_key, self.seed = model, api_key, seed
        self.tenant, self.n, self.estimate_tokens = tenant, n, estimate_tokens
        self.streamed = streamed
        self.scopes: list[LimitScope] = []
        self.admissions: list[Admission] = []
        self.estimate = 0
        self.settled = False
        self.snapshot: Snapshot | None = None  # what the x-ratelimit-* headers say
        self.plan: Plan | None = None  # the answer's plan, once chosen
        self.response: Mapping[str, Any] | None = None  # rendered: its usage settles `estimate`
        self.faults: list[FaultSpec] = []  # chaos's, then the rule's
        self.stream: FaultedStream | None = None
        self._rng: random.Random | None = None

    @property
    def rng(self) -> random.Random:
        """The faults' own random stream (latency draws, garbage bytes), apart from the
        answer's; seeded by (seed, tenant, n-th request, body), made when a fault draws."""
        if self._rng is None:
            if self.seed is None:
                self._rng = random.Random(os.urandom(16))
            else:
                fp = fingerprint(self.body)
                self._rng = random.Random(f"faults:{self.seed}:{self.tenant}:{self.n}:{fp}")
        return self._rng

    def error_context(self) -> ErrorContext:
        return ErrorContext(
            model=self.model,
            organization=ORGANIZATION,
            request_id=self.exchange.request_id,
            api_key=mask_key(self.api_key),
        )


def fingerprint(body: bytes) -> str:
    """Same request body, same fingerprint, in every process (the faults' seed material)."""
    return hashlib.blake2b(body, digest_size=12).hexdigest()


def begin(
    state: TenantFaults,
    exchange: Exchange,
    body: bytes,
    seed: int | None,
    tenant: str,
    model: str,
    api_key: str,
    estimate: Callable[[], int],
    streamed: bool = False,
    stream_error: ErrorSpec | None = None,
) -> RequestFaults:
    """The request's bookkeeping; a retry (same body, retry count > 0) is tied to its attempt.
    (Not keyword-only: the pipeline passes all ten by position, which costs less.)"""
    n = state.requests = state.requests + 1
    rf = RequestFaults(state, exchange, body, model, api_key, seed, tenant, n, estimate, streamed)
    if stream_error is not None:  # a refusal found before (the model's window) fails the stream
        _error(rf, stream_error)
    if exchange.retry_count > 0:
        report = state.retries.report(hash(body), state.limiter.clock.monotonic())
        if report is not None:
            exchange.retry_of = report.retry_of
            exchange.retry_waited_ms = round(report.waited_ms, 1)
            exchange.retry_early = report.early
    return rf


def admit(rf: RequestFaults, config: Config, scenario: Scenario | None) -> Choice | None:
    """Rate limits (a 429 is raised), then an outage window, then chaos: server's, scenario's.

    With nothing configured (the usual case) this is one test and the nominal count."""
    if (
        config.requests_per_minute is None
        and config.tokens_per_minute is None
        and (config.chaos <= 0 and (scenario is None or not scenario.admission_rules))
    ):
        _admit_nominal(rf)
        return None
    scopes = server_scope(config.requests_per_minute, config.tokens_per_minute)
    if scenario is not None and scenario.rate_limits is not None:
        scopes.append(scenario.rate_limits.scope(("scenario", scenario.name), rf.model))
    if scopes:
        _admit_scopes(rf, scopes)
    else:
        _admit_nominal(rf)
    if scenario is not None and scenario.outage is not None:
        now = rf.state.limiter.clock.monotonic()
        if scenario.outage.covers(rf.state.since_first_ms(scenario.name, now)):
            return _strike(rf, scenario.outage.choice, "outage")
    choice = _draw(rf, server_chaos(config.chaos), "server") if config.chaos > 0 else None
    if choice is None and scenario is not None and scenario.chaos is not None:
        choice = _draw(rf, scenario.chaos, f"scenario:{scenario.name}")
    return _strike(rf, choice, "chaos") if choice is not None else None


def replayed(rf: RequestFaults, scenario: Scenario | None) -> tuple[Plan, Rule] | None:
    """A retry (same body, retry count > 0) of an answer whose rule says `on_retry: replay`:
    that answer's Plan and rule."""
    if rf.exchange.retry_count < 1 or scenario is None:
        return None
    previous = rf.state.retries.previous(hash(rf.body))
    if previous is None or previous.plan is None or previous.plan.rule is None:
        return None
    rule = scenario.rule_named(previous.plan.rule)
    if rule is None or rule.on_retry != "replay":
        return None
    rf.exchange.notes.append(f"retry replays rule {previous.rule!r} of {previous.request_id}")
    return previous.plan, rule


def admit_rule(rf: RequestFaults, plan: Plan, rule: Rule | None) -> Choice | None:
    """The answering rule's own rate limits (a 429 is raised) and chaos."""
    rf.plan = plan
    if rule is None:
        return None
    if rule.rate_limits is not None:
        key = ("rule", plan.scenario or "", plan.rule or "")
        _admit_scopes(rf, [rule.rate_limits.scope(key, rf.model)])
    if rule.chaos is None:
        return None
    choice = _draw(rf, rule.chaos, f"rule:{plan.scenario}/{plan.rule}")
    return _strike(rf, choice, "chaos") if choice is not None else None


def arm(rf: RequestFaults, plan: Plan) -> list[FaultSpec]:
    """A scripted error is raised (or, streamed, fails the response in its stream: _error);
    the rule's faults join chaos's and the attempt is recorded. Returns every fault of the
    answer (the pre-answer ones are the transport's)."""
    if plan.error is not None:
        _error(rf, plan.error)
    if plan.fault:
        rf.faults.extend(plan.fault)
    if rf.faults:
        _name_faults(rf, rf.faults)
    _record(rf, rf.exchange.fault or "ok", None, plan)
    return rf.faults


def dropped(rf: RequestFaults, choice: Choice) -> None:
    """A chaos or outage choice ended the exchange on the wire: remember the attempt."""
    _record(rf, choice.name, None, None)


def body_fault(rf: RequestFaults) -> FaultSpec | None:
    """The first of the request's faults (ask only if it has some) on a JSON answer's bytes."""
    return next((f for f in rf.faults if transport.is_body_fault(f)), None)


def shape_stream(
    rf: RequestFaults, events: Sequence[Mapping[str, Any]], offsets: Sequence[float]
) -> FaultedStream | None:
    """The stream with its faults applied (kept on rf for the writer); None: no faults."""
    if not rf.faults:
        return None
    rf.stream = fault_stream(events, offsets, rf.faults, rf.error_context())
    return rf.stream


def ratelimit_headers(rf: RequestFaults) -> HeaderPairs:
    """x-ratelimit-*: the state as of admission, once the answer's real usage is settled
    (its total_tokens against the estimate admission charged; once)."""
    limiter = rf.state.limiter
    if not rf.settled:
        rf.settled = True
        usage = rf.response.get("usage") if rf.response is not None else None
        used = int(usage.get("total_tokens", 0)) if isinstance(usage, dict) else 0
        for admission in rf.admissions:
            limiter.settle(admission, used - rf.estimate)
    snapshot = rf.snapshot or limiter.peek(rf.scopes)
    return snapshot.header_pairs()


def estimate(
    conversation: Sequence[Mapping[str, Any]], instructions: str | None, max_output: int | None
) -> int:
    """Tokens a request may use, estimated as the API does: text length / 4 + max output."""
    chars = len(json.dumps(conversation, ensure_ascii=False)) + len(instructions or "")
    return chars // 4 + (max_output or 0)


def _admit_nominal(rf: RequestFaults) -> None:
    """`_admit_scopes(rf, [])` when no limit applies: counted in the nominal bucket only,
    which never refuses (tests/unit/faults/test_ratelimit.py proves the two agree)."""
    admission = rf.state.limiter.admit_nominal()
    rf.admissions.append(admission)
    rf.snapshot = admission.snapshot


def _admit_scopes(rf: RequestFaults, scopes: list[LimitScope]) -> None:
    """Admit the request to these scopes (the first call also counts it in the nominal bucket)."""
    if any(s.limits.tokens_per_minute for s in scopes) and not rf.estimate:
        rf.estimate = rf.estimate_tokens()
    admission = rf.state.limiter.admit(scopes, rf.estimate, nominal=not rf.admissions)
    rf.scopes.extend(scopes)
    if not admission.ok:
        rf.exchange.notes.append(RATE_LIMITED_NOTE)  # the limiter, not a scripted 429
        _fail(rf, refusal_error(admission, rf.error_context()))
    rf.admissions.append(admission)
    # The headers tell the state as of admission (as the API's do), whenever they are sent.
    # (The first admission's own snapshot covers every scope so far; a second needs a look.)
    first = len(rf.admissions) == 1
    rf.snapshot = admission.snapshot if first else rf.state.limiter.peek(rf.scopes)


def _draw(rf: RequestFaults, spec: ChaosSpec | None, scope: str) -> Choice | None:
    if spec is None:
        return None
    return draw(spec, rf.seed, scope, rf.state.next_count(scope))


def _strike(rf: RequestFaults, choice: Choice, why: str) -> Choice:
    """A chaos/outage choice: its error is raised (or fails the stream: _error); its later
    faults join the request's."""
    rf.exchange.notes.append(f"{why}: {choice.name}")
    if choice.error is not None:
        _error(rf, choice.error)
    rf.faults.extend(f for f in choice.faults if not transport.is_pre_answer(f))
    _name_faults(rf, choice.faults)
    return choice


def _error(rf: RequestFaults, spec: ErrorSpec) -> None:
    """Raise the error; or, for a streamed request and an error the API reports once the
    stream has started (spec.fails_in_stream), fail the response in its stream instead."""
    if not (rf.streamed and spec.fails_in_stream()):
        _fail(rf, build_error(spec, rf.error_context()))
    rf.faults.append(stream_time_error(spec))
    rf.exchange.error_code = spec.code or spec.type


def _fail(rf: RequestFaults, error: MockError) -> None:
    """Raise the error, remembering what retry delay it told the client."""
    delay = _told_delay(error.headers)
    _record(rf, error.code or error.type, delay, rf.plan)
    rf.exchange.retry_after_ms = None if delay is None else delay * 1000
    raise error


def _told_delay(headers: dict[str, str]) -> float | None:
    """The delay (s) the SDK reads from an answer's headers: retry-after-ms, then retry-after."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[name]) / scale
        except (KeyError, ValueError):
            continue
    return None


def _record(rf: RequestFaults, outcome: str, retry_after: float | None, plan: Plan | None) -> None:
    """Remember this attempt by its body, for a retry of it (the body's hash: the retry
    memory holds a few hundred attempts a tenant, and is never seed material)."""
    chosen = rf.plan
    rf.state.retries.remember(
        hash(rf.body),
        rf.exchange.request_id,
        rf.state.limiter.clock.monotonic(),
        retry_after,
        chosen.scenario if chosen else None,
        chosen.rule if chosen else None,
        outcome,
        plan,
    )


def _name_faults(rf: RequestFaults, faults: Sequence[FaultSpec]) -> None:
    if faults:
        rf.exchange.fault = "+".join(f.name for f in faults)
