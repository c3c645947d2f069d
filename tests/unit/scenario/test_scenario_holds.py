"""The matcher's fast predicates give the same verdict as the explaining checks, key by key."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from test_scenario_when import BODY, CASES, CONVERSATION, HEADERS, user

from mockserver.scenario import load_text
from mockserver.scenario.context import MatchContext, build_context
from mockserver.scenario.counters import Counters
from mockserver.scenario.match import first_match
from mockserver.scenario.matchplan import Keywords
from mockserver.scenario.when import WHEN

CONTEXTS: list[MatchContext] = [
    build_context(BODY, CONVERSATION, HEADERS, call=3, seed=11),
    build_context(BODY, [*CONVERSATION, user("And in Rome?")], {}, call=1, seed=2),
    build_context({"model": "gpt-5"}, [], {"x-team": "red"}, call=2),
    build_context({**BODY, "stream": False, "metadata": {}}, CONVERSATION[:1], {}, call=4),
]


@pytest.mark.parametrize("key", CASES, ids=list(CASES))
def test_predicate_agrees_with_check(key: str) -> None:
    for value, ctx in itertools.product(CASES[key][:2], CONTEXTS):
        rule = {"when": {key: value}, "error": "server_error"}
        (scenario,) = load_text(json.dumps({"name": "s", "rules": [rule]}), "t")
        (condition,) = scenario.rules[0].when
        explained = WHEN[key].check(condition, ctx, "s/rule-1") is None
        assert condition.predicate()(ctx, "s/rule-1") is explained, (value, ctx.call)
        assert (first_match(scenario, ctx, Counters()) is not None) is explained


def test_all_conditions_of_a_rule_must_hold() -> None:
    when = {"model": "gpt-4o*", "input_contains": "paris", "stream": False}
    for stream, expected in ((False, None), (True, 0)):  # the request streams
        rule = {"when": {**when, "stream": stream}, "error": "server_error"}
        (scenario,) = load_text(json.dumps({"name": "s", "rules": [rule]}), "t")
        found = first_match(scenario, CONTEXTS[0], Counters())
        assert (found.index if found else None) == expected


def keyword_scenario(words: list[str], times_at: int | None = None) -> Any:
    rules = []
    for i, word in enumerate(words):
        rule: dict[str, Any] = {"name": f"r{i}", "when": {"input_contains": word}}
        if i == times_at:
            rule["times"] = 1
        rules.append({**rule, "reply": [{"message": word}]})
    rules.append({"name": "any", "reply": [{"message": "fallback"}]})
    (scenario,) = load_text(json.dumps({"name": "kw", "rules": rules}), "t")
    return scenario


@pytest.mark.parametrize("times_at", [None, 3])
def test_keyword_rules_keep_file_order(times_at: int | None) -> None:
    words = [f"word{i:02d}" for i in range(20)]
    scenario = keyword_scenario(words, times_at)
    assert any(isinstance(step, Keywords) for step in scenario.steps)
    counters = Counters()
    for text, expected in [
        ("say WORD07 and word03", "r3"),  # both present: the earlier rule wins
        ("word19", "r19"),
        ("nothing", "any"),
    ]:
        ctx = build_context({"model": "m"}, [user(text)], {}, call=1)
        rule = first_match(scenario, ctx, counters)
        assert rule is not None and rule.name == expected
        if rule.times is not None:
            counters.fire("kw", rule.name)
    if times_at is not None:  # r3 fired once: exhausted, word07 comes next
        ctx = build_context({"model": "m"}, [user("word07 word03")], {}, call=2)
        assert first_match(scenario, ctx, counters).name == "r7"  # type: ignore[union-attr]


def test_rule_named_finds_each_rule() -> None:
    scenario = keyword_scenario(["a", "b", "c"])
    assert [scenario.rule_named(r.name) for r in scenario.rules] == list(scenario.rules)
    assert scenario.rule_named("missing") is None
