"""One request against one scenario -> a Plan, in a single synchronous step.

A rule whose reply reads nothing of the request is planned once, when the scenario loads
(static_plan, kept by the scenario's Matcher); other rules are planned per request.

Counting the call, matching, counting the firing and rendering the reply happen without an
await in between: on one event loop, concurrent requests cannot interleave them, so no count
is lost or doubled (the tenant's Counters, here). Everything random here derives from (seed,
scenario, rule, call), so the same seed and the same requests give the same answer whatever
else runs concurrently.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockserver.errors import InvalidRequest
from mockserver.lazy_random import LazyRandom
from mockserver.plan import ItemPlan, Plan
from mockserver.scenario import template as tpl
from mockserver.scenario.context import NO_CONVERSATION, ConversationFacts, MatchContext
from mockserver.scenario.expectations import violations
from mockserver.scenario.fakers import SeededFaker
from mockserver.scenario.match import NoRuleMatched, explain
from mockserver.scenario.reply import AnswerError, Env

if TYPE_CHECKING:  # model.py builds each Scenario's Matcher, which imports this module
    from mockserver.scenario.model import Rule, Scenario

JsonForSchema = Callable[[dict[str, Any], random.Random], Any]


@dataclass
class Counters:
    """A tenant's requests per scenario (`call`) and firings per rule (`times`). `decide`
    reads and bumps them in the same synchronous step as matching (no await in between), so
    concurrent requests on the event loop can neither lose nor double a count."""

    calls: dict[str, int] = field(default_factory=dict)  # scenario -> requests so far
    fires: dict[tuple[str, str], int] = field(default_factory=dict)  # (scenario, rule) -> fired

    def next_call(self, scenario: str) -> int:
        """Count one more request to scenario; its 1-based number."""
        n = self.calls.get(scenario, 0) + 1
        self.calls[scenario] = n
        return n

    def fired(self, scenario: str, rule: str) -> int:
        return self.fires.get((scenario, rule), 0)

    def fire(self, scenario: str, rule: str) -> int:
        """Count one firing of rule; how often it has fired, this one included."""
        key = (scenario, rule)
        n = self.fires[key] = self.fires.get(key, 0) + 1
        return n

    def forget(self, scenario: str | None = None) -> None:
        """Start a scenario (or all) from zero, e.g. when it is replaced at run time."""
        if scenario is None:
            self.calls.clear()
            self.fires.clear()
            return
        self.calls.pop(scenario, None)
        for key in [k for k in self.fires if k[0] == scenario]:
            del self.fires[key]

    def snapshot(self) -> dict[str, dict[str, object]]:
        """Plain data for the admin API: {scenario: {"calls": n, "rules": {rule: fired}}}."""
        out: dict[str, dict[str, object]] = {}
        for scenario in sorted({*self.calls, *(s for s, _ in self.fires)}):
            rules = {r: n for (s, r), n in self.fires.items() if s == scenario}
            out[scenario] = {"calls": self.calls.get(scenario, 0), "rules": rules}
        return out


class ScenarioAnswerError(InvalidRequest):
    """400: the chosen rule cannot answer this request (e.g. a template names a missing value)."""

    def __init__(self, scenario: Scenario, rule: Rule, why: str) -> None:
        super().__init__(
            f"Scenario '{scenario.name}', rule '{rule.name}' ({rule.origin}): {why}",
            code="mock_template_error",
        )


@dataclass(slots=True)
class Decision:
    plan: Plan
    rule: Rule | None  # None: no rule matched and the scenario falls back to generating
    call: int
    unmatched: list[dict[str, Any]] | None = None  # why no rule matched, for the journal
    # The request as matching read it (lazy): reuse it instead of building another; None
    # when nothing of the request was read (a rule that answers every request, planned once).
    context: MatchContext | None = None
    # The rule's `expect:` the request did not meet, in the journal's form (empty: all met).
    unmet: list[dict[str, Any]] = field(default_factory=list)


def decide(
    scenario: Scenario,
    body: Mapping[str, Any],
    conversation: Sequence[Mapping[str, Any]],
    headers: Mapping[str, str],
    counters: Counters,
    seed: int,
    json_for_schema: JsonForSchema,
    generate: Callable[[], Plan],
    facts: ConversationFacts = NO_CONVERSATION,
) -> Decision:
    """Choose and render the answer, and check the rule's expectations; raises NoRuleMatched
    or ScenarioAnswerError (both 400)."""
    call = counters.next_call(scenario.name)
    matcher, ctx = scenario.matcher, None
    rule = matcher.always  # a first rule that holds for every request: nothing to read
    if rule is None:
        ctx = MatchContext(body, conversation, headers, call, seed, facts)
        rule = matcher.first(ctx, counters)
        if rule is None:
            misses = explain(scenario, ctx, counters)
            if scenario.fallback != "generate":
                raise NoRuleMatched(scenario.name, misses)
            plan = generate()
            named = dataclasses.replace(plan, scenario=scenario.name, rule=None)
            return Decision(named, None, call, [m.as_dict() for m in misses], ctx)
    fired = counters.fire(scenario.name, rule.name)
    static = matcher.static.get(rule.index)
    if static is not None and rule.expect is None:
        return Decision(static, rule, call, None, ctx)  # the request was read for nothing else
    if ctx is None:
        ctx = MatchContext(body, conversation, headers, call, seed, facts)
    plan = static or plan_for(scenario, rule, ctx, fired, json_for_schema)
    unmet = violations(scenario.name, rule, ctx, rule.expect) if rule.expect is not None else []
    return Decision(plan, rule, call, None, ctx, unmet)


def answer_rng(seed: int, scenario: str, rule: str, call: int) -> random.Random:
    """Seeded on first use (most rules draw nothing); its first 64 bits seed the answer's
    faker (SeededFaker), the rest serve the replies, as if drawn in that order."""
    return LazyRandom(f"answer/{seed}/{scenario}/{rule}/{call}", reserve_bits=64)


def plan_for(
    scenario: Scenario, rule: Rule, ctx: MatchContext, fired: int, json_for_schema: JsonForSchema
) -> Plan:
    rng = answer_rng(ctx.seed, scenario.name, rule.name, ctx.call)
    scope = tpl.Scope(_Names(scenario, rule, ctx, fired), SeededFaker(rng))
    text = ctx.body.get("text")
    fmt = text.get("format") if isinstance(text, Mapping) else None
    env = Env(scope, rng, fmt if isinstance(fmt, Mapping) else None, json_for_schema)
    try:
        items = tuple(reply.plan(env) for reply in rule.reply)
    except (tpl.TemplateError, AnswerError) as exc:
        raise ScenarioAnswerError(scenario, rule, str(exc)) from None
    return _plan(scenario.name, rule, items)


def static_plan(scenario: str, rule: Rule) -> Plan | None:
    """The rule's Plan when its replies read nothing of the request, else None.

    Derived, not declared: the replies are planned once against an Env that refuses every
    read (template names, the random source, the request's text.format, the JSON
    generator); a reply that reads any of them is planned per request instead. A rule with
    `usage` is too: openai/usage.py merges those dicts into each response, so each answer
    gets its own copy."""
    if rule.usage is not None:
        return None
    try:
        items = tuple(reply.plan(_REFUSING_ENV) for reply in rule.reply)
    except Exception:  # _Reads, or an error the per-request plan reports in context
        return None
    return _plan(scenario, rule, items)


def _plan(scenario: str, rule: Rule, items: tuple[ItemPlan, ...]) -> Plan:
    return Plan(
        items=items,
        status=rule.status,
        incomplete_reason=rule.incomplete_reason,
        usage=_plain(rule.usage) if rule.usage is not None else None,
        latency_ms=rule.latency_ms,
        steering=rule.steering,
        stream=rule.stream,
        fault=rule.fault or (),
        error=rule.error,
        scenario=scenario,
        rule=rule.name,
    )


class _Reads(Exception):
    """A reply read something of the request: it is not static."""


def _refuse(*_args: Any) -> Any:
    raise _Reads


class _RefusingScope(tpl.Scope):
    def __init__(self) -> None:
        super().__init__({}, _refuse)

    def lookup(self, expr: tpl.Expr) -> Any:
        raise _Reads


class _RefusingRandom(random.Random):
    def random(self) -> float:
        raise _Reads

    def getrandbits(self, k: int) -> int:
        raise _Reads


class _RefusingMapping(Mapping[str, Any]):
    def __getitem__(self, key: str) -> Any:
        raise _Reads

    def __iter__(self) -> Iterator[str]:
        raise _Reads

    def __len__(self) -> int:
        raise _Reads


_REFUSING_ENV = Env(_RefusingScope(), _RefusingRandom(0), _RefusingMapping(), _refuse)


class _Names(Mapping[str, Any]):
    """What template roots resolve to (see template.ROOTS), each read from the request only
    when a template names it."""

    ROOTS: tuple[str, ...] = (
        *("request", "model", "instructions", "input", "metadata", "tool_output"),
        *("call", "turn", "fired", "scenario", "rule"),
    )

    def __init__(self, scenario: Scenario, rule: Rule, ctx: MatchContext, fired: int) -> None:
        self._scenario, self._rule, self._ctx, self._fired = scenario, rule, ctx, fired

    def __getitem__(self, root: str) -> Any:
        ctx = self._ctx
        match root:
            case "request":
                return _as_dict(ctx.body)
            case "model":
                return ctx.model
            case "instructions":
                return ctx.instructions
            case "input":
                return ctx.latest_user_text
            case "metadata":
                return dict(ctx.metadata)
            case "tool_output":
                return dict(ctx.outputs_by_tool)
            case "call":
                return ctx.call
            case "turn":
                return ctx.turn
            case "fired":
                return self._fired
            case "scenario":
                return self._scenario.name
            case "rule":
                return self._rule.name
        raise KeyError(root)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ROOTS)

    def __len__(self) -> int:
        return len(self.ROOTS)


def _as_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    return value if isinstance(value, dict) else dict(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
