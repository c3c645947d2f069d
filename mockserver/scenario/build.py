"""A schema-checked scenario mapping -> a frozen Scenario, with every semantic finding.

The schema has already vouched for shapes and types; what is left is what a schema cannot
say: regexes compile, templates name known things, items fit the spec, names are unique,
and the subsystems' own keys (pacing, errors, faults, rate limits, models) are valid.
Parts with schema findings are skipped, the rest is still checked: all problems at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mockserver.scenario.compiler import Compiler
from mockserver.scenario.delegated import delegated, pacing
from mockserver.scenario.model import Origin, Rule, Scenario
from mockserver.scenario.problems import Path, format_path
from mockserver.scenario.reply import Reply, load_reply
from mockserver.scenario.when import WHEN, Condition, compile_when
from mockserver.scenario.yamlmarks import Marks


class Builder(Compiler):
    def __init__(self, source: str, marks: Marks, broken: set[Path]) -> None:
        super().__init__()
        self.source = source
        self.marks = marks
        self.broken = broken  # paths with schema findings: not built further

    def ok(self, path: Path) -> bool:
        return not any(b[: len(path)] == path for b in self.broken)

    def origin(self, path: Path) -> Origin:
        line, col = self.marks.at(path)
        return Origin(self.source, line, col, format_path(path))

    def scenario(self, raw: Mapping[str, Any], path: Path) -> Scenario:
        stream = self._pacing(raw, path, None)
        rules = tuple(
            self.rule(rule, i, (*path, "rules", i), stream)
            for i, rule in enumerate(raw["rules"])
            if isinstance(rule, Mapping)
        )
        self._unique_rule_names(rules, path)
        return Scenario(
            name=raw["name"],
            origin=self.origin((*path, "name")),
            rules=rules,
            description=raw.get("description", ""),
            seed=raw.get("seed"),
            stream=stream,
            rate_limits=self._delegated(raw, "rate_limits", path),
            chaos=self._delegated(raw, "chaos", path),
            outage=self._delegated(raw, "outage", path),
            fallback=raw.get("fallback", "error"),
            models=self._delegated(raw, "models", path) or (),
            strict_models=raw.get("strict_models"),
            raw=MappingProxyType(dict(raw)),
        )

    def rule(self, raw: Mapping[str, Any], index: int, path: Path, base: Any) -> Rule:
        """A rule; parts with schema findings are left out (the load fails anyway)."""
        status = raw.get("status", "completed")
        reason = raw.get("incomplete_reason")
        if reason is not None and status != "incomplete":
            self.add((*path, "incomplete_reason"), "only with status: incomplete")
        name = raw.get("name")
        return Rule(
            name=name if isinstance(name, str) else f"rule-{index + 1}",
            index=index,
            origin=self.origin(path),
            when=self._when(raw, path),
            times=raw.get("times"),
            reply=self._replies(raw, path),
            error=self._delegated(raw, "error", path),
            fault=self._delegated(raw, "fault", path),
            rate_limits=self._delegated(raw, "rate_limits", path),
            chaos=self._delegated(raw, "chaos", path),
            on_retry=self._delegated(raw, "on_retry", path) or "advance",
            expect=self._delegated(raw, "expect", path),
            latency_ms=float(raw.get("latency_ms", 0)) if self.ok((*path, "latency_ms")) else 0,
            steering=raw.get("steering", "item") if self.ok((*path, "steering")) else "item",
            stream=self._pacing(raw, path, base),
            status=status,
            incomplete_reason=(reason or "max_output_tokens") if status == "incomplete" else None,
            usage=MappingProxyType(raw["usage"]) if self._sound(raw, "usage", path) else None,
            description=raw.get("description", ""),
        )

    def _sound(self, raw: Mapping[str, Any], key: str, path: Path) -> bool:
        """raw has key and the schema found nothing wrong in it."""
        return key in raw and self.ok((*path, key))

    def _when(self, raw: Mapping[str, Any], path: Path) -> tuple[Condition, ...]:
        when = raw.get("when", {})
        if not isinstance(when, Mapping):
            return ()
        sound = {k: v for k, v in when.items() if k in WHEN and self.ok((*path, "when", k))}
        conditions, bad = compile_when(sound)
        for key, message in bad:
            self.add((*path, "when", key), message)
        return conditions

    def _replies(self, raw: Mapping[str, Any], path: Path) -> tuple[Reply, ...]:
        replies = raw.get("reply", ())
        if not isinstance(replies, list):
            return ()
        return tuple(
            load_reply(r, (*path, "reply", i), self)
            for i, r in enumerate(replies)
            if self.ok((*path, "reply", i))
        )

    def _delegated(self, raw: Mapping[str, Any], key: str, path: Path) -> Any:
        if key not in raw or not self.ok((*path, key)):
            return None
        value, findings = delegated(key, raw[key], (*path, key))
        self.findings.extend(findings)
        return value

    def _pacing(self, raw: Mapping[str, Any], path: Path, base: Any) -> Any:
        if "stream" not in raw or not self.ok((*path, "stream")):
            return base
        value, findings = pacing(raw["stream"], (*path, "stream"), base)
        self.findings.extend(findings)
        return value

    def _unique_rule_names(self, rules: tuple[Rule, ...], path: Path) -> None:
        seen: dict[str, Rule] = {}
        for rule in rules:
            first = seen.setdefault(rule.name, rule)
            if first is not rule:
                self.add(
                    (*path, "rules", rule.index, "name"),
                    f"duplicate rule name '{rule.name}' (first at line {first.origin.line}); "
                    "rule names are unique within a scenario",
                )
