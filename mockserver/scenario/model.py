"""Loaded scenarios as frozen values: what the matcher and the planner read, never raw dicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from mockserver.scenario.matcher import Matcher
from mockserver.scenario.reply import Reply
from mockserver.scenario.when import Condition

if TYPE_CHECKING:  # parsed by their subsystems at load time (delegated.py)
    from mockserver.faults.chaos import ChaosSpec, OnRetry, OutageSpec
    from mockserver.faults.presets import ErrorSpec
    from mockserver.faults.ratelimit_spec import RateLimitSpec
    from mockserver.faults.spec import FaultSpec
    from mockserver.scenario.expectations import Expectations
    from mockserver.streaming.schedule import Pacing


@dataclass(frozen=True)
class Origin:
    """Where a scenario or rule was written, for messages and the journal."""

    source: str
    line: int
    col: int = 1
    path: str = "$"

    def __str__(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class Rule:
    name: str
    index: int  # position in the scenario's rules (file order)
    origin: Origin
    when: tuple[Condition, ...] = ()
    times: int | None = None
    reply: tuple[Reply, ...] = ()
    error: ErrorSpec | None = None
    fault: tuple[FaultSpec, ...] | None = None  # in order
    rate_limits: RateLimitSpec | None = None
    chaos: ChaosSpec | None = None
    on_retry: OnRetry = "advance"  # a retried request takes the next step, or replays this one
    expect: Expectations | None = None  # what the request must contain
    latency_ms: float = 0.0
    # WebSocket steering: yield after an output item (item), only once done (end), refuse.
    steering: Literal["item", "end", "refuse"] = "item"
    stream: Pacing | None = None  # merged over the scenario's
    status: Literal["completed", "incomplete"] = "completed"
    incomplete_reason: str | None = None
    usage: Mapping[str, Any] | None = None
    description: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    origin: Origin
    rules: tuple[Rule, ...]
    description: str = ""
    seed: int | None = None
    stream: Pacing | None = None
    rate_limits: RateLimitSpec | None = None
    chaos: ChaosSpec | None = None
    outage: OutageSpec | None = None
    fallback: Literal["error", "generate"] = "error"
    models: tuple[Mapping[str, Any], ...] = ()  # model catalogue entries (mockserver.catalog)
    strict_models: bool | None = None  # None: the server's --strict-models
    # The scenario as written (plain JSON), for the admin API's listing.
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False)
    # The rules prepared for matching and answering (matcher.py), and the rules by name:
    # built once here, not per request.
    matcher: Matcher = field(init=False, compare=False, repr=False)
    _by_name: Mapping[str, Rule] = field(
        init=False, compare=False, repr=False, default_factory=dict
    )
    # Whether admission has anything of this scenario's to apply (rate limits, chaos, an
    # outage): the one test a request to a plain scenario costs there.
    admission_rules: bool = field(init=False, compare=False, repr=False, default=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matcher", Matcher(self.name, self.rules))
        object.__setattr__(self, "_by_name", {r.name: r for r in reversed(self.rules)})
        rules = (self.rate_limits, self.chaos, self.outage)
        object.__setattr__(self, "admission_rules", any(r is not None for r in rules))

    def rule_named(self, name: str) -> Rule | None:
        """The (first) rule called name, without walking the rules."""
        return self._by_name.get(name)
