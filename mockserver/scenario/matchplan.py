"""A scenario's rules prepared for matching, once at load time (Scenario.plan).

Each rule becomes one predicate over the request (its `when` conditions, in the order
written). A run of consecutive "keyword" rules, whose only condition is one `input_contains`
text and which have no `times` bound, becomes one block: the first of its keywords found in
the latest user text picks the rule, scanned in C (`map` of `str.__contains__`) instead of
one Python call per rule. Keyword tables of hundreds of rules are common (one answer per
question), and this keeps file order: the first rule whose keyword is present wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from typing import TYPE_CHECKING, Any

from mockserver.scenario.context import MatchContext
from mockserver.scenario.when import Condition, Holds

if TYPE_CHECKING:
    from mockserver.scenario.model import Rule

BLOCK_MIN = 8  # shorter runs gain nothing over plain predicates


@dataclass(frozen=True)
class Single:
    rule: Rule
    rule_id: str  # "scenario/rule": the seed of `probability` draws
    holds: Holds


@dataclass(frozen=True)
class Keywords:
    rules: tuple[Rule, ...]
    keywords: tuple[str, ...]  # lowercased, one per rule

    def first(self, ctx: MatchContext) -> Rule | None:
        found = ctx.input_lower.__contains__
        index = next(compress(range(len(self.keywords)), map(found, self.keywords)), None)
        return None if index is None else self.rules[index]


Step = Single | Keywords


def plan(scenario_name: str, rules: tuple[Rule, ...]) -> tuple[Step, ...]:
    steps: list[Step] = []
    run: list[Rule] = []
    for rule in (*rules, None):
        if rule is not None and _keyword(rule) is not None:
            run.append(rule)
            continue
        if len(run) >= BLOCK_MIN:
            steps.append(Keywords(tuple(run), tuple(_keyword(r) or "" for r in run)))
        else:
            steps.extend(_single(scenario_name, r) for r in run)
        run = []
        if rule is not None:
            steps.append(_single(scenario_name, rule))
    return tuple(steps)


def _keyword(rule: Rule) -> str | None:
    if rule.times is not None or len(rule.when) != 1:
        return None
    (condition,) = rule.when
    parts = condition.compiled
    if condition.key != "input_contains" or condition.holds is None or len(parts) != 1:
        return None
    keyword: str = parts[0]
    return keyword


def _single(scenario_name: str, rule: Rule) -> Single:
    return Single(rule, f"{scenario_name}/{rule.name}", _all_of(rule.when))


def _always(_ctx: Any, _rule_id: str) -> bool:
    return True


def _all_of(conditions: tuple[Condition, ...]) -> Holds:
    """One predicate for a rule's conditions, tried in the order written."""
    tests = tuple(c.predicate() for c in conditions)
    if not tests:
        return _always
    if len(tests) == 1:
        return tests[0]
    return lambda ctx, rule_id: all(test(ctx, rule_id) for test in tests)
