"""The create pipeline's calls into the scenario engine (SCENARIO-HOOK), and app set-up.

install(app, config)          load --scenarios (ScenarioLoadError stops the start), --reload
scenario_for(turn)            header X-Mock-Scenario, else the tenant's binding, else
                              --default-scenario, else None (the zero-config generator)
plan_for_turn(turn, generate) the scripted Plan, or generate() when no scenario applies
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.config import Config
from mockserver.plan import Plan
from mockserver.scenario import expectations
from mockserver.scenario.counters import Counters
from mockserver.scenario.engine import decide
from mockserver.scenario.match import NoRuleMatched
from mockserver.scenario.model import Scenario
from mockserver.scenario.problems import Problem, ScenarioLoadError
from mockserver.scenario.registry import Registry
from mockserver.scenario.reload import watcher
from mockserver.zeroconfig.generate import json_for_schema

if TYPE_CHECKING:
    from mockserver.pipeline.store import Tenant
    from mockserver.pipeline.turn import Turn

SCENARIOS = web.AppKey("scenarios", Registry)
HEADER = "X-Mock-Scenario"
_TURN_KEY = "scenario"  # Turn.extra key of the selected scenario (None: zero-config)


def install(app: web.Application, config: Config) -> Registry:
    """Load the configured scenarios; raises ScenarioLoadError with every problem."""
    registry = Registry(config.scenarios)
    registry.load_files()
    default = config.default_scenario
    if default is not None and default not in registry.scenarios:
        loaded = ", ".join(registry.names()) or "none"
        message = f"unknown scenario '{default}'; loaded scenarios: {loaded}"
        raise ScenarioLoadError([Problem("--default-scenario", 0, 0, "", message)])
    app[SCENARIOS] = registry
    if config.reload and config.scenarios:
        app.cleanup_ctx.append(watcher(registry))
    return registry


def counters_of(tenant: Tenant) -> Counters:
    """The tenant's counters, kept in Tenant.counters (reset with the tenant)."""
    state = tenant.counters
    return Counters(state.setdefault("calls", {}), state.setdefault("fires", {}))


def scenario_for(turn: Turn) -> Scenario | None:
    """The scenario this request runs (memoised on the turn); unknown names are a 400."""
    if _TURN_KEY not in turn.extra:
        name = (
            turn.request.headers.get(HEADER)
            or turn.tenant.scenario_binding
            or turn.config.default_scenario
        )
        registry = turn.request.app[SCENARIOS]
        turn.extra[_TURN_KEY] = registry.get(name) if name else None
        # Named at once, so answers refused before a rule is chosen (rate limits, chaos)
        # still show their scenario in the access log, journal and metrics.
        turn.exchange.scenario = name or None
    found: Scenario | None = turn.extra[_TURN_KEY]
    return found


def model_settings(turn: Turn) -> tuple[tuple[Any, ...], bool | None]:
    """The scenario's `models:` entries and `strict_models` (for the models hook)."""
    scenario = scenario_for(turn)
    return (scenario.models, scenario.strict_models) if scenario else ((), None)


def plan_for_turn(turn: Turn, generate: Callable[[], Plan]) -> Plan:
    scenario = scenario_for(turn)
    if scenario is None:
        return generate()
    seed = scenario.seed if scenario.seed is not None else turn.config.seed
    try:
        decision = decide(
            scenario,
            body=turn.req.raw,
            conversation=turn.conversation,
            headers=turn.exchange.headers,  # lowercased, the API key redacted
            counters=counters_of(turn.tenant),
            seed=seed if seed is not None else turn.rng.getrandbits(32),
            json_for_schema=json_for_schema,
            generate=generate,
        )
    except NoRuleMatched as exc:
        turn.exchange.scenario = scenario.name
        turn.exchange.unmatched = exc.unmatched
        raise
    turn.exchange.unmatched = decision.unmatched
    expectations.record(turn, decision)  # HARNESS-HOOK: the rule's `expect:` misses
    return decision.plan
