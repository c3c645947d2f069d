"""A scenario's rules prepared once at load time (Scenario.matcher): what matching reads.

Steps. Each rule becomes one check over the request (Single: none for a rule without
`when`, `needle in read(request)` for one `all_in` condition with one needle, else one
predicate of its `when` conditions, each WHEN[key].holds). A run of consecutive rules that
each have exactly one condition of the same key and no `times` bound becomes one Scan: the
request is read once for that key,
then each rule's compiled value is tested in file order inside `map` (no Python loop); for
an `all_in` key (input_contains, instructions_contains, tools) with one needle per rule the
test itself is `str.__contains__` (or a set's), so no Python call is made per rule. Keyword
tables of hundreds of rules are common (one answer per question); the first rule in file
order whose condition holds wins, as with Single steps. A scan uses the key's own `read`
and `test`, and tests/unit/scenario/test_scenario_holds.py checks it against the
explaining path for every key.

Static answers. A rule whose reply reads nothing of the request (no template, counter,
faker or generated JSON) is planned here once (engine.static_plan), not per request.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import compress, repeat
from typing import TYPE_CHECKING, Any

from mockserver.plan import Plan
from mockserver.scenario.context import MatchContext
from mockserver.scenario.engine import Counters, static_plan
from mockserver.scenario.when import WHEN, Condition, Holds, WhenKey, all_in

if TYPE_CHECKING:
    from mockserver.scenario.model import Rule

SCAN_MIN = 8  # shorter runs gain nothing over plain predicates


@dataclass(frozen=True)
class Single:
    """One rule's conditions as the cheapest check: none (`holds` None: the rule always
    holds), one `all_in` needle (`needle in read(request)`, as a Scan tests it), or one
    predicate over them all."""

    rule: Rule
    rule_id: str  # "scenario/rule": the seed of `probability` draws
    holds: Holds | None
    read: Callable[[MatchContext], Any] | None = None  # with `needle`: what it is sought in
    needle: Any = None


@dataclass(frozen=True)
class Scan:
    key: WhenKey
    rules: tuple[Rule, ...]
    compiled: tuple[Any, ...]  # one per rule
    rule_ids: tuple[str, ...]
    needles: tuple[Any, ...] | None  # `all_in` with one needle per rule: the needles

    def first(self, ctx: MatchContext) -> Rule | None:
        seen = self.key.read(ctx)
        if self.needles is not None:
            hits: Iterator[bool] = map(seen.__contains__, self.needles)
        else:
            hits = map(self.key.test, self.compiled, repeat(seen), self.rule_ids)
        index = next(compress(range(len(self.rules)), hits), None)
        return None if index is None else self.rules[index]


Step = Single | Scan


class Matcher:
    """The rules of one scenario, prepared for matching and answering."""

    def __init__(self, scenario: str, rules: tuple[Rule, ...]) -> None:
        self.scenario = scenario
        self.steps = _steps(scenario, rules)
        # Rule index -> its Plan, for the rules whose replies read nothing of the request.
        self.static: Mapping[int, Plan] = {
            rule.index: plan for rule in rules if (plan := static_plan(scenario, rule)) is not None
        }
        # The first rule when it has no `when` and no `times`: `first` returns it for every
        # request, so nothing of the request need be read (or its context built) to choose it.
        self.always: Rule | None = None
        head = self.steps[0] if self.steps else None
        if isinstance(head, Single) and head.holds is None and head.read is None:
            self.always = head.rule if head.rule.times is None else None

    def first(self, ctx: MatchContext, counters: Counters) -> Rule | None:
        """The first rule, in file order, whose `when` holds and whose `times` allows."""
        for step in self.steps:
            if isinstance(step, Single):
                rule = step.rule
                if step.read is not None:
                    holds = step.needle in step.read(ctx)
                else:
                    holds = step.holds is None or step.holds(ctx, step.rule_id)
                if holds and (
                    rule.times is None or counters.fired(self.scenario, rule.name) < rule.times
                ):
                    return rule
            else:  # a scan (no `times` among its rules)
                found = step.first(ctx)
                if found is not None:
                    return found
        return None

    def static_plan(self, rule: Rule) -> Plan | None:
        """The rule's answer planned at load time, when it reads nothing of the request.

        Shared by every request the rule answers: a Plan is frozen, never change it."""
        return self.static.get(rule.index)


def _steps(scenario: str, rules: tuple[Rule, ...]) -> tuple[Step, ...]:
    shared = Counter(_signature(c) for rule in rules for c in rule.when)
    steps: list[Step] = []
    run: list[Rule] = []
    for rule in (*rules, None):
        key = None if rule is None else _scan_key(rule)
        if rule is not None and key is not None and run and key == _scan_key(run[0]):
            run.append(rule)
            continue
        if len(run) >= SCAN_MIN:
            steps.append(_scan(scenario, run))
        else:
            steps.extend(_single(scenario, r, shared) for r in run)
        run = [] if rule is None else [rule]
    return tuple(steps)


def _scan_key(rule: Rule) -> str | None:
    """The key of a rule that may join a scan: one condition, no `times`."""
    if rule.times is not None or len(rule.when) != 1:
        return None
    return rule.when[0].key


def _scan(scenario: str, run: list[Rule]) -> Scan:
    key = WHEN[run[0].when[0].key]
    compiled = tuple(r.when[0].compiled for r in run)
    one_needle = key.test is all_in and all(len(c) == 1 for c in compiled)
    needles = tuple(c[0] for c in compiled) if one_needle else None
    ids = tuple(f"{scenario}/{r.name}" for r in run)
    return Scan(key, tuple(run), compiled, ids, needles)


def _single(scenario: str, rule: Rule, shared: Counter[tuple[str, str]]) -> Single:
    rule_id = f"{scenario}/{rule.name}"
    if not rule.when:
        return Single(rule, rule_id, None)
    (first, *more) = rule.when
    key = WHEN[first.key]
    if not more and key.test is all_in and len(first.compiled) == 1:
        return Single(rule, rule_id, None, key.read, first.compiled[0])
    return Single(rule, rule_id, _all_of(rule.when, shared))


def _all_of(conditions: tuple[Condition, ...], shared: Counter[tuple[str, str]]) -> Holds:
    """One predicate for a rule's conditions, each made of its key's `read` and `test`.

    All must hold and every test is pure, so the order is free: the conditions fewest rules
    share come first (`model: gpt-4o*` on every rule is tried last, a rule's own keyword
    first), which settles most rules with one test."""
    if len(conditions) == 1:
        return conditions[0].predicate()
    ordered = sorted(conditions, key=lambda c: shared[_signature(c)])
    parts = tuple((WHEN[c.key].read, WHEN[c.key].test, c.compiled) for c in ordered)

    def holds(ctx: MatchContext, rule_id: str) -> bool:
        for read, test, compiled in parts:  # noqa: SIM110 (no generator frame per rule)
            if not test(compiled, read(ctx), rule_id):
                return False
        return True

    return holds


def _signature(condition: Condition) -> tuple[str, str]:
    return condition.key, json.dumps(condition.raw, sort_keys=True, default=str)
