"""`fault:` values: shorthand, mappings, lists, triggers, latency shapes, and their errors."""

from __future__ import annotations

import random
import statistics

import pytest

from mockserver.faults.spec import KINDS, Delay, FaultSpec, Trigger, parse_faults, validate_fault


def test_shorthand_is_the_kind_with_defaults() -> None:
    assert parse_faults("reset") == (FaultSpec("reset"),)
    (stall,) = parse_faults("stall")
    assert stall.ms is None  # a stall without ms lasts until the client gives up
    (slow,) = parse_faults("slow_close")
    assert slow.ms == 1000


def test_every_kind_parses_from_its_name() -> None:
    for kind in KINDS:
        (fault,) = parse_faults(kind)
        assert fault.kind == kind


@pytest.mark.parametrize(
    ("value", "trigger", "name"),
    [
        (
            {"kind": "disconnect", "after_events": 6},
            Trigger(after_events=6),
            "disconnect@after_events=6",
        ),
        (
            {"kind": "stall", "at_event": "response.output_text.delta#3", "ms": 50},
            Trigger(at_event="response.output_text.delta", occurrence=3),
            "stall@at_event=response.output_text.delta#3",
        ),
        (
            {"kind": "reset", "at_event": "response.output_item.added"},
            Trigger(at_event="response.output_item.added", occurrence=1),
            "reset@at_event=response.output_item.added#1",
        ),
        (
            {"kind": "error_event", "after_ms": 250},
            Trigger(after_ms=250),
            "error_event@after_ms=250",
        ),
    ],
)
def test_triggers(value: dict[str, object], trigger: Trigger, name: str) -> None:
    (fault,) = parse_faults(value)
    assert fault.trigger == trigger
    assert fault.in_stream
    assert fault.name == name


def test_a_list_combines_faults_in_order() -> None:
    faults = parse_faults(
        [{"kind": "latency", "ms": 200}, {"kind": "disconnect", "after_events": 3}]
    )
    assert [f.kind for f in faults] == ["latency", "disconnect"]
    assert faults[0].delay == Delay(ms=200)
    assert not faults[0].in_stream and faults[1].in_stream


def test_error_faults_carry_an_error_spec() -> None:
    (event,) = parse_faults({"kind": "error_event", "after_events": 2})
    assert event.error is not None and event.error.code == "server_error"
    assert event.shape == "nested"  # what real traffic shows; `flat` is the spec's shape
    (failed,) = parse_faults(
        {"kind": "failed", "error": {"preset": "rate_limit_exceeded"}, "error_event": "flat"}
    )
    assert failed.error is not None and failed.error.code == "rate_limit_exceeded"
    assert failed.error_event == "flat"


def test_latency_shapes_are_seeded() -> None:
    (fixed,) = parse_faults({"kind": "latency", "ms": 120})
    (uniform,) = parse_faults({"kind": "latency", "uniform": [100, 300]})
    (lognormal,) = parse_faults({"kind": "latency", "lognormal": {"median_ms": 200, "sigma": 0.4}})
    assert fixed.delay is not None and fixed.delay.sample_ms(random.Random(1)) == 120
    assert uniform.delay is not None and lognormal.delay is not None
    a = [uniform.delay.sample_ms(random.Random(f"s{i}")) for i in range(200)]
    assert a == [uniform.delay.sample_ms(random.Random(f"s{i}")) for i in range(200)]
    assert all(100 <= x <= 300 for x in a)
    rng = random.Random(7)
    b = [lognormal.delay.sample_ms(rng) for _ in range(2000)]
    assert statistics.median(b) == pytest.approx(200, rel=0.1)
    assert max(b) > 300  # a long right tail


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("explode", "fault: unknown fault kind 'explode'; kinds are: close, disconnect,"),
        (3, "fault: expected a fault kind, a mapping with `kind`, or a list of those"),
        ([], "fault: expected at least one fault"),
        ({"kind": "nope"}, "fault.kind: unknown fault kind 'nope'"),
        (
            {"kind": "disconect"},
            "fault.kind: unknown fault kind 'disconect' (did you mean 'disconnect'?)",
        ),
        ({"kind": "close", "ms": 5}, "fault.ms: not a setting of close; allowed: kind"),
        (
            {"kind": "disconnect", "after_events": -1},
            "fault.after_events: expected a whole number >= 0",
        ),
        (
            {"kind": "disconnect", "after_events": 1, "after_ms": 5},
            "fault: give one of after_events",
        ),
        (
            {"kind": "stall", "at_event": "Delta!"},
            "fault.at_event: expected an event type with an optional #k",
        ),
        (
            {"kind": "stall", "at_event": "response.created#0"},
            "fault.at_event: expected an event type",
        ),
        ({"kind": "stall", "ms": "long"}, "fault.ms: expected a number of milliseconds >= 0"),
        ({"kind": "stall", "keepalive_ms": 0}, "fault.keepalive_ms: expected a number > 0"),
        ({"kind": "latency"}, "fault: a latency needs exactly one of ms, uniform"),
        ({"kind": "latency", "ms": 1, "uniform": [1, 2]}, "fault: a latency needs exactly one of"),
        ({"kind": "latency", "uniform": [3, 1]}, "fault.uniform: expected [low_ms, high_ms]"),
        (
            {"kind": "latency", "lognormal": {"median": 3}},
            "fault.lognormal: expected {median_ms: N",
        ),
        (
            {"kind": "truncated_body", "fraction": 2},
            "fault.fraction: expected a number from 0 to 1",
        ),
        ({"kind": "html_error", "status": 200}, "fault.status: expected an HTTP status 400..599"),
        ({"kind": "error_event", "shape": "round"}, "fault.shape: expected one of flat, nested"),
        (
            {"kind": "failed", "error_event": "yes"},
            "fault.error_event: expected one of none, flat, nested",
        ),
        (
            {"kind": "incomplete", "reason": "tired"},
            "fault.reason: expected one of max_output_tokens",
        ),
        ({"kind": "failed", "error": "nope"}, "fault.error: unknown error preset 'nope'"),
        (["reset", {"kind": "x"}], "fault[1].kind: unknown fault kind 'x'"),
    ],
)
def test_validation_messages(value: object, expected: str) -> None:
    problems = validate_fault(value)
    assert any(p.startswith(expected) for p in problems), problems
    with pytest.raises(ValueError):
        parse_faults(value)


def test_every_problem_is_reported_with_the_callers_path() -> None:
    problems = validate_fault(
        {"kind": "stall", "ms": -1, "keepalive_ms": "x", "colour": 1}, "$.rules[0].fault"
    )
    assert len(problems) == 3
    assert all(p.startswith("$.rules[0].fault") for p in problems)


def test_the_scenario_schema_offers_every_kind_and_preset_to_editors() -> None:
    from mockserver.faults.error_catalog import preset_names
    from mockserver.scenario.schema import schema

    defs = schema()["$defs"]
    assert defs["error"]["anyOf"][0]["examples"] == preset_names()
    kind_name, kind_object = defs["fault"]["anyOf"][:2]
    assert kind_name["examples"] == sorted(KINDS)
    assert kind_object["properties"]["kind"]["examples"] == sorted(KINDS)
