"""Scenario files and folders -> frozen Scenarios, or every problem found, located.

    load_paths([Path("scenarios")])       # files and folders (recursive .yaml/.yml)
    load_text(yaml_or_json, "admin")      # the admin API's bodies, same checks and messages

Either everything loads, or ScenarioLoadError lists every problem in every file: nothing
half-loaded is ever served. Each document goes through three steps, each reporting findings
at JSON paths that the YAML marks turn into `file:line:col`:

1. yamlmarks.parse: YAML -> plain data + the line and column of every key and value;
2. schema.check: one walk of schema.json's compiled shapes (the schema `mockserver schema`
   publishes) -> every shape problem, in plain words;
3. build.Builder: the sound parts -> frozen Scenario and Rule values, with what a schema
   cannot say (regexes, templates, spec items, the subsystems' own keys, unique names).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.scenario import schema
from mockserver.scenario.build import Builder
from mockserver.scenario.model import Scenario
from mockserver.scenario.problems import Path as JsonPath
from mockserver.scenario.problems import Problem, ScenarioLoadError, format_path
from mockserver.scenario.schema import Finding
from mockserver.scenario.yamlmarks import Marks, parse

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Loaded:
    scenarios: tuple[Scenario, ...]
    problems: tuple[Problem, ...]
    files: tuple[Path, ...]


def scenario_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Files named directly, and .yaml/.yml files under folders (sorted, recursive)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
            files.extend(sorted(found))
        elif path.is_file():
            files.append(path)
        else:
            message = "no such file or directory"
            problems.append(Problem(str(path), 0, 0, "", message, located=False))
    return files, problems


def collect(paths: Iterable[Path]) -> Loaded:
    """Load everything under paths; problems are returned, not raised."""
    files, problems = scenario_files(paths)
    scenarios: list[Scenario] = []
    with _collector_paused():
        for file in files:
            found, file_problems = _load_file(file)
            scenarios.extend(found)
            problems.extend(file_problems)
    problems.extend(duplicate_names(scenarios))
    return Loaded(tuple(scenarios), tuple(sorted(problems)), tuple(files))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading builds ~100 tracked objects per rule and frees none in cycles: the cyclic
    collector's passes over them were ~20% of the loading time of 500 files, for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_paths(paths: Iterable[Path]) -> tuple[Scenario, ...]:
    loaded = collect(paths)
    if loaded.problems:
        raise ScenarioLoadError(loaded.problems)
    return loaded.scenarios


def load_text(text: str, source_name: str) -> tuple[Scenario, ...]:
    """Scenarios from a YAML (or JSON) string, checked like files; raises ScenarioLoadError."""
    scenarios, problems = _load_source(text, source_name)
    problems += duplicate_names(scenarios)
    if problems:
        raise ScenarioLoadError(problems)
    return tuple(scenarios)


def _load_file(file: Path) -> tuple[list[Scenario], list[Problem]]:
    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line, col = before.count(b"\n") + 1, exc.start - (before.rfind(b"\n") + 1) + 1
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        return [], [Problem(str(file), line, col, "", message)]
    return _load_source(text, str(file))


def _load_source(text: str, source: str) -> tuple[list[Scenario], list[Problem]]:
    parsed = parse(text, source)
    problems = list(parsed.problems)
    if parsed.data is None:
        return [], problems
    if isinstance(parsed.data, dict):
        entries: list[tuple[JsonPath, Any]] = [((), parsed.data)]
    elif isinstance(parsed.data, list) and parsed.data:
        entries = [((i,), item) for i, item in enumerate(parsed.data)]
    else:
        got = "an empty list" if parsed.data == [] else schema.shown(parsed.data)
        message = f"expected a scenario (a mapping) or a list of scenarios, got {got}"
        return [], [*problems, Problem(source, 1, 1, "$", message)]
    scenarios = []
    for path, raw in entries:
        scenario, found = _build(raw, path, source, parsed.marks)
        problems.extend(_located(found, source, parsed.marks))
        if scenario is not None:
            scenarios.append(scenario)
    return scenarios, problems


def _build(
    raw: Any, path: JsonPath, source: str, marks: Marks
) -> tuple[Scenario | None, list[Finding]]:
    findings = schema.check(raw, "scenario", path)
    broken = {where for where, _message, _key in findings}
    if not isinstance(raw, dict) or not _buildable(raw, path, broken):
        return None, findings
    builder = Builder(source, marks, broken)
    scenario = builder.scenario(raw, path)
    return scenario, findings + builder.findings


def _buildable(raw: dict[str, Any], path: JsonPath, broken: set[JsonPath]) -> bool:
    """Name and rules list are sound: the rest can be checked rule by rule."""
    vital = {path, (*path, "name"), (*path, "rules")}
    return not (vital & broken) and isinstance(raw.get("rules"), list)


def _located(findings: Sequence[Finding], source: str, marks: Marks) -> list[Problem]:
    out = []
    for path, message, key in findings:
        line, col = marks.at(path, key=key)
        out.append(Problem(source, line, col, format_path(path), message))
    return out


def duplicate_names(scenarios: Sequence[Scenario]) -> list[Problem]:
    """Scenario names are unique across everything loaded together."""
    first: dict[str, Scenario] = {}
    problems = []
    for scenario in scenarios:
        seen = first.setdefault(scenario.name, scenario)
        if seen is not scenario:
            at = scenario.origin
            message = (
                f"duplicate scenario name '{scenario.name}' (first at {seen.origin}); "
                "scenario names are unique across everything loaded"
            )
            problems.append(Problem(at.source, at.line, at.col, at.path, message))
    return problems
