"""Load-time helpers that turn checked raw values into frozen ones, collecting findings.

Every builder gets a Compiler: it compiles templates (recording a finding at the string's
JSON path when one is bad) and freezes JSON values whose strings may be templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.scenario import template as tpl
from mockserver.scenario.problems import Path
from mockserver.scenario.schema import Finding


@dataclass(frozen=True)
class JsonTree:
    """A JSON value whose strings are templates, frozen (dicts as key/value pairs)."""

    kind: str  # "object" | "array" | "template" | "scalar"
    value: Any

    def render(self, scope: tpl.Scope) -> Any:
        if self.kind == "object":
            return {key: child.render(scope) for key, child in self.value}
        if self.kind == "array":
            return [child.render(scope) for child in self.value]
        if self.kind == "template":
            return tpl.render_value(self.value, scope)
        return self.value


class Compiler:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, path: Path, message: str, *, key: bool = False) -> None:
        self.findings.append((path, message, key))

    def template(self, text: str, path: Path) -> tpl.Template:
        try:
            return tpl.parse(text)
        except tpl.TemplateError as exc:
            self.add(path, f"template: {exc}")
            return tpl.Template(text, (text,))

    def json_tree(self, value: Any, path: Path) -> JsonTree:
        if isinstance(value, Mapping):
            pairs = tuple((k, self.json_tree(v, (*path, k))) for k, v in value.items())
            return JsonTree("object", pairs)
        if isinstance(value, list):
            return JsonTree(
                "array", tuple(self.json_tree(v, (*path, i)) for i, v in enumerate(value))
            )
        if isinstance(value, str):
            compiled = self.template(value, path)
            return JsonTree("scalar", value) if compiled.static else JsonTree("template", compiled)
        return JsonTree("scalar", value)
