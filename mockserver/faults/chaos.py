"""Chaos at a seeded probability, outage windows, and the memory of attempts behind retries.

Chaos: `chaos: 0.2` or `{probability, seed, errors: [...], faults: [...]}` on a rule or a
scenario, or `--chaos P` for a whole server (a server_error at probability P). Whether the
n-th request of a tenant in a scope fails, and how, depends only on (seed, scope, n): the
same seed and the same requests fail in the same places, whatever else runs concurrently.

Outage: `outage: {start_ms, duration_ms, error | fault}`: every request of a tenant within
that window (from its first request to the scenario) gets the error (default `overloaded`).

Retries: the SDK resends the same body with `x-stainless-retry-count` > 0. The tracker
remembers each tenant's recent attempts by their body, so a retry can be tied to the
attempt it repeats: how long the client waited, whether that was shorter than the
`retry-after` it was given, and (with a rule's `on_retry: replay`) which rule to replay.
"""

from __future__ import annotations

import os
import random
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from mockserver.faults.error_catalog import (
    PRESETS,
    ErrorSpec,
    parse_error_spec,
    validate_error_spec,
)
from mockserver.faults.spec import FaultSpec, parse_faults, validate_fault

if TYPE_CHECKING:
    from mockserver.plan import Plan

OnRetry = Literal["advance", "replay"]
ON_RETRY = ("advance", "replay")
# Without a seed chaos still varies per process, like every other random choice.
_PROCESS_SALT = os.urandom(8).hex()
# A client that waits this much less than it was told has not really waited (timer slack).
EARLY_TOLERANCE_S = 0.005


@dataclass(frozen=True)
class Choice:
    """What a chaos draw or an outage answers with: an error, or transport/stream faults."""

    error: ErrorSpec | None = None
    faults: tuple[FaultSpec, ...] = ()

    @property
    def name(self) -> str:
        if self.error is not None:
            return self.error.preset or self.error.code or str(self.error.status)
        return "+".join(f.name for f in self.faults)


SERVER_ERROR = Choice(error=PRESETS["server_error"])


@dataclass(frozen=True)
class ChaosSpec:
    probability: float
    seed: int | None = None
    choices: tuple[Choice, ...] = (SERVER_ERROR,)


@dataclass(frozen=True)
class OutageSpec:
    duration_ms: float
    start_ms: float = 0.0
    choice: Choice = Choice(error=PRESETS["overloaded"])

    def covers(self, since_first_ms: float) -> bool:
        return self.start_ms <= since_first_ms < self.start_ms + self.duration_ms


def draw(spec: ChaosSpec, seed: int | None, scope: str, n: int) -> Choice | None:
    """The chaos outcome of the n-th request in a scope: None (no chaos) or what to answer."""
    salt = spec.seed if spec.seed is not None else (seed if seed is not None else _PROCESS_SALT)
    rng = random.Random(f"chaos:{salt}:{scope}:{n}")
    if rng.random() >= spec.probability:
        return None
    return spec.choices[rng.randrange(len(spec.choices))]


def server_chaos(probability: float) -> ChaosSpec | None:
    """`--chaos P`: a server_error at probability P (None when P is 0)."""
    return ChaosSpec(probability) if probability > 0 else None


def parse_chaos(value: Any) -> ChaosSpec:
    problems = validate_chaos(value)
    if problems:
        raise ValueError("; ".join(problems))
    if not isinstance(value, Mapping):
        return ChaosSpec(float(value))
    choices = tuple(Choice(error=parse_error_spec(e)) for e in value.get("errors", ()))
    choices += tuple(Choice(faults=parse_faults(f)) for f in value.get("faults", ()))
    return ChaosSpec(float(value["probability"]), value.get("seed"), choices or (SERVER_ERROR,))


def validate_chaos(value: Any, path: str = "chaos") -> list[str]:
    if not isinstance(value, Mapping):
        return [] if _probability(value) else [f"{path}: expected a probability 0..1 or a mapping"]
    allowed = ("probability", "seed", "errors", "faults")
    problems = [
        f"{path}.{k}: unknown key; allowed: {', '.join(allowed)}" for k in value if k not in allowed
    ]
    if not _probability(value.get("probability")):
        problems.append(f"{path}.probability: expected a number from 0 to 1")
    if "seed" in value and (not isinstance(value["seed"], int) or isinstance(value["seed"], bool)):
        problems.append(f"{path}.seed: expected an integer")
    for key, check in (("errors", validate_error_spec), ("faults", validate_fault)):
        items = value.get(key, [])
        if not isinstance(items, list):
            problems.append(f"{path}.{key}: expected a list")
            continue
        problems += [p for i, item in enumerate(items) for p in check(item, f"{path}.{key}[{i}]")]
    return problems


def _probability(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def parse_outage(value: Any) -> OutageSpec:
    problems = validate_outage(value)
    if problems:
        raise ValueError("; ".join(problems))
    if "fault" in value:
        choice = Choice(faults=parse_faults(value["fault"]))
    else:
        choice = Choice(error=parse_error_spec(value.get("error", "overloaded")))
    return OutageSpec(float(value["duration_ms"]), float(value.get("start_ms", 0)), choice)


def validate_outage(value: Any, path: str = "outage") -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{path}: expected a mapping with duration_ms (and start_ms, error or fault)"]
    allowed = ("start_ms", "duration_ms", "error", "fault")
    problems = [
        f"{path}.{k}: unknown key; allowed: {', '.join(allowed)}" for k in value if k not in allowed
    ]
    for key in ("start_ms", "duration_ms"):
        item = value.get(key, 0)
        if not isinstance(item, int | float) or isinstance(item, bool) or item < 0:
            problems.append(f"{path}.{key}: expected a number of milliseconds >= 0")
    if "duration_ms" not in value:
        problems.append(f"{path}: needs duration_ms")
    if "error" in value and "fault" in value:
        problems.append(f"{path}: give error or fault, not both")
    if "error" in value:
        problems += validate_error_spec(value["error"], f"{path}.error")
    if "fault" in value:
        problems += validate_fault(value["fault"], f"{path}.fault")
    return problems


def validate_on_retry(value: Any, path: str = "on_retry") -> list[str]:
    return (
        []
        if value in ON_RETRY
        else [f"{path}: expected one of {', '.join(ON_RETRY)}, got {value!r}"]
    )


def parse_on_retry(value: Any) -> OnRetry:
    problems = validate_on_retry(value)
    if problems:
        raise ValueError(problems[0])
    result: OnRetry = value
    return result


@dataclass
class Attempt:
    """One answered request, as a later retry of it needs to know it."""

    request_id: str
    at: float  # monotonic seconds, when the answer was given
    retry_after: float | None = None  # what the answer told the client to wait (s)
    scenario: str | None = None
    rule: str | None = None
    outcome: str = "ok"  # an error code, a fault name, or "ok"
    plan: Plan | None = None  # the Plan it was answered with (for `on_retry: replay`)


@dataclass(frozen=True)
class RetryReport:
    retry_of: str  # the request id of the attempt this one repeats
    waited_ms: float
    retry_after_ms: float | None
    early: bool


@dataclass
class RetryTracker:
    """A tenant's recent attempts by their body (its hash: bounded, oldest forgotten first).
    Kept as plain tuples (one is remembered for every request); read back as Attempts."""

    size: int = 256
    _attempts: OrderedDict[Hashable, tuple[Any, ...]] = field(default_factory=OrderedDict)

    def previous(self, key: Hashable) -> Attempt | None:
        kept = self._attempts.get(key)
        return None if kept is None else Attempt(*kept)

    def remember(
        self,
        key: Hashable,
        request_id: str,
        at: float,
        retry_after: float | None = None,
        scenario: str | None = None,
        rule: str | None = None,
        outcome: str = "ok",
        plan: Plan | None = None,
    ) -> None:
        """An answered attempt (Attempt's fields, in its order)."""
        attempts = self._attempts
        attempts[key] = (request_id, at, retry_after, scenario, rule, outcome, plan)
        attempts.move_to_end(key)
        if len(attempts) > self.size:
            attempts.popitem(last=False)

    def report(self, key: Hashable, now: float) -> RetryReport | None:
        """How a retry relates to the attempt it repeats (None if there is none)."""
        prev = self.previous(key)
        if prev is None:
            return None
        waited = now - prev.at
        after = prev.retry_after
        early = after is not None and waited < after - EARLY_TOLERANCE_S
        after_ms = None if after is None else after * 1000
        return RetryReport(prev.request_id, waited * 1000, after_ms, early)
