"""Access log: one line per finished exchange, and the two log formats (text, JSON).

`log_exchange(ex)` is called once per request by the middleware that finishes the Exchange.
The structured fields ride on the log record (`extra={"fields": ...}`), so one call serves
both formats: `TextFormatter` appends them as `key=value` pairs, `JsonFormatter` merges them
into the JSON object. Logging itself is configured only by `mockserver.server`.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from typing import Any

from mockserver.http.exchange import Exchange

ACCESS_LOGGER = "mockserver.access"
FIELDS_ATTR = "fields"  # the LogRecord attribute that carries structured fields

logger = logging.getLogger(ACCESS_LOGGER)

# Probes hit these every few seconds (container HEALTHCHECK, Prometheus): they go to debug
# so that they do not drown the lines about real traffic.
_QUIET_PATHS = frozenset({"/_mock/health", "/_mock/metrics"})


def access_fields(ex: Exchange) -> dict[str, Any]:
    """The access-log fields of an exchange (no API key, no bodies: safe to ship anywhere)."""
    return {
        "request_id": ex.request_id,
        "method": ex.method,
        "path": ex.path,
        "status": ex.status,
        "duration_ms": None if ex.duration_ms is None else round(ex.duration_ms, 1),
        "tenant": ex.tenant,
        "scenario": ex.scenario,
        "rule": ex.rule,
        "stream": ex.stream,
        "events": ex.events_sent,
        "stream_completed": ex.stream_completed,
        "fault": ex.fault,
        "error_code": ex.error_code,
        "response_id": ex.response_id,
    }


def log_exchange(ex: Exchange) -> None:
    """Write the access line of a finished exchange (cheap when the level filters it out)."""
    level = logging.DEBUG if ex.path in _QUIET_PATHS else logging.INFO
    if not logger.isEnabledFor(level):
        return
    path = _logfmt_value(ex.path)  # quoted and escaped if odd: %0A must not forge a line
    summary = f"{ex.method} {path} {ex.status if ex.status is not None else '-'}"
    # The record is made here rather than by logger.log(): that would walk the stack to
    # find its caller (always this line) on every request.
    extra = {FIELDS_ATTR: access_fields(ex)}
    logger.handle(
        logger.makeRecord(logger.name, level, __file__, _LINE, summary, (), None, extra=extra)
    )


_LINE = log_exchange.__code__.co_firstlineno


def _logfmt_value(value: Any) -> str:
    if value is None:
        return "-"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        text = value
    else:
        text = str(value)
        if isinstance(value, int | float):
            return text  # a number is always plain
    # Quote only when needed, so that the common line stays easy to read and to grep.
    if _PLAIN.fullmatch(text) and text.isprintable():
        return text
    return json.dumps(text, ensure_ascii=False)


_PLAIN = re.compile(r'[^\s"=\\]+')
_SKIP = frozenset({"method", "path", "status"})  # the summary of an access line names them


@functools.lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def _utc_timestamp(created: float) -> str:
    """ISO 8601 in UTC with milliseconds; the strftime part is cached per second."""
    second = int(created)
    return f"{_utc_second(second)}.{int((created - second) * 1000):03d}Z"


class TextFormatter(logging.Formatter):
    """`TIME LEVEL logger: message key=value ...` in UTC; the key=value part is logfmt."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc_timestamp(record.created)} {record.levelname} {record.name}: "
        line += record.getMessage()
        fields: dict[str, Any] | None = getattr(record, FIELDS_ATTR, None)
        if fields:
            # The summary already names method, path and status.
            pairs = [f"{k}={_logfmt_value(v)}" for k, v in fields.items() if k not in _SKIP]
            line += " " + " ".join(pairs)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        obj: dict[str, Any] = {
            "time": _utc_timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields: dict[str, Any] | None = getattr(record, FIELDS_ATTR, None)
        if fields:
            obj.update(fields)
        if record.exc_info:
            obj["exception"] = self.formatException(record.exc_info)
        return json.dumps(obj, ensure_ascii=False, default=str)
