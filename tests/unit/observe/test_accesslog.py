"""The access line: its fields, and how the text and JSON formatters render it."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from mockserver.http.exchange import Exchange
from mockserver.observe.accesslog import (
    ACCESS_LOGGER,
    JsonFormatter,
    TextFormatter,
    access_fields,
    log_exchange,
)

STARTED = 1_700_000_000.25


def _exchange(**changes: object) -> Exchange:
    ex = Exchange(
        request_id="req_abc",
        method="POST",
        path="/v1/responses",
        started_at=STARTED,
        tenant="3f9a1c",
        scenario="weather-agent",
        rule="call-tool",
        status=200,
        stream=True,
        events_sent=17,
        stream_completed=True,
        response_id="resp_1",
        duration_ms=12.345,
    )
    for name, value in changes.items():
        setattr(ex, name, value)
    return ex


@pytest.fixture
def access_log() -> Iterator[logging.StreamHandler[io.StringIO]]:
    """A handler on the access logger alone, at info level as `mockserver serve` sets it."""
    handler = logging.StreamHandler(io.StringIO())
    logger = logging.getLogger(ACCESS_LOGGER)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)
    logger.propagate = old_propagate


Capture = logging.StreamHandler[io.StringIO]


def _record(ex: Exchange, capture: Capture, formatter: logging.Formatter) -> str:
    capture.setFormatter(formatter)
    log_exchange(ex)
    return capture.stream.getvalue()


def test_fields_carry_what_the_issue_asks_and_no_secret() -> None:
    fields = access_fields(
        _exchange(fault="disconnect", headers={"authorization": "Bearer sk-secret-9"})
    )
    assert fields["tenant"] == "3f9a1c"
    assert (fields["scenario"], fields["rule"], fields["status"]) == (
        "weather-agent",
        "call-tool",
        200,
    )
    assert fields["duration_ms"] == 12.3
    assert (fields["events"], fields["fault"]) == (17, "disconnect")
    assert "sk-secret-9" not in json.dumps(fields)


def test_text_line(access_log: Capture) -> None:
    line = _record(_exchange(), access_log, TextFormatter())
    assert line.endswith("\n")
    head, rest = line.rstrip("\n").split(": ", 1)
    assert head.endswith("Z INFO mockserver.access")
    assert rest.startswith(
        "POST /v1/responses 200 request_id=req_abc duration_ms=12.3 tenant=3f9a1c"
    )
    assert "scenario=weather-agent rule=call-tool stream=true events=17" in rest
    assert "fault=- error_code=- response_id=resp_1" in rest


def test_text_line_quotes_values_with_spaces(access_log: Capture) -> None:
    line = _record(_exchange(scenario='my "odd" one', rule=None), access_log, TextFormatter())
    assert 'scenario="my \\"odd\\" one" rule=-' in line


def test_a_path_with_a_newline_cannot_forge_a_line(access_log: Capture) -> None:
    forged = "/v1/x\n2025-01-01T00:00:00.000Z INFO mockserver.access: POST /v1/responses 200"
    line = _record(_exchange(path=forged), access_log, TextFormatter())
    assert "\n" not in line.rstrip("\n")
    assert '"/v1/x\\n2025-01-01' in line  # shown, escaped and quoted


def test_json_line(access_log: Capture) -> None:
    line = _record(_exchange(fault="stall", status=None), access_log, JsonFormatter())
    obj = json.loads(line)
    assert obj["level"] == "info"
    assert obj["logger"] == ACCESS_LOGGER
    assert obj["message"] == "POST /v1/responses -"
    assert obj["time"].endswith("Z")
    assert (obj["tenant"], obj["scenario"], obj["rule"]) == ("3f9a1c", "weather-agent", "call-tool")
    assert (obj["status"], obj["events"], obj["fault"]) == (None, 17, "stall")
    assert obj["duration_ms"] == 12.3


def test_health_probes_are_debug_only(access_log: Capture) -> None:
    assert _record(_exchange(path="/_mock/health"), access_log, TextFormatter()) == ""
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.DEBUG)
    line = _record(_exchange(path="/_mock/health"), access_log, TextFormatter())
    assert " DEBUG mockserver.access: POST /_mock/health 200 " in line


def test_plain_records_and_exceptions_in_both_formats() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("once",), None)
        record.exc_info = sys.exc_info()
    text = TextFormatter().format(record)
    assert " ERROR x: failed once\nTraceback" in text
    obj = json.loads(JsonFormatter().format(record))
    assert obj["message"] == "failed once"
    assert "ValueError: boom" in obj["exception"]
