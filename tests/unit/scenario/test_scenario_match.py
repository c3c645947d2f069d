"""Rule choice: file order, `times`, per-tenant counters, and the no-match explanation."""

from __future__ import annotations

import pytest

from mockserver.plan import MessagePlan, Plan
from mockserver.scenario import (
    Counters,
    Decision,
    NoRuleMatched,
    Scenario,
    decide,
    load_text,
)
from mockserver.zeroconfig.generate import json_for_schema

SEQUENCE = """\
name: seq
rules:
  - name: fail-twice
    times: 2
    error: rate_limit_exceeded
  - name: greet
    when: {input_contains: hello}
    reply: [{message: "hi #{{ call }}, fired {{ fired }}"}]
  - name: weather
    when: {input_contains: weather, model: "gpt-4o*", stream: false}
    reply: [{message: sunny}]
"""


def run(
    scenario: Scenario, text: str, counters: Counters, model: str = "gpt-4o", **body: object
) -> Decision:
    conversation = [{"type": "message", "role": "user", "content": text}]
    return decide(
        scenario,
        body={"model": model, **body},
        conversation=conversation,
        headers={},
        counters=counters,
        seed=1,
        json_for_schema=json_for_schema,
        generate=lambda: Plan((MessagePlan("generated"),)),
    )


@pytest.fixture
def seq() -> Scenario:
    (scenario,) = load_text(SEQUENCE, "seq.yaml")
    return scenario


def test_times_bounds_a_rule_then_the_next_rules_answer(seq: Scenario) -> None:
    counters = Counters()
    rules = [run(seq, "hello", counters).rule.name for _ in range(4)]  # type: ignore[union-attr]
    assert rules == ["fail-twice", "fail-twice", "greet", "greet"]
    assert counters.snapshot() == {"seq": {"calls": 4, "rules": {"fail-twice": 2, "greet": 2}}}


def test_counters_are_per_tenant(seq: Scenario) -> None:
    a, b = Counters(), Counters()
    assert run(seq, "hello", a).rule.name == "fail-twice"  # type: ignore[union-attr]
    run(seq, "hello", a)
    assert run(seq, "hello", b).rule.name == "fail-twice"  # type: ignore[union-attr]
    assert run(seq, "hello", a).plan.items == (MessagePlan("hi #3, fired 1"),)


def test_no_match_names_the_closest_rules_and_why(seq: Scenario) -> None:
    counters = Counters()
    run(seq, "x", counters)
    run(seq, "x", counters)
    with pytest.raises(NoRuleMatched) as info:
        run(seq, "weather today?", counters, model="o3", stream=True)
    error = info.value
    assert (error.status, error.type, error.code) == (
        400,
        "invalid_request_error",
        "mock_no_rule_matched",
    )
    assert error.message == (
        "No rule of scenario 'seq' matched this request. Closest: "
        'rule \'fail-twice\' (times expected "at most 2 firing(s)", got "fired 2"); '
        'rule \'greet\' (when.input_contains expected "hello", got "weather today?"); '
        'rule \'weather\' (when.model expected "gpt-4o*", got "o3", '
        "when.stream expected false, got true). "
        "(Set `fallback: generate` on the scenario to answer unmatched requests.)"
    )
    assert error.unmatched[2] == {
        "rule": "weather",
        "index": 2,
        "misses": [
            {"key": "model", "expected": "gpt-4o*", "got": "o3"},
            {"key": "stream", "expected": False, "got": True},
        ],
    }


def test_fallback_generate_answers_and_still_explains() -> None:
    (scenario,) = load_text(
        "name: fb\nfallback: generate\nrules: [{when: {call: 5}, reply: [{message: five}]}]", "t"
    )
    decision = run(scenario, "anything", Counters())
    assert decision.rule is None and decision.plan.items == (MessagePlan("generated"),)
    assert (decision.plan.scenario, decision.plan.rule) == ("fb", None)
    assert decision.unmatched == [
        {"rule": "rule-1", "index": 0, "misses": [{"key": "call", "expected": 5, "got": 1}]}
    ]


def test_probability_fires_reproducibly() -> None:
    text = (
        "name: p\nrules: [{name: flaky, when: {probability: 0.5}, error: server_error},"
        " {reply: [{message: ok}]}]"
    )
    (scenario,) = load_text(text, "t")

    def pattern() -> list[str]:
        counters = Counters()
        return [run(scenario, "q", counters).rule.name for _ in range(40)]  # type: ignore[union-attr]

    first = pattern()
    assert first == pattern()
    assert 8 < first.count("flaky") < 32
