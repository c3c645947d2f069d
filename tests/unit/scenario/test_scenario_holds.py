"""The matcher's fast paths give the same verdict as the explaining checks, key by key.

Parametrized over the WHEN registry itself: a new `when` key is covered as soon as it is
registered (test_scenario_when.py requires a case for it in CASES)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from test_scenario_when import BODY, CASES, CONVERSATION, FACTS, HEADERS, user

from mockserver.openai.texts import message_text
from mockserver.scenario import load_text
from mockserver.scenario.context import MatchContext, build_context
from mockserver.scenario.engine import Counters
from mockserver.scenario.match import first_match
from mockserver.scenario.matcher import SCAN_MIN, Scan
from mockserver.scenario.when import WHEN, all_in

CONTEXTS: list[MatchContext] = [
    build_context(BODY, CONVERSATION, HEADERS, call=3, seed=11, facts=FACTS),
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


def load_rules(rules: list[dict[str, Any]]) -> Any:
    (scenario,) = load_text(json.dumps({"name": "s", "rules": rules}), "t")
    return scenario


@pytest.mark.parametrize("key", sorted(WHEN))
def test_every_registered_key_fast_path_agrees_with_its_explanation(key: str) -> None:
    holding, failing, _got = CASES[key]
    for value, ctx in itertools.product((holding, failing), CONTEXTS):
        scenario = load_rules([{"name": "r", "when": {key: value}, "error": "server_error"}])
        (condition,) = scenario.rules[0].when
        explained = WHEN[key].check(condition, ctx, "s/r") is None
        assert condition.predicate()(ctx, "s/r") is explained, (value, ctx.call)
        assert WHEN[key].holds(condition.compiled)(ctx, "s/r") is explained


@pytest.mark.parametrize("key", sorted(WHEN))
def test_every_registered_key_scan_agrees_with_its_explanation(key: str) -> None:
    """A run of one-condition rules of one key is scanned; it picks the first rule whose
    explanation is empty, as the rules one by one would."""
    holding, failing, _got = CASES[key]
    for first_holding, ctx in itertools.product((0, 3, SCAN_MIN - 1, None), CONTEXTS):
        values = [holding if i == first_holding else failing for i in range(SCAN_MIN)]
        values += [holding]  # the last rule holds when the request fits `holding`
        rules = [
            {"name": f"r{i}", "when": {key: v}, "error": "server_error"}
            for i, v in enumerate(values)
        ]
        scenario = load_rules(rules)
        assert any(isinstance(step, Scan) for step in scenario.matcher.steps)
        expected = next(
            (r for r in scenario.rules if WHEN[key].check(r.when[0], ctx, f"s/{r.name}") is None),
            None,
        )
        assert first_match(scenario, ctx, Counters()) is expected, (first_holding, ctx.call)


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
    assert any(isinstance(step, Scan) for step in scenario.matcher.steps)
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


@pytest.mark.parametrize(
    "when",
    [{}, {"input_contains": "paris"}, {"input_contains": ["paris", "weather"]},
     {"tools": ["get_weather"]}, {"instructions_contains": "brief"}, {"model": "gpt-4o*"}],
)  # fmt: skip
def test_a_single_rules_cheapest_check_agrees_with_its_explanation(when: dict[str, Any]) -> None:
    """A rule alone is checked in its cheapest form (nothing for no `when`, `needle in
    read(request)` for one `all_in` needle): the verdict is still its explanation's."""
    scenario = load_rules([{"name": "r", "when": when, "error": "server_error"}])
    (step,) = scenario.matcher.steps
    (rule,) = scenario.rules
    conds = rule.when
    needle = len(conds) == 1 and WHEN[conds[0].key].test is all_in and len(conds[0].compiled) == 1
    assert (step.read is not None) is needle
    assert (step.holds is None) is (needle or not conds)
    for ctx in CONTEXTS:
        explained = all(WHEN[c.key].check(c, ctx, "s/r") is None for c in rule.when)
        assert (first_match(scenario, ctx, Counters()) is not None) is explained, (when, ctx.call)


def test_the_latest_user_text_is_the_text_of_the_last_user_message() -> None:
    for ctx in CONTEXTS:
        last = ctx._last_user
        text = message_text(ctx.conversation[last]) if last >= 0 else ""
        assert ctx.latest_user_text == text and ctx.input_lower == text.lower()


def test_a_first_rule_without_when_or_times_answers_every_request_unread() -> None:
    """Matcher.always: the rule `first` returns whatever the request, so decide builds no
    context for it; a `times` bound or a `when` on it, or a rule before it, means reading."""
    always = load_rules(
        [{"name": "a", "reply": [{"message": "x"}]}, {"name": "b", "error": "server_error"}]
    )
    assert always.matcher.always is always.rules[0]
    for ctx in CONTEXTS:
        assert first_match(always, ctx, Counters()) is always.matcher.always
    reading: list[list[dict[str, Any]]] = [
        [{"name": "a", "times": 1, "reply": [{"message": "x"}]}],
        [{"name": "a", "when": {"stream": True}, "reply": [{"message": "x"}]}],
        [{"name": "b", "when": {"stream": True}, "error": "server_error"},
         {"name": "a", "reply": [{"message": "x"}]}],
    ]  # fmt: skip
    for rules in reading:
        assert load_rules(rules).matcher.always is None
