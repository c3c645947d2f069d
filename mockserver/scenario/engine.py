"""One request against one scenario -> a Plan, in a single synchronous step.

Counting the call, matching, counting the firing and rendering the reply happen without an
await in between: on one event loop, concurrent requests cannot interleave them, so no count
is lost or doubled. Everything random here derives from (seed, scenario, rule, call), so the
same seed and the same requests give the same answer whatever else runs concurrently.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockserver.errors import InvalidRequest
from mockserver.lazy_random import LazyRandom
from mockserver.plan import Plan
from mockserver.scenario import template as tpl
from mockserver.scenario.context import MatchContext, build_context
from mockserver.scenario.counters import Counters
from mockserver.scenario.fakers import SeededFaker
from mockserver.scenario.match import NoRuleMatched, explain, first_match
from mockserver.scenario.model import Rule, Scenario
from mockserver.scenario.reply import AnswerError, Env

JsonForSchema = Callable[[dict[str, Any], random.Random], Any]


class ScenarioAnswerError(InvalidRequest):
    """400: the chosen rule cannot answer this request (e.g. a template names a missing value)."""

    def __init__(self, scenario: Scenario, rule: Rule, why: str) -> None:
        super().__init__(
            f"Scenario '{scenario.name}', rule '{rule.name}' ({rule.origin}): {why}",
            code="mock_template_error",
        )


@dataclass(frozen=True)
class Decision:
    plan: Plan
    rule: Rule | None  # None: no rule matched and the scenario falls back to generating
    call: int
    unmatched: list[dict[str, Any]] | None = None  # why no rule matched, for the journal


def decide(
    scenario: Scenario,
    *,
    body: Mapping[str, Any],
    conversation: Sequence[Mapping[str, Any]],
    headers: Mapping[str, str],
    counters: Counters,
    seed: int,
    json_for_schema: JsonForSchema,
    generate: Callable[[], Plan],
) -> Decision:
    """Choose and render the answer; raises NoRuleMatched or ScenarioAnswerError (both 400)."""
    call = counters.next_call(scenario.name)
    ctx = build_context(body, conversation, headers, call, seed)
    rule = first_match(scenario, ctx, counters)
    if rule is None:
        misses = explain(scenario, ctx, counters)
        if scenario.fallback != "generate":
            raise NoRuleMatched(scenario.name, misses)
        plan = generate()
        named = dataclasses.replace(plan, scenario=scenario.name, rule=None)
        return Decision(named, None, call, [m.as_dict() for m in misses])
    fired = counters.fire(scenario.name, rule.name)
    return Decision(plan_for(scenario, rule, ctx, fired, json_for_schema), rule, call)


def answer_rng(seed: int, scenario: str, rule: str, call: int) -> random.Random:
    """Seeded on first use (most rules draw nothing); its first 64 bits seed the answer's
    faker (SeededFaker), the rest serve the replies, as if drawn in that order."""
    return LazyRandom(f"answer/{seed}/{scenario}/{rule}/{call}", reserve_bits=64)


def plan_for(
    scenario: Scenario, rule: Rule, ctx: MatchContext, fired: int, json_for_schema: JsonForSchema
) -> Plan:
    rng = answer_rng(ctx.seed, scenario.name, rule.name, ctx.call)
    scope = tpl.Scope(_names(scenario, rule, ctx, fired), SeededFaker(rng))
    text = ctx.body.get("text")
    fmt = text.get("format") if isinstance(text, Mapping) else None
    env = Env(scope, rng, fmt if isinstance(fmt, Mapping) else None, json_for_schema)
    try:
        items = tuple(reply.plan(env) for reply in rule.reply)
    except (tpl.TemplateError, AnswerError) as exc:
        raise ScenarioAnswerError(scenario, rule, str(exc)) from None
    return Plan(
        items=items,
        status=rule.status,
        incomplete_reason=rule.incomplete_reason,
        usage=_plain(rule.usage) if rule.usage is not None else None,
        latency_ms=rule.latency_ms,
        stream=rule.stream,
        fault=rule.fault or (),
        error=rule.error,
        scenario=scenario.name,
        rule=rule.name,
    )


def _names(scenario: Scenario, rule: Rule, ctx: MatchContext, fired: int) -> dict[str, Any]:
    """What template roots resolve to (see template.ROOTS)."""
    return {
        "request": dict(ctx.body),
        "model": ctx.model,
        "instructions": ctx.instructions,
        "input": ctx.latest_user_text,
        "metadata": dict(ctx.metadata),
        "tool_output": dict(ctx.outputs_by_tool),
        "call": ctx.call,
        "turn": ctx.turn,
        "fired": fired,
        "scenario": scenario.name,
        "rule": rule.name,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
