"""Rate limits that really count: token buckets per tenant (and per model where configured).

Limits come from the command line (`Config.requests_per_minute` / `tokens_per_minute`), a
scenario's `rate_limits:` or a rule's; each source is a `LimitScope` with its own buckets.
A bucket holds up to its per-minute limit and refills continuously (limit / 60 per second),
as the real API's "remaining" and "reset" headers behave. Each tenant has its own RateLimiter.
Admission checks every scope that applies, then charges them all in one synchronous step, so
concurrent requests on one event loop can never overdraw a bucket.

With no limit configured the headers still appear (every real answer carries them): a
nominal bucket counts requests and tokens but never refuses one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

from multidict import istr

from mockserver.clock import SYSTEM_CLOCK, Clock, format_duration
from mockserver.errors import MockError
from mockserver.faults.error_catalog import PRESETS, ErrorContext, build_error
from mockserver.faults.ratelimit_spec import (
    LimitScope,
    RateLimits,
    RateLimitSpec,
    parse_rate_limits,
    server_scope,
    validate_rate_limits,
)

__all__ = [
    "RATELIMIT_HEADERS",
    "Admission",
    "LimitScope",
    "RateLimitSpec",
    "RateLimiter",
    "RateLimits",
    "Snapshot",
    "parse_rate_limits",
    "refusal_error",
    "server_scope",
    "validate_rate_limits",
]

Kind = Literal["requests", "tokens"]

# What an unconfigured server reports (a high usage tier), counted but never enforced.
NOMINAL_REQUESTS_PER_MINUTE = 10_000
NOMINAL_TOKENS_PER_MINUTE = 30_000_000


class Bucket:
    """A token bucket that refills continuously to `capacity` over one minute."""

    __slots__ = ("capacity", "level", "rate", "stamp")

    def __init__(self, capacity: int, now: float) -> None:
        self.capacity = float(capacity)
        self.rate = capacity / 60.0  # units per second
        self.level = float(capacity)
        self.stamp = now

    def refill(self, now: float) -> None:
        if now > self.stamp:
            # A comparison, not min(): this runs twice a request, and min() of two
            # arguments costs ~1k instructions in its argument parsing.
            level = self.level + (now - self.stamp) * self.rate
            self.level = level if level < self.capacity else self.capacity
            self.stamp = now

    def remaining(self) -> int:
        return max(0, math.floor(self.level + 1e-9))

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` is available (0 when it is now)."""
        return max(0.0, (amount - self.level) / self.rate) if self.rate else math.inf

    def reset_in(self) -> float:
        """Seconds until the bucket is full again (the API's x-ratelimit-reset-*)."""
        return self.wait_for(self.capacity)


class Snapshot(NamedTuple):
    """The numbers behind one answer's x-ratelimit-* headers (a tuple: one is made for every
    request, and a frozen dataclass costs several times as much to build)."""

    limit_requests: int
    remaining_requests: int
    reset_requests: float
    limit_tokens: int
    remaining_tokens: int
    reset_tokens: float

    def header_pairs(self) -> HeaderPairs:
        """The x-ratelimit-* headers in the API's order, as pairs (an answer's headers take
        them in one `extend`). Kept per snapshot (bounded): answers in a row often show the
        same numbers, and six texts cost several thousand instructions to make."""
        pairs = _PAIRS.get(self)
        if pairs is None:
            if len(_PAIRS) >= _MAX_KEPT:
                _PAIRS.clear()
            pairs = _PAIRS[self] = (
                (_LIMIT_REQUESTS, str(self.limit_requests)),
                (_LIMIT_TOKENS, str(self.limit_tokens)),
                (_REMAINING_REQUESTS, str(self.remaining_requests)),
                (_REMAINING_TOKENS, str(self.remaining_tokens)),
                (_RESET_REQUESTS, format_duration(self.reset_requests)),
                (_RESET_TOKENS, format_duration(self.reset_tokens)),
            )
        return pairs

    def headers(self) -> dict[str, str]:
        return dict(self.header_pairs())


HeaderPairs = tuple[tuple[str, str], ...]
# The names as istr: an answer's CIMultiDict takes them without folding their case.
_LIMIT_REQUESTS = istr("x-ratelimit-limit-requests")
_LIMIT_TOKENS = istr("x-ratelimit-limit-tokens")
_REMAINING_REQUESTS = istr("x-ratelimit-remaining-requests")
_REMAINING_TOKENS = istr("x-ratelimit-remaining-tokens")
_RESET_REQUESTS = istr("x-ratelimit-reset-requests")
_RESET_TOKENS = istr("x-ratelimit-reset-tokens")
# A snapshot's header texts, kept by value (bounded; cleared when full). Few: the numbers
# that repeat are few (a bucket full, or drained), and a bigger table costs more than it
# saves while requests outpace the refill (in-process, 1 ms apart: 4096 kept 67k a
# request, 64 kept 52k; likely the garbage collector walking the entries kept).
_MAX_KEPT = 64
_PAIRS: dict[Snapshot, HeaderPairs] = {}


# The names `header_pairs` gives.
RATELIMIT_HEADERS = frozenset(name for name, _ in Snapshot(0, 0, 0.0, 0, 0, 0.0).header_pairs())


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused: which bucket, the numbers for the API's message."""

    kind: Kind
    limit: int
    used: int
    requested: int
    retry_after: float | None  # None: the request can never fit (larger than the limit)


class Admission(NamedTuple):  # one per request, as Snapshot
    snapshot: Snapshot
    refusal: Refusal | None = None
    charged: tuple[tuple[str, ...], ...] = ()  # scope keys, for settle()

    @property
    def ok(self) -> bool:
        return self.refusal is None


_Pair = tuple[Bucket | None, Bucket | None]
_new_tuple = tuple.__new__


class RateLimiter:
    """One tenant's buckets, keyed by scope (the tenant's state holds one of these)."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._buckets: dict[tuple[str, ...], _Pair] = {}
        # The last nominal admission, by the two levels it shows (admit_nominal): requests
        # slower than the nominal refill, or faster once the bucket has drained, show the
        # same levels every time. One kept, not a table of them: storing every new level
        # cost more (~14k a request) than it saved. (-1: a requests level never is.)
        self._nominal_levels = (-1.0, -1.0)
        self._nominal_admission = Admission(Snapshot(0, 0, 0.0, 0, 0, 0.0))

    def admit(
        self, scopes: Sequence[LimitScope], tokens: int, *, nominal: bool = True
    ) -> Admission:
        """Check every scope, then charge 1 request and `tokens` tokens to all of them.

        Synchronous on purpose: nothing can run between the check and the charge.
        `nominal=False` for a second admission of the same request (a rule's own limits),
        so the nominal bucket counts each request once.
        """
        now = self.clock.monotonic()
        pairs = [self._pair(scope, now) for scope in scopes]
        shown = self._pair(_NOMINAL, now)
        refusal = _refusal(pairs, tokens)
        charged = () if refusal else tuple(scope.key for scope in scopes)
        if refusal is None:
            if nominal:
                charged += (_NOMINAL.key,)
            for req, tok in [self._buckets[key] for key in charged]:
                _charge(req, 1)
                _charge(tok, tokens)
        return Admission(snapshot=_snapshot(pairs, shown), refusal=refusal, charged=charged)

    def admit_nominal(self) -> Admission:
        """`admit([], 0)` for a request no limit applies to (the usual case, on every
        request): it is counted in the nominal bucket, which never refuses, and the headers
        show that bucket. Same numbers, a few operations instead of the general walk; the
        last Admission is kept by the two levels it shows, and given again for the same."""
        now = self.clock.monotonic()
        pair = self._buckets.get(_NOMINAL.key)
        req, tok = pair if pair is not None else self._pair(_NOMINAL, now)
        assert req is not None and tok is not None  # the nominal pair has both
        req.refill(now)
        tok.refill(now)
        req.level = req.level - 1 if req.level > 1 else 0.0  # `_charge(req, 1)`; 0 tokens: none
        levels = (req.level, tok.level)
        if levels == self._nominal_levels:
            return self._nominal_admission
        snapshot = _pair_snapshot(req, tok)  # (tuple.__new__: see there)
        admission = _new_tuple(Admission, (snapshot, None, _NOMINAL_CHARGED))
        self._nominal_levels, self._nominal_admission = levels, admission
        return admission

    def settle(self, admission: Admission, tokens_delta: int) -> None:
        """Correct an admitted request's token charge once its real usage is known.

        Admission charges an estimate (input + max_output_tokens); a refund or a further charge
        here keeps the buckets equal to what was really used. Never refuses.
        """
        if admission.refusal is not None or tokens_delta == 0:  # not `.ok`: a call less
            return
        now = self.clock.monotonic()
        for key in admission.charged:
            pair = self._buckets.get(key)
            if pair is not None and (tokens := pair[1]) is not None:
                tokens.refill(now)
                level = tokens.level - tokens_delta  # no more than capacity (not min(): ~1k)
                tokens.level = level if level < tokens.capacity else tokens.capacity

    def peek(self, scopes: Sequence[LimitScope]) -> Snapshot:
        """The headers' numbers without charging anything."""
        now = self.clock.monotonic()
        pairs = [self._pair(scope, now) for scope in scopes]
        return _snapshot(pairs, self._pair(_NOMINAL, now))

    def reset(self) -> None:
        self._buckets.clear()

    def _pair(self, scope: LimitScope, now: float) -> _Pair:
        pair = self._buckets.get(scope.key)
        if pair is None:
            pair = (
                _bucket(scope.limits.requests_per_minute, now),
                _bucket(scope.limits.tokens_per_minute, now),
            )
            self._buckets[scope.key] = pair
        for bucket in pair:
            if bucket is not None:
                bucket.refill(now)
        return pair


_NOMINAL = LimitScope(
    ("nominal",), RateLimits(NOMINAL_REQUESTS_PER_MINUTE, NOMINAL_TOKENS_PER_MINUTE)
)
_NOMINAL_CHARGED = (_NOMINAL.key,)


def _bucket(per_minute: int | None, now: float) -> Bucket | None:
    return None if per_minute is None else Bucket(per_minute, now)


def _charge(bucket: Bucket | None, amount: int) -> None:
    if bucket is not None:
        # Admission checked enforced buckets; the nominal one is never enforced, so it stops
        # at empty rather than owing tokens it was never asked to refuse.
        bucket.level = max(0.0, bucket.level - amount)


def _refusal(pairs: Sequence[_Pair], tokens: int) -> Refusal | None:
    for req, _ in pairs:
        if req is not None and req.level < 1:
            return _refused("requests", req, 1)
    for _, tok in pairs:
        if tok is not None and tokens > tok.capacity:
            return Refusal("tokens", int(tok.capacity), 0, tokens, None)
        if tok is not None and tok.level < tokens:
            return _refused("tokens", tok, tokens)
    return None


def _refused(kind: Kind, bucket: Bucket, requested: int) -> Refusal:
    used = math.ceil(bucket.capacity - bucket.level)
    return Refusal(kind, int(bucket.capacity), used, requested, bucket.wait_for(requested))


def _snapshot(pairs: Sequence[_Pair], nominal: _Pair) -> Snapshot:
    """The most constraining configured bucket of each kind; the nominal one if none is."""
    req = _tightest([p[0] for p in pairs]) or nominal[0]
    tok = _tightest([p[1] for p in pairs]) or nominal[1]
    assert req is not None and tok is not None  # the nominal pair has both
    return _pair_snapshot(req, tok)


def _pair_snapshot(req: Bucket, tok: Bucket) -> Snapshot:
    # Bucket.remaining() and reset_in(), written out: this runs for every answer whose
    # levels were not seen before. Comparisons, not max(): ~1k instructions each less.
    req_left, tok_left = math.floor(req.level + 1e-9), math.floor(tok.level + 1e-9)
    req_reset = (req.capacity - req.level) / req.rate if req.rate else math.inf
    tok_reset = (tok.capacity - tok.level) / tok.rate if tok.rate else math.inf
    # tuple.__new__ itself: a NamedTuple's own __new__ is a Python frame (~2k more).
    return _new_tuple(
        Snapshot,
        (
            int(req.capacity),
            req_left if req_left > 0 else 0,
            req_reset if req_reset > 0.0 else 0.0,
            int(tok.capacity),
            tok_left if tok_left > 0 else 0,
            tok_reset if tok_reset > 0.0 else 0.0,
        ),
    )


def _tightest(buckets: Sequence[Bucket | None]) -> Bucket | None:
    present = [b for b in buckets if b is not None]
    return min(present, key=lambda b: (b.remaining(), -b.reset_in())) if present else None


def refusal_error(admission: Admission, ctx: ErrorContext) -> MockError:
    """The 429 the real API answers for a refused request, with its headers."""
    refusal = admission.refusal
    assert refusal is not None
    ctx = _numbers(ctx, refusal, admission.snapshot)
    if refusal.retry_after is None:
        error = build_error(PRESETS["request_too_large"], ctx)
    else:
        preset = (
            "rate_limit_exceeded" if refusal.kind == "requests" else "rate_limit_exceeded_tokens"
        )
        spec = replace(
            PRESETS[preset],
            retry_after=refusal.retry_after,
            retry_after_ms=refusal.retry_after * 1000,
        )
        error = build_error(spec, ctx)
        # Whole milliseconds, rounded up: waiting exactly this long always succeeds.
        error.headers["retry-after-ms"] = str(math.ceil(refusal.retry_after * 1000))
    error.headers.update(admission.snapshot.headers())
    return error


def _numbers(ctx: ErrorContext, refusal: Refusal, snapshot: Snapshot) -> ErrorContext:
    if refusal.kind == "requests":
        return replace(
            ctx,
            limit_requests=refusal.limit,
            used_requests=refusal.used,
            limit_tokens=snapshot.limit_tokens,
        )
    return replace(
        ctx,
        limit_tokens=refusal.limit,
        used_tokens=refusal.used,
        requested_tokens=refusal.requested,
        limit_requests=snapshot.limit_requests,
    )
