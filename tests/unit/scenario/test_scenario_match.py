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


STATIC_AND_NOT = """\
name: static
rules:
  - name: fixed
    when: {input_contains: fixed}
    reply: [{message: always the same}, {function_call: {name: f, arguments: {a: 1}}}]
  - name: error-only
    when: {input_contains: boom}
    error: server_error
  - name: counted
    when: {input_contains: counted}
    reply: [{message: "call {{ call }}"}]
  - name: fake
    when: {input_contains: fake}
    reply: [{message: "{{ faker.city }}"}]
  - name: generated
    when: {input_contains: schema}
    reply: [{json: auto}]
"""


def test_a_static_reply_is_planned_once_at_load_time() -> None:
    (scenario,) = load_text(STATIC_AND_NOT, "t")
    static = {r.name for r in scenario.rules if scenario.matcher.static_plan(r) is not None}
    assert static == {"fixed", "error-only"}
    counters = Counters()
    first, second = run(scenario, "fixed", counters), run(scenario, "fixed", counters)
    assert first.rule is not None
    assert first.plan is second.plan is scenario.matcher.static_plan(first.rule)
    assert (first.plan.scenario, first.plan.rule) == ("static", "fixed")
    assert run(scenario, "counted", counters).plan.items == (MessagePlan("call 3"),)
    assert run(scenario, "counted", counters).plan.items == (MessagePlan("call 4"),)


def test_the_context_computes_only_what_the_rules_read() -> None:
    (scenario,) = load_text(
        "name: lazy\nrules: [{when: {model: 'gpt-4o*'}, reply: [{message: hi}]}]", "t"
    )
    decision = run(scenario, "a question", Counters(), tools=[{"type": "web_search"}])
    ctx = decision.context
    assert ctx is not None and decision.rule is scenario.rules[0]
    computed = set(vars(ctx)) - {"body", "call", "seed", "facts", "_items", "_headers"}
    assert computed == {"model"}
    assert ctx.latest_user_text == "a question"  # still there when read later
    assert ctx.tool_names == frozenset({"web_search"})


def test_every_template_root_resolves_when_named() -> None:
    from mockserver.scenario.template import ROOTS

    names = "{{ request.model }}|{{ model }}|{{ instructions }}|{{ input }}|{{ metadata.k }}"
    names += "|{{ tool_output.f.v }}|{{ call }}|{{ turn }}|{{ fired }}|{{ scenario }}|{{ rule }}"
    assert {n.split(".")[0].strip("{ }") for n in names.split("|")} == set(ROOTS) - {"faker"}
    (scenario,) = load_text(
        f"name: roots\nrules: [{{name: r, reply: [{{message: '{names}'}}]}}]", "t"
    )
    conversation = [
        {"type": "message", "role": "user", "content": "q"},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": '{"v": 7}'},
    ]
    decision = decide(
        scenario,
        body={"model": "m1", "instructions": "be brief", "metadata": {"k": "v"}},
        conversation=conversation,
        headers={},
        counters=Counters(),
        seed=1,
        json_for_schema=json_for_schema,
        generate=lambda: Plan(()),
    )
    assert decision.plan.items == (MessagePlan("m1|m1|be brief|q|v|7|1|1|1|roots|r"),)
