"""YAML -> plain JSON-like data plus the line and column of every node, by JSON path.

PyYAML keeps marks on the node graph but drops them when it builds Python objects. We compose
the node graph (libyaml when available: fast enough for hundreds of files), then build the data
ourselves, recording where each value and each mapping key starts. Building ourselves also
lets us refuse what a JSON-shaped language cannot hold: duplicate keys (PyYAML keeps the last
one silently), non-string keys, binary and recursive aliases.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

from mockserver.scenario.problems import Path, Problem, format_path

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"
_SPECIAL_KEYS = frozenset({_MERGE, _VALUE})  # keys that flatten_mapping rewrites
_RESOLVED_MAX = 4096  # remembered tags of short plain scalars (keys, numbers, words)
MAX_DEPTH = 100  # nesting allowed in a scenario document, as in a JSON request body
# Values in one document, aliases expanded: `&a [*b, *b, ...]` chains grow tenfold per line.
MAX_VALUES = 100_000


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader with its per-node Python callbacks made cheap (same tags).

    libyaml composes in C but asks Python for the tag of every node: resolving matches the
    value against the implicit resolvers' regexes. The same short scalars (keys, true, 3)
    come back in every file, so their tags are remembered; and path resolvers, which the
    safe loader never has, are not walked.
    """

    _resolved: ClassVar[dict[tuple[str, tuple[bool, bool]], str]] = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> Any:
        if kind is yaml.MappingNode and not self.yaml_path_resolvers:
            return self.DEFAULT_MAPPING_TAG
        if kind is not yaml.ScalarNode or len(value) > 64:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._resolved) < _RESOLVED_MAX:
                self._resolved[key] = tag
        return tag

    if not _BaseLoader.yaml_path_resolvers:

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None


@dataclass
class Marks:
    """Where each node starts (1-based line and column), by JSON path."""

    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def at(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """The mark of path (its key when asked and known), else of the nearest ancestor."""
        probe = path
        while True:
            if key and probe in self.keys:
                return self.keys[probe]
            if probe in self.values:
                return self.values[probe]
            if not probe:
                return (1, 1)
            probe = probe[:-1]


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, source: str, loader: yaml.SafeLoader) -> None:
        self.source = source
        self.loader = loader
        self.marks = Marks()
        self.problems: list[Problem] = []
        self._active: set[int] = set()  # node ids on the current branch: catches alias loops
        self._left = MAX_VALUES  # values still allowed in this document

    def problem(self, node: yaml.Node, path: Path, message: str) -> None:
        line, col = _mark(node)
        self.problems.append(Problem(self.source, line, col, format_path(path), message))

    def build(self, node: yaml.Node, path: Path) -> Any:
        self._left -= 1
        if self._left < 0:
            if self._left == -1:
                too_many = f"more than {MAX_VALUES} values (YAML aliases expanded)"
                self.problem(node, path, f"{too_many}; that is the limit")
            return None
        values = self.marks.values
        if path not in values:  # inlined _mark: this runs for every node of every file
            values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if type(node) is yaml.ScalarNode:  # most nodes; a scalar cannot hold an alias loop
            return node.value if node.tag == _STR else self._scalar(node, path)
        if id(node) in self._active:
            self.problem(node, path, "recursive YAML alias; a scenario must be a finite tree")
            return None
        if len(path) >= MAX_DEPTH:  # building recurses: deeper would be a RecursionError
            self.problem(node, path, f"nested more than {MAX_DEPTH} levels deep")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            return self._scalar(node, path)
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        for key_node, _value in node.value:
            if key_node.tag in _SPECIAL_KEYS:
                return self._merged_mapping(node, path)
        out: dict[str, Any] = {}
        keys = self.marks.keys
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode:
                self.problem(key_node, path, "a mapping key must be a plain string")
                continue
            # The text as written: YAML would read `yes:` as True and `1:` as 1.
            key = str(key_node.value)
            at = (*path, key)
            if key in out:
                self.problem(key_node, at, f"duplicate key '{key}' (first at line {keys[at][0]})")
                continue
            keys[at] = _mark(key_node)
            out[key] = self.build(value_node, at)
        return out

    def _merged_mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        """A mapping with `<<: *anchor` (or `=`) keys: as _mapping, after PyYAML's merge."""
        own = sum(1 for k, _ in node.value if k.tag != _MERGE)
        self.loader.flatten_mapping(node)  # resolves `<<: *anchor`: merged pairs come first
        merged = len(node.value) - own
        out: dict[str, Any] = {}
        inherited: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, path, "a mapping key must be a plain string")
                continue
            # The text as written: YAML would read `yes:` as True and `1:` as 1.
            key = str(key_node.value)
            if key in inherited:  # a key written here overrides the merged one
                inherited.discard(key)
                del out[key]
            if index < merged:
                inherited.add(key)
            if key in out:
                first = self.marks.keys[(*path, key)]
                self.problem(
                    key_node, (*path, key), f"duplicate key '{key}' (first at line {first[0]})"
                )
                continue
            self.marks.keys[(*path, key)] = _mark(key_node)
            out[key] = self.build(value_node, (*path, key))
        return out

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        if node.tag == _STR:  # most scalars: no constructor needed
            return node.value
        plain = _PLAIN_SCALARS.get(node.tag)
        if plain is not None:  # the constructor itself, without construct_object's bookkeeping
            value = plain(self.loader, node)
        else:
            value = self.loader.construct_object(node, deep=True)
        if isinstance(value, datetime.date):
            return value.isoformat()  # JSON has no dates; keep what the author wrote
        if isinstance(value, str | int | float | bool) or value is None:
            return value
        self.problem(node, path, f"unsupported YAML value of type {type(value).__name__}")
        return None


# Tags whose SafeConstructor builds a plain value from the scalar alone.
_PLAIN_SCALARS = {
    f"tag:yaml.org,2002:{kind}": yaml.SafeLoader.yaml_constructors[f"tag:yaml.org,2002:{kind}"]
    for kind in ("int", "float", "bool", "null")
}


@dataclass(frozen=True)
class Parsed:
    data: Any
    marks: Marks
    problems: tuple[Problem, ...]


def parse(text: str, source: str) -> Parsed:
    """Parse one YAML document; syntax errors come back as problems, never as exceptions."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            empty = "empty document; a scenario file holds a mapping or a list of them"
            return Parsed(None, Marks(), (Problem(source, 1, 1, "", empty),))
        builder = _Builder(source, loader)
        data = builder.build(node, ())
        return Parsed(data, builder.marks, tuple(builder.problems))
    except yaml.MarkedYAMLError as exc:
        return Parsed(None, Marks(), (_syntax_problem(exc, source),))
    except yaml.YAMLError as exc:
        return Parsed(None, Marks(), (Problem(source, 0, 0, "", f"YAML error: {exc}"),))
    finally:
        loader.dispose()


def _syntax_problem(exc: yaml.MarkedYAMLError, source: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    what = " ".join(p for p in (exc.context, exc.problem) if p)
    return Problem(source, line, col, "", f"YAML syntax error: {what}")
