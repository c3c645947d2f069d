"""Stream pacing: when each event of a stream is due.

Deadlines are absolute offsets (ms) from the stream's start, computed once up front from
the settings and a seeded random source; the writer (streaming/writer.py) keeps to them.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from itertools import accumulate, islice
from operator import le
from typing import Any, Literal

from mockserver.openai import tokens
from mockserver.openai.chunking import CHUNK_MODES, Chunking, ChunkMode
from mockserver.openai.event_builder import Role

JitterShape = Literal["uniform", "lognormal"]
JITTER_SHAPES = ("uniform", "lognormal")
_LOGNORMAL_SIGMA = 0.5  # right-skewed: most gaps near nominal, a few late ones


class PacingError(ValueError):
    """Invalid pacing settings; `errors` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Pacing:
    """Timing and chunking of one stream (scenario `stream:` at scenario or rule level).

    jitter_ms: every gap between deltas varies by at most +-jitter_ms; deadlines stay
    within +-jitter_ms/2 of the nominal grid, so jitter never drifts.
    delays_ms: explicit delay before delta i (from the previous delta; the first from
    the start of generation, replacing ttft); deltas past the list use the interval.
    queued_ms: how long a background response stays queued before in_progress.
    """

    ttft_ms: float = 0.0
    interval_ms: float = 0.0
    jitter_ms: float = 0.0
    jitter: JitterShape = "uniform"
    tokens_per_second: float | None = None
    delays_ms: tuple[float, ...] = ()
    chunk: ChunkMode = "word"
    chunk_size: int = 8
    chunks: tuple[str, ...] = field(default=(), repr=False)
    queued_ms: float = 0.0
    arguments_chunk: ChunkMode = "token"  # function-call arguments, as real traffic cuts them

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any], base: Pacing | None = None) -> Pacing:
        """Settings from a scenario mapping, over `base` (e.g. rule over scenario level).

        `chunk` is a mode name or a list of explicit chunks. Raises PacingError naming
        every bad key or value and what is allowed.
        """
        if not isinstance(d, Mapping):
            raise PacingError([f"stream: expected a mapping, got {type(d).__name__}"])
        errors: list[str] = []
        values: dict[str, Any] = {}
        for key, value in d.items():
            check = _CHECKS.get(key)
            if check is None:
                allowed = ", ".join(sorted(_CHECKS))
                errors.append(f"stream.{key}: unknown key. Valid keys are: {allowed}")
                continue
            try:
                values.update(check(key, value))
            except PacingError as e:
                errors.extend(e.errors)
        if errors:
            raise PacingError(errors)
        return replace(base or cls(), **values)

    @functools.cached_property
    def chunking(self) -> Chunking:
        """How texts are cut (made once per Pacing: a scenario's is shared by its requests)."""
        return Chunking(
            mode=self.chunk,
            size=self.chunk_size,
            explicit=self.chunks,
            arguments=self.arguments_chunk,
        )

    def gap_ms(self, index: int, text: str) -> float:
        """Nominal time before delta `index` (index >= 1) since the previous delta."""
        if index < len(self.delays_ms):
            return self.delays_ms[index]
        if self.tokens_per_second:
            return 1000.0 * max(1, tokens.count(text)) / self.tokens_per_second
        return self.interval_ms

    @functools.cached_property
    def instant(self) -> bool:
        """Whether every event is due at the start (nothing delays anything, nothing is drawn)."""
        timed = (self.ttft_ms, self.interval_ms, self.jitter_ms, self.queued_ms, *self.delays_ms)
        return not any(timed) and not self.tokens_per_second

    @functools.cached_property
    def draws(self) -> bool:
        """Whether scheduling draws from the stream's generator (only jitter does). Cached,
        as `instant`: read on every stream, and a scenario's Pacing is shared by its requests."""
        return self.jitter_ms > 0

    def first_ms(self) -> float:
        """Nominal time from the start of generation to the first delta."""
        return self.delays_ms[0] if self.delays_ms else self.ttft_ms


def _bad(key: str, expected: str, got: Any) -> PacingError:
    return PacingError([f"stream.{key}: expected {expected}, got {got!r}"])


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _non_negative(key: str, v: Any) -> dict[str, Any]:
    if not _is_number(v) or v < 0:
        raise _bad(key, "a number >= 0", v)
    return {key: float(v)}


def _rate(key: str, v: Any) -> dict[str, Any]:
    if v is None:
        return {key: None}
    if not _is_number(v) or v <= 0:
        raise _bad(key, "a number > 0 (or null)", v)
    return {key: float(v)}


def _shape(key: str, v: Any) -> dict[str, Any]:
    if v not in JITTER_SHAPES:
        raise _bad(key, "one of " + ", ".join(JITTER_SHAPES), v)
    return {key: v}


def _delays(key: str, v: Any) -> dict[str, Any]:
    if not isinstance(v, list | tuple) or not all(_is_number(x) and x >= 0 for x in v):
        raise _bad(key, "a list of numbers >= 0", v)
    return {key: tuple(float(x) for x in v)}


def _chunk(key: str, v: Any) -> dict[str, Any]:
    if isinstance(v, list | tuple):
        if not v or not all(isinstance(c, str) for c in v):
            raise _bad(key, "a non-empty list of strings (explicit chunks)", v)
        return {"chunks": tuple(v)}
    if v not in CHUNK_MODES:
        raise _bad(key, "one of " + ", ".join(CHUNK_MODES) + " or a list of strings", v)
    return {key: v}


def _mode(key: str, v: Any) -> dict[str, Any]:
    if v not in CHUNK_MODES:
        raise _bad(key, "one of " + ", ".join(CHUNK_MODES), v)
    return {key: v}


def _size(key: str, v: Any) -> dict[str, Any]:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise _bad(key, "an integer >= 1", v)
    return {key: v}


_CHECKS: dict[str, Callable[[str, Any], dict[str, Any]]] = {
    "ttft_ms": _non_negative,
    "interval_ms": _non_negative,
    "jitter_ms": _non_negative,
    "queued_ms": _non_negative,
    "jitter": _shape,
    "tokens_per_second": _rate,
    "delays_ms": _delays,
    "chunk": _chunk,
    "chunk_size": _size,
    "arguments_chunk": _mode,
}
assert set(_CHECKS) == {f.name for f in fields(Pacing)} - {"chunks"}


def _jitter(pacing: Pacing, rng: random.Random) -> float:
    half = pacing.jitter_ms / 2
    if half <= 0:
        return 0.0
    if pacing.jitter == "lognormal":
        skew = rng.lognormvariate(0.0, _LOGNORMAL_SIGMA) - 1.0  # median 0, long right tail
        return half * max(-1.0, min(1.0, skew))
    return rng.uniform(-half, half)


def delta_deadlines(
    pacing: Pacing, texts: Sequence[str], rng: random.Random, base: float = 0.0
) -> list[float]:
    """Absolute deadlines (ms) of the deltas: a nominal grid plus bounded jitter."""
    first = base + pacing.first_ms()
    if pacing.jitter_ms <= 0 and not pacing.delays_ms and not pacing.tokens_per_second:
        interval = pacing.interval_ms
        if not interval:
            return [float(first)] * len(texts)
        return [first + i * interval for i in range(len(texts))]  # the common case
    out: list[float] = []
    nominal = first
    for i, text in enumerate(texts):
        if i:
            nominal += pacing.gap_ms(i, text)
        at = max(nominal + _jitter(pacing, rng), base)
        out.append(max(at, out[-1]) if out else at)
    return out


def schedule(
    pacing: Pacing,
    roles: Sequence[Role],
    rng: random.Random,
    delta_texts: Sequence[str] = (),
) -> list[float]:
    """Absolute offsets (ms from stream start) of every event, never decreasing.

    START events are due at 0, DEQUEUE at queued_ms, deltas on their deadlines. Other
    events before the first delta lead into it (output_item.added arrives with the first
    delta); later ones follow the event before them (a `.done` right after its last delta).
    Without any delta, the answer's events are due ttft after generation starts.
    """
    if pacing.instant and len(delta_texts) == roles.count(Role.DELTA):
        return [0.0] * len(roles)  # what the steps below give when nothing takes time
    # The usual order: the starts, at most one dequeue, then the rest (each role is looked
    # at in C, a few passes in all: the roles of a long stream are mostly deltas).
    n, starts = len(roles), roles.count(Role.START)
    usual = roles[:starts].count(Role.START) == starts and Role.DEQUEUE not in roles[starts + 1 :]
    if usual:
        dequeues = 1 if starts < n and roles[starts] is Role.DEQUEUE else 0
    else:
        dequeues = roles.count(Role.DEQUEUE)
    base = pacing.queued_ms if dequeues else 0.0
    deltas = delta_deadlines(pacing, delta_texts, rng, base)
    if len(deltas) != roles.count(Role.DELTA):
        raise ValueError("delta_texts must have one text per DELTA event")
    lead = deltas[0] if deltas else base + pacing.first_ms()
    # Each event's own time, then the running maximum. An OTHER event's own time is the
    # first delta's: before it, it leads into it; after it, the maximum keeps the time of
    # the event before (the deltas never go below the first).
    if usual and (not deltas or deltas[-1] == lead):
        # Every delta due at once, in the usual order: the own times never decrease.
        return [0.0] * starts + [base] * dequeues + [lead] * (n - starts - dequeues)
    own = {Role.START: 0.0, Role.DEQUEUE: base, Role.OTHER: lead, Role.DELTA: lead}
    times: list[float]
    if not deltas or deltas[-1] == lead:
        times = list(map(own.__getitem__, roles))
    else:
        next_delta, delta = iter(deltas).__next__, Role.DELTA
        times = [next_delta() if role is delta else own[role] for role in roles]
    if all(map(le, times, islice(times, 1, None))):
        return times  # already never decreasing (the usual order): the maximum is each time
    return list(accumulate(times, max))
