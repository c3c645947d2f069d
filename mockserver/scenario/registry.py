"""The scenarios being served, by name, replaced atomically.

Two layers: scenarios from files (replaced whole by a reload) and scenarios added at run time
through the admin API (kept across reloads, and winning over a file's scenario of the same
name). Readers get an immutable mapping; every change builds a new one and swaps it in a
single assignment, so a request sees either the old set or the new one, never a mix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

from mockserver.errors import InvalidRequest
from mockserver.scenario.load import collect, duplicate_names, load_text
from mockserver.scenario.model import Scenario
from mockserver.scenario.problems import ScenarioLoadError, did_you_mean

_EMPTY: Mapping[str, Scenario] = MappingProxyType({})


class UnknownScenario(InvalidRequest):
    """400: the request names a scenario that is not loaded."""

    def __init__(self, name: str, loaded: Iterable[str]) -> None:
        loaded = sorted(loaded)
        names = ", ".join(loaded) or "none"
        super().__init__(
            f"Unknown scenario '{name}'{did_you_mean(name, loaded)}. Loaded scenarios: {names}.",
            code="mock_unknown_scenario",
            param="X-Mock-Scenario",
        )


class Registry:
    def __init__(self, paths: Iterable[Path] = ()) -> None:
        self.paths = tuple(paths)
        self._files: Mapping[str, Scenario] = _EMPTY
        self._runtime: Mapping[str, Scenario] = _EMPTY
        self._all: Mapping[str, Scenario] = _EMPTY
        self.last_error: ScenarioLoadError | None = None  # of the last reload, for /_mock/health
        self.generation = 0  # bumped by every change

    @property
    def scenarios(self) -> Mapping[str, Scenario]:
        """Everything served, file scenarios first (load order), then run-time ones."""
        return self._all

    def names(self) -> list[str]:
        return list(self._all)

    def get(self, name: str) -> Scenario:
        found = self._all.get(name)
        if found is None:
            raise UnknownScenario(name, self._all)
        return found

    def load_files(self) -> None:
        """(Re)load self.paths; raises ScenarioLoadError and keeps the current set if bad."""
        loaded = collect(self.paths)
        if loaded.problems:
            raise ScenarioLoadError(loaded.problems)
        self.replace_files(loaded.scenarios)

    def replace_files(self, scenarios: Iterable[Scenario]) -> None:
        self._files = MappingProxyType({s.name: s for s in scenarios})
        self._publish()

    def put_text(self, text: str, source_name: str = "admin") -> list[Scenario]:
        """Add or replace scenarios from a YAML/JSON string; raises ScenarioLoadError."""
        scenarios = load_text(text, source_name)
        self.put(scenarios)
        return list(scenarios)

    def put(self, scenarios: Iterable[Scenario]) -> None:
        scenarios = list(scenarios)
        problems = duplicate_names(scenarios)
        if problems:
            raise ScenarioLoadError(problems)
        self._runtime = MappingProxyType({**self._runtime, **{s.name: s for s in scenarios}})
        self._publish()

    def delete(self, name: str) -> Scenario:
        """Remove a run-time scenario, or hide a file one until the next reload."""
        found = self.get(name)
        if name in self._runtime:
            self._runtime = MappingProxyType({k: v for k, v in self._runtime.items() if k != name})
        if name in self._files:
            self._files = MappingProxyType({k: v for k, v in self._files.items() if k != name})
        self._publish()
        return found

    def _publish(self) -> None:
        self._all = MappingProxyType({**self._files, **self._runtime})
        self.generation += 1
