"""Keys whose contents other subsystems define: pacing, errors, faults, chaos, rate limits...

schema.json only checks their outline; each subsystem validates and parses its own values
here, at load time, with messages that we place at `file:line:col` like ours. A registry:
one entry per key, so a subsystem adding a key touches one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.catalog.models import entry_problems
from mockserver.faults.chaos import (
    parse_chaos,
    parse_on_retry,
    parse_outage,
    validate_chaos,
    validate_on_retry,
    validate_outage,
)
from mockserver.faults.error_catalog import parse_error_spec, validate_error_spec
from mockserver.faults.ratelimit_spec import parse_rate_limits, validate_rate_limits
from mockserver.faults.spec import parse_faults, validate_fault
from mockserver.scenario.problems import Path, format_path
from mockserver.scenario.schema import Finding
from mockserver.streaming.schedule import Pacing, PacingError


@dataclass(frozen=True)
class Delegate:
    validate: Callable[[Any, str], list[str]]  # (value, path text) -> "path: message" lines
    parse: Callable[[Any], Any]


def _models(value: Any) -> tuple[Mapping[str, Any], ...]:
    return tuple(value)


# mockserver.scenario.expectations builds on this package (context, when): imported when used.
def _validate_expect(value: Any, path: str) -> list[str]:
    from mockserver.scenario.expectations import validate_expect

    return validate_expect(value, path)


def _parse_expect(value: Any) -> Any:
    from mockserver.scenario.expectations import parse_expect

    return parse_expect(value)


DELEGATES: dict[str, Delegate] = {
    "error": Delegate(validate_error_spec, parse_error_spec),
    "fault": Delegate(validate_fault, parse_faults),
    "rate_limits": Delegate(validate_rate_limits, parse_rate_limits),
    "models": Delegate(entry_problems, _models),
    "chaos": Delegate(validate_chaos, parse_chaos),
    "outage": Delegate(validate_outage, parse_outage),
    "on_retry": Delegate(validate_on_retry, parse_on_retry),
    "expect": Delegate(_validate_expect, _parse_expect),  # mockserver.scenario.expectations
}


def delegated(key: str, value: Any, path: Path) -> tuple[Any, list[Finding]]:
    """(parsed value, findings) for one delegated key; the value is None when invalid."""
    lines = DELEGATES[key].validate(value, format_path(path))
    if lines:
        return None, [locate(line, path) for line in lines]
    return DELEGATES[key].parse(value), []


def pacing(value: Mapping[str, Any], path: Path, base: Pacing | None) -> tuple[Any, list[Finding]]:
    """A `stream:` mapping as Pacing over base; `chunk: {size: N}` is fixed-size chunks."""
    settings = dict(value)
    chunk = settings.get("chunk")
    if isinstance(chunk, Mapping):
        settings["chunk"], settings["chunk_size"] = "fixed", chunk["size"]
    try:
        return Pacing.from_mapping(settings, base), []
    except PacingError as exc:
        prefix = format_path(path)
        return base, [locate(re.sub(r"^stream", prefix, e), path) for e in exc.errors]


_STEP = re.compile(r"\.([^.\[\]:]+)|\[(\d+)\]")


def locate(line: str, base: Path) -> Finding:
    """Split "$.a.b[2]: message" into a JSON path (for the mark) and the message."""
    head, sep, message = line.partition(": ")
    if not sep or not head.startswith("$"):
        return (base, line, False)
    path: list[str | int] = []
    for match in _STEP.finditer(head[1:]):
        path.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
    return (tuple(path), message, False)
