"""A rule's `fault:` value: parsed once at load time into frozen FaultSpecs, with clear errors.

`fault:` is a kind name (`reset`), a mapping (`{kind: disconnect, after_events: 6}`) or a
list of those (`[{kind: latency, ms: 200}, {kind: disconnect, after_events: 6}]`).
Transport kinds act before the answer or on its bytes (transport.py); stream kinds act at
a chosen point of a stream (stream_faults.py): `after_events: N`, `at_event: TYPE[#k]` or
`after_ms: T`.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mockserver.faults.error_catalog import (
    PRESETS,
    ErrorSpec,
    did_you_mean,
    parse_error_spec,
    validate_error_spec,
)

# Before the answer, or on the bytes of a non-streamed answer.
TRANSPORT_KINDS = (
    "reset",
    "close",
    "latency",
    "stall",
    "truncated_body",
    "malformed_chunk",
    "garbage",
    "slow_close",
    "html_error",
)
# At a chosen point of a stream (reset, stall, malformed_chunk and slow_close work both ways).
STREAM_KINDS = (
    "disconnect",
    "reset",
    "stall",
    "error_event",
    "failed",
    "incomplete",
    "no_terminal",
    "malformed_frame",
    "malformed_chunk",
    "slow_close",
)
KINDS = tuple(dict.fromkeys((*TRANSPORT_KINDS, *STREAM_KINDS)))
# Kinds that only make sense inside a stream.
STREAM_ONLY = (
    "disconnect",
    "error_event",
    "failed",
    "incomplete",
    "no_terminal",
    "malformed_frame",
)
TRIGGER_KEYS = ("after_events", "at_event", "after_ms")

_FIELDS: dict[str, tuple[str, ...]] = {
    "reset": TRIGGER_KEYS,
    "close": (),
    "latency": ("ms", "uniform", "lognormal"),
    "stall": ("ms", "keepalive_ms", *TRIGGER_KEYS),
    "truncated_body": ("fraction", "bytes"),
    "malformed_chunk": TRIGGER_KEYS,
    "garbage": ("bytes",),
    "slow_close": ("ms",),
    "html_error": ("status",),
    "disconnect": ("close_code", *TRIGGER_KEYS),
    "error_event": ("shape", "error", *TRIGGER_KEYS),
    "failed": ("error", "error_event", *TRIGGER_KEYS),
    "incomplete": ("reason", *TRIGGER_KEYS),
    "no_terminal": TRIGGER_KEYS,
    "malformed_frame": TRIGGER_KEYS,
}
_AT_EVENT = re.compile(r"^(?P<type>[a-z_][a-z0-9_.]*)(?:#(?P<k>[1-9][0-9]*))?$")
INCOMPLETE_REASONS = ("max_output_tokens", "content_filter")
ERROR_SHAPES = ("flat", "nested")


@dataclass(frozen=True)
class Trigger:
    """Where in a stream a fault fires: before the event it selects."""

    after_events: int | None = None
    at_event: str | None = None
    occurrence: int = 1  # the k of TYPE#k
    after_ms: float | None = None
    # Right after the stream's opening (created, [queued,] in_progress), before anything was
    # generated: where the real API reports an error it finds once the stream has started.
    after_start: bool = False


@dataclass(frozen=True)
class Delay:
    """A latency: fixed, uniform between two bounds, or log-normal around a median."""

    ms: float | None = None
    uniform: tuple[float, float] | None = None
    lognormal: tuple[float, float] | None = None  # (median_ms, sigma)

    def sample_ms(self, rng: random.Random) -> float:
        if self.uniform is not None:
            return rng.uniform(*self.uniform)
        if self.lognormal is not None:
            median, sigma = self.lognormal
            return median * rng.lognormvariate(0.0, sigma)
        return self.ms or 0.0


@dataclass(frozen=True)
class FaultSpec:
    kind: str
    trigger: Trigger | None = None
    ms: float | None = None  # stall (None: forever), slow_close
    keepalive_ms: float | None = None  # `: keep-alive` comments during a stream stall
    delay: Delay | None = None  # latency
    fraction: float = 0.5  # truncated_body: share of the body sent
    bytes: int | None = None  # truncated_body: bytes sent; garbage: bytes written
    error: ErrorSpec | None = None  # error_event, failed
    shape: Literal["flat", "nested"] = "nested"  # error_event
    error_event: Literal["none", "flat", "nested"] = "none"  # failed: preceded by an error event
    reason: str = "max_output_tokens"  # incomplete
    status: int = 502  # html_error
    close_code: int = 1011  # disconnect over a WebSocket: the close frame's code

    @property
    def in_stream(self) -> bool:
        """Whether this fault acts at a point of a stream (when the answer is streamed)."""
        return self.kind in STREAM_ONLY or self.trigger is not None

    @property
    def name(self) -> str:
        """How the journal names it: `disconnect@after_events=6`, `latency`, ..."""
        t = self.trigger
        if t is None:
            return self.kind
        if t.after_events is not None:
            return f"{self.kind}@after_events={t.after_events}"
        if t.at_event is not None:
            return f"{self.kind}@at_event={t.at_event}#{t.occurrence}"
        if t.after_start:
            return f"{self.kind}@start"
        return f"{self.kind}@after_ms={_num(t.after_ms or 0)}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_faults(value: Any) -> tuple[FaultSpec, ...]:
    """A validated `fault:` value (name, mapping or list) as FaultSpecs."""
    problems = validate_fault(value)
    if problems:
        raise ValueError("; ".join(problems))
    items = value if isinstance(value, list) else [value]
    return tuple(_parse_one({"kind": item} if isinstance(item, str) else item) for item in items)


def _parse_one(d: Mapping[str, Any]) -> FaultSpec:
    kind = d["kind"]
    fields: dict[str, Any] = {"kind": kind, "trigger": _trigger(d)}
    for key in ("ms", "keepalive_ms", "fraction", "bytes", "shape", "error_event", "reason"):
        if key in d:
            fields[key] = d[key]
    if "status" in d:
        fields["status"] = d["status"]
    if "close_code" in d:
        fields["close_code"] = d["close_code"]
    if kind == "latency":
        fields["delay"] = _delay(d)
        fields.pop("ms", None)
    if kind in ("error_event", "failed"):
        fields["error"] = parse_error_spec(d.get("error", "stream_server_error"))
    if kind == "slow_close":
        fields.setdefault("ms", 1000.0)
    return FaultSpec(**fields)


def _trigger(d: Mapping[str, Any]) -> Trigger | None:
    if "after_events" in d:
        return Trigger(after_events=d["after_events"])
    if "after_ms" in d:
        return Trigger(after_ms=float(d["after_ms"]))
    if "at_event" in d:
        match = _AT_EVENT.match(d["at_event"])
        assert match is not None  # validated
        return Trigger(at_event=match["type"], occurrence=int(match["k"] or 1))
    return None


def _delay(d: Mapping[str, Any]) -> Delay:
    if "uniform" in d:
        low, high = d["uniform"]
        return Delay(uniform=(float(low), float(high)))
    if "lognormal" in d:
        spec = d["lognormal"]
        return Delay(lognormal=(float(spec["median_ms"]), float(spec.get("sigma", 0.5))))
    return Delay(ms=float(d.get("ms", 0)))


def validate_fault(value: Any, path: str = "fault") -> list[str]:
    """Every problem with a `fault:` value, each naming its path and what is allowed."""
    if isinstance(value, list):
        if not value:
            return [f"{path}: expected at least one fault"]
        return [p for i, item in enumerate(value) for p in validate_fault(item, f"{path}[{i}]")]
    if isinstance(value, str):
        return [] if value in KINDS else [_unknown_kind(path, value)]
    if not isinstance(value, Mapping):
        return [f"{path}: expected a fault kind, a mapping with `kind`, or a list of those"]
    kind = value.get("kind")
    if kind not in KINDS:
        return [_unknown_kind(f"{path}.kind", kind)]
    allowed = ("kind", *_FIELDS[kind])
    problems = [
        f"{path}.{key}: not a setting of {kind}; allowed: {', '.join(allowed)}"
        for key in value
        if key not in allowed
    ]
    return problems + _check_values(value, path)


def _unknown_kind(path: str, value: object) -> str:
    hint = did_you_mean(value, KINDS)
    return f"{path}: unknown fault kind {value!r}{hint}; kinds are: {', '.join(sorted(KINDS))}"


def _check_values(d: Mapping[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    present = [k for k in TRIGGER_KEYS if k in d]
    if len(present) > 1:
        problems.append(f"{path}: give one of {', '.join(TRIGGER_KEYS)}, not {len(present)}")
    for key in ("after_events", "bytes"):
        if key in d and not _whole(d[key], 0):
            problems.append(f"{path}.{key}: expected a whole number >= 0, got {d[key]!r}")
    for key in ("after_ms", "ms", "keepalive_ms"):
        if key in d and not _number(d[key], 0):
            problems.append(f"{path}.{key}: expected a number of milliseconds >= 0, got {d[key]!r}")
    if "keepalive_ms" in d and _number(d["keepalive_ms"], 0) and d["keepalive_ms"] <= 0:
        problems.append(f"{path}.keepalive_ms: expected a number > 0")
    if "at_event" in d and not (isinstance(d["at_event"], str) and _AT_EVENT.match(d["at_event"])):
        problems.append(
            f"{path}.at_event: expected an event type with an optional #k, e.g. "
            f"response.output_text.delta#3, got {d['at_event']!r}"
        )
    return problems + _check_kind_values(d, path)


def _check_kind_values(d: Mapping[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if "fraction" in d and not (_number(d["fraction"], 0) and d["fraction"] <= 1):
        problems.append(f"{path}.fraction: expected a number from 0 to 1, got {d['fraction']!r}")
    if "status" in d and not (_whole(d["status"], 400) and d["status"] <= 599):
        problems.append(f"{path}.status: expected an HTTP status 400..599, got {d['status']!r}")
    if "close_code" in d and not _close_code(d["close_code"]):
        problems.append(
            f"{path}.close_code: expected a WebSocket close code a server may send (1000-1003, "
            f"1007-1014, 3000-4999), got {d['close_code']!r}"
        )
    if d.get("shape", "flat") not in ERROR_SHAPES:
        problems.append(f"{path}.shape: expected one of {', '.join(ERROR_SHAPES)}")
    if d.get("error_event", "none") not in ("none", *ERROR_SHAPES):
        problems.append(f"{path}.error_event: expected one of none, {', '.join(ERROR_SHAPES)}")
    if d.get("reason", INCOMPLETE_REASONS[0]) not in INCOMPLETE_REASONS:
        problems.append(f"{path}.reason: expected one of {', '.join(INCOMPLETE_REASONS)}")
    if "error" in d:
        problems += validate_error_spec(d["error"], f"{path}.error")
    if d.get("kind") == "latency":
        problems += _check_latency(d, path)
    return problems


def _check_latency(d: Mapping[str, Any], path: str) -> list[str]:
    shapes = [k for k in ("ms", "uniform", "lognormal") if k in d]
    if len(shapes) != 1:
        return [f"{path}: a latency needs exactly one of ms, uniform [low, high], lognormal"]
    if "uniform" in d:
        pair = d["uniform"]
        ok = isinstance(pair, list) and len(pair) == 2 and all(_number(x, 0) for x in pair)
        if not ok or pair[0] > pair[1]:
            return [f"{path}.uniform: expected [low_ms, high_ms] with 0 <= low <= high"]
    if "lognormal" in d:
        spec = d["lognormal"]
        ok = isinstance(spec, Mapping) and _number(spec.get("median_ms"), 0)
        ok = ok and set(spec) <= {"median_ms", "sigma"} and _number(spec.get("sigma", 0.5), 0)
        if not ok:
            return [f"{path}.lognormal: expected {{median_ms: N, sigma: S}} with numbers >= 0"]
    return []


def _number(value: Any, low: float) -> bool:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return ok and math.isfinite(value) and value >= low


def _close_code(value: Any) -> bool:
    """RFC 6455 7.4: 1004-1006 and 1015 are never sent in a close frame."""
    if not _whole(value, 1000):
        return False
    return value in (1000, 1001, 1002, 1003) or 1007 <= value <= 1014 or 3000 <= value <= 4999


def _whole(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


assert set(_FIELDS) == set(KINDS)
assert "stream_server_error" in PRESETS
