"""Pick the rule that answers: the first, in file order, whose `when` holds and `times` allows.

When none does, explain: for each rule, which `when` keys failed and why (expected vs got),
closest rules first, as an OpenAI-shaped 400 with its own code, and as plain data for the
journal. Matching is pure and synchronous.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.errors import InvalidRequest
from mockserver.scenario.context import MatchContext
from mockserver.scenario.when import WHEN, Miss

if TYPE_CHECKING:  # model.py builds each Scenario's Matcher, which imports this module
    from mockserver.scenario.engine import Counters
    from mockserver.scenario.model import Rule, Scenario

SHOWN_IN_MESSAGE = 3  # closest rules named in the error message (the journal gets all)


def rule_id(scenario: Scenario, rule: Rule) -> str:
    return f"{scenario.name}/{rule.name}"


def _exhausted(scenario: Scenario, rule: Rule, counters: Counters) -> bool:
    return rule.times is not None and counters.fired(scenario.name, rule.name) >= rule.times


def first_match(scenario: Scenario, ctx: MatchContext, counters: Counters) -> Rule | None:
    """The hot path (every request): the rules prepared at load time (matcher.py), no Miss
    built; explain() says why when none fits."""
    return scenario.matcher.first(ctx, counters)


@dataclass(frozen=True)
class RuleMiss:
    rule: str
    index: int
    misses: tuple[Miss, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "index": self.index,
            "misses": [m.as_dict() for m in self.misses],
        }


def explain(scenario: Scenario, ctx: MatchContext, counters: Counters) -> list[RuleMiss]:
    """Why each rule did not fire, closest (fewest misses) first, then in file order."""
    out = []
    for rule in scenario.rules:
        rid = rule_id(scenario, rule)
        misses = [m for c in rule.when if (m := WHEN[c.key].check(c, ctx, rid)) is not None]
        if _exhausted(scenario, rule, counters):
            fired = counters.fired(scenario.name, rule.name)
            misses.insert(0, Miss("times", f"at most {rule.times} firing(s)", f"fired {fired}"))
        out.append(RuleMiss(rule.name, rule.index, tuple(misses)))
    return sorted(out, key=lambda r: (len(r.misses), r.index))


class NoRuleMatched(InvalidRequest):
    """400: no rule of the scenario answers this request; the message says why per rule."""

    def __init__(self, scenario: str, unmatched: list[RuleMiss]) -> None:
        shown = "; ".join(_describe(r) for r in unmatched[:SHOWN_IN_MESSAGE])
        more = len(unmatched) - SHOWN_IN_MESSAGE
        tail = f"; and {more} more rule(s)" if more > 0 else ""
        super().__init__(
            f"No rule of scenario '{scenario}' matched this request. Closest: {shown}{tail}. "
            "(Set `fallback: generate` on the scenario to answer unmatched requests.)",
            code="mock_no_rule_matched",
        )
        self.unmatched = [r.as_dict() for r in unmatched]


def _describe(rule: RuleMiss) -> str:
    reasons = ", ".join(
        f"{_key(m.key)} expected {_show(m.expected)}, got {_show(m.got)}" for m in rule.misses
    )
    return f"rule '{rule.rule}' ({reasons})"


def _key(key: str) -> str:
    return "times" if key == "times" else f"when.{key}"


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
