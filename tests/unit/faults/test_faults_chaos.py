"""Chaos draws, outage windows and the retry tracker."""

from __future__ import annotations

import pytest

from mockserver.faults.admission import fingerprint
from mockserver.faults.chaos import (
    SERVER_ERROR,
    Attempt,
    ChaosSpec,
    RetryTracker,
    draw,
    parse_chaos,
    parse_on_retry,
    parse_outage,
    server_chaos,
    validate_chaos,
    validate_on_retry,
    validate_outage,
)


def failures(spec: ChaosSpec, seed: int | None, scope: str = "sc", n: int = 200) -> list[int]:
    return [i for i in range(n) if draw(spec, seed, scope, i) is not None]


def test_same_seed_same_failures_in_the_same_places() -> None:
    spec = parse_chaos(0.2)
    first = failures(spec, 7)
    assert first == failures(spec, 7)
    assert first != failures(spec, 8)
    assert 20 <= len(first) <= 60  # about 20 % of 200


def test_scope_separates_streams_of_draws() -> None:
    spec = parse_chaos(0.3)
    assert failures(spec, 1, "scenario:a") != failures(spec, 1, "scenario:b")


def test_a_spec_seed_overrides_the_servers() -> None:
    spec = parse_chaos({"probability": 0.5, "seed": 3})
    assert failures(spec, 1) == failures(spec, 2)


def test_probability_bounds() -> None:
    assert failures(parse_chaos(0), 1) == []
    assert failures(parse_chaos(1), 1) == list(range(200))


def test_choices_are_drawn_reproducibly() -> None:
    spec = parse_chaos(
        {"probability": 1, "errors": ["server_error", "overloaded"], "faults": ["reset"]}
    )
    names = [draw(spec, 5, "sc", i).name for i in range(60)]  # type: ignore[union-attr]
    assert set(names) == {"server_error", "overloaded", "reset"}
    assert names == [draw(spec, 5, "sc", i).name for i in range(60)]  # type: ignore[union-attr]


def test_server_chaos() -> None:
    assert server_chaos(0) is None
    spec = server_chaos(0.25)
    assert spec is not None and spec.choices == (SERVER_ERROR,)


def test_outage_window() -> None:
    outage = parse_outage({"start_ms": 1000, "duration_ms": 500})
    assert [outage.covers(t) for t in (0, 999, 1000, 1499, 1500)] == [
        False,
        False,
        True,
        True,
        False,
    ]
    assert outage.choice.name == "overloaded"
    assert parse_outage({"duration_ms": 1, "fault": "reset"}).choice.name == "reset"
    assert parse_outage({"duration_ms": 1, "error": {"status": 502}}).choice.error.status == 502  # type: ignore[union-attr]


def test_on_retry() -> None:
    assert parse_on_retry("replay") == "replay"
    assert validate_on_retry("again") == ["on_retry: expected one of advance, replay, got 'again'"]
    with pytest.raises(ValueError):
        parse_on_retry("again")


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (validate_chaos, 2, "chaos: expected a probability 0..1 or a mapping"),
        (validate_chaos, True, "chaos: expected a probability"),
        (validate_chaos, {"probability": -1}, "chaos.probability: expected a number from 0 to 1"),
        (validate_chaos, {"probability": 1, "seed": "x"}, "chaos.seed: expected an integer"),
        (validate_chaos, {"probability": 1, "when": 1}, "chaos.when: unknown key"),
        (validate_chaos, {"probability": 1, "errors": "x"}, "chaos.errors: expected a list"),
        (
            validate_chaos,
            {"probability": 1, "errors": ["x"]},
            "chaos.errors[0]: unknown error preset 'x'",
        ),
        (
            validate_chaos,
            {"probability": 1, "faults": ["x"]},
            "chaos.faults[0]: unknown fault kind 'x'",
        ),
        (validate_outage, 5, "outage: expected a mapping with duration_ms"),
        (validate_outage, {"start_ms": 1}, "outage: needs duration_ms"),
        (
            validate_outage,
            {"duration_ms": -1},
            "outage.duration_ms: expected a number of milliseconds",
        ),
        (validate_outage, {"duration_ms": 1, "error": "x"}, "outage.error: unknown error preset"),
        (
            validate_outage,
            {"duration_ms": 1, "error": "overloaded", "fault": "reset"},
            "outage: give error or fault",
        ),
        (validate_outage, {"duration_ms": 1, "during": 1}, "outage.during: unknown key"),
    ],
)
def test_validation(check, value: object, expected: str) -> None:  # type: ignore[no-untyped-def]
    problems = check(value)
    assert any(p.startswith(expected) for p in problems), problems


def test_fingerprint_is_of_the_bytes() -> None:
    assert fingerprint(b'{"a":1}') == fingerprint(b'{"a":1}')
    assert fingerprint(b'{"a":1}') != fingerprint(b'{"a":2}')
    assert len(fingerprint(b"")) == 24


def test_retry_report_says_whether_the_client_waited_long_enough() -> None:
    tracker = RetryTracker()
    fp = fingerprint(b'{"input":"hi"}')
    assert tracker.report(fp, 10.0) is None
    tracker.remember(fp, "req_1", at=10.0, retry_after=1.0, outcome="rate_limit_exceeded")
    early = tracker.report(fp, 10.4)
    assert early is not None and early.early and early.retry_of == "req_1"
    assert early.waited_ms == pytest.approx(400) and early.retry_after_ms == 1000
    late = tracker.report(fp, 11.0)
    assert late is not None and not late.early
    tracker.remember(fp, "req_2", at=11.0)  # no retry-after given: never early
    report = tracker.report(fp, 11.001)
    assert report is not None and not report.early and report.retry_of == "req_2"


def test_tracker_is_bounded() -> None:
    tracker = RetryTracker(size=3)
    for i in range(5):
        tracker.remember(str(i), f"req_{i}", at=0.0)
    assert tracker.previous("0") is None and tracker.previous("4") is not None


def test_the_tracker_remembers_an_attempts_fields_in_their_order() -> None:
    """`remember` takes Attempt's fields (it keeps a tuple); `previous` gives the Attempt."""
    import dataclasses
    import inspect

    names = list(inspect.signature(RetryTracker.remember).parameters)[2:]
    assert names == [f.name for f in dataclasses.fields(Attempt)]
    tracker = RetryTracker()
    tracker.remember("k", "req_9", 1.0, 2.0, "s", "r", "server_error", None)
    assert tracker.previous("k") == Attempt("req_9", 1.0, 2.0, "s", "r", "server_error", None)
