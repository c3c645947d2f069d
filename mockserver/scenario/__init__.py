"""The scenario language: YAML files that script the model, validated and explained.

    registry = Registry([Path("scenarios")]); registry.load_files()
    decision = decide(registry.get("weather-agent"), body=..., conversation=..., ...)

load.py reads files (yamlmarks.py keeps line/column, schema.py and build.py check them),
when.py and match.py choose a rule, reply.py and template.py render it into a Plan,
engine.py does one request in one synchronous step, registry.py and reload.py hold and
refresh what is served.
"""

from mockserver.scenario.engine import Counters, Decision, ScenarioAnswerError, decide
from mockserver.scenario.load import load_paths, load_text
from mockserver.scenario.match import NoRuleMatched
from mockserver.scenario.model import Rule, Scenario
from mockserver.scenario.problems import Problem, ScenarioLoadError
from mockserver.scenario.registry import Registry, UnknownScenario

__all__ = [
    "Counters",
    "Decision",
    "NoRuleMatched",
    "Problem",
    "Registry",
    "Rule",
    "Scenario",
    "ScenarioAnswerError",
    "ScenarioLoadError",
    "UnknownScenario",
    "decide",
    "load_paths",
    "load_text",
]
