"""Where rate limits are set, as values: the command line, a scenario's or a rule's `rate_limits:`.

```yaml
rate_limits:
  requests_per_minute: 60
  tokens_per_minute: 30000
  per_model: true            # a bucket per model (default: one per tenant)
  models:                    # a model's own limits (glob -> limits)
    gpt-4o-mini*: {requests_per_minute: 500, tokens_per_minute: 200000}
```
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RateLimits:
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None

    def __bool__(self) -> bool:
        return self.requests_per_minute is not None or self.tokens_per_minute is not None


@dataclass(frozen=True)
class LimitScope:
    """One place limits are set: its bucket key (tenant excluded) and its limits."""

    key: tuple[str, ...]
    limits: RateLimits


@dataclass(frozen=True)
class RateLimitSpec:
    """A `rate_limits:` block of a scenario or a rule, validated."""

    limits: RateLimits
    per_model: bool = False  # a bucket per model instead of one per tenant
    models: tuple[tuple[str, RateLimits], ...] = ()  # (glob, limits): that model's own buckets

    def scope(self, prefix: tuple[str, ...], model: str) -> LimitScope:
        for pattern, limits in self.models:
            if fnmatch.fnmatchcase(model, pattern):
                return LimitScope((*prefix, "model", pattern), limits)
        if self.per_model:
            return LimitScope((*prefix, "model", model), self.limits)
        return LimitScope(prefix, self.limits)


def parse_rate_limits(value: Mapping[str, Any]) -> RateLimitSpec:
    """A validated `rate_limits:` mapping as a RateLimitSpec (see validate_rate_limits)."""
    problems = validate_rate_limits(value)
    if problems:
        raise ValueError("; ".join(problems))
    models = tuple((glob, _limits(item)) for glob, item in (value.get("models") or {}).items())
    return RateLimitSpec(_limits(value), bool(value.get("per_model", False)), models)


def _limits(value: Mapping[str, Any]) -> RateLimits:
    return RateLimits(value.get("requests_per_minute"), value.get("tokens_per_minute"))


_LIMIT_KEYS = ("requests_per_minute", "tokens_per_minute")


def validate_rate_limits(value: Any, path: str = "rate_limits") -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{path}: expected a mapping with {', '.join(_LIMIT_KEYS)}"]
    problems = _check_limits(value, path, (*_LIMIT_KEYS, "per_model", "models"))
    if "per_model" in value and not isinstance(value["per_model"], bool):
        problems.append(f"{path}.per_model: expected true or false")
    models = value.get("models", {})
    if not isinstance(models, Mapping):
        return [*problems, f"{path}.models: expected a mapping of model globs to limits"]
    for glob, item in models.items():
        where = f"{path}.models.{glob}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: expected a mapping with {', '.join(_LIMIT_KEYS)}")
        else:
            problems += _check_limits(item, where, _LIMIT_KEYS)
    return problems


def _check_limits(value: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> list[str]:
    problems = [
        f"{path}.{key}: unknown key; allowed: {', '.join(allowed)}"
        for key in value
        if key not in allowed
    ]
    for key in _LIMIT_KEYS:
        item = value.get(key)
        if item is not None and (not isinstance(item, int) or isinstance(item, bool) or item < 1):
            problems.append(f"{path}.{key}: expected a whole number >= 1, got {item!r}")
    return problems


def server_scope(
    requests_per_minute: int | None, tokens_per_minute: int | None
) -> list[LimitScope]:
    """The command line's limits (Config), if any, as the server-wide scope."""
    if requests_per_minute is None and tokens_per_minute is None:
        return []  # the usual case, on every request: nothing to build
    limits = RateLimits(requests_per_minute, tokens_per_minute)
    return [LimitScope(("server",), limits)] if limits else []
