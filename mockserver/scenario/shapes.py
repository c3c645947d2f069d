"""JSON Schema (the subset our schemas use) compiled into typed shapes that explain failures.

One walk over the data checks it and says what is wrong in plain words, at its JSON path:
`expected an integer, got 'lots'`, `unknown key 'modle' (did you mean 'model'?); allowed: ...`.
The verdicts are JSON Schema's (draft 2020-12; a test holds them equal to jsonschema's), so
the schema we publish for editors and the check that loading runs are one definition.

A keyword this module does not know is a compile error, never silently ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mockserver.errors import json_kind
from mockserver.scenario.problems import Path, alternatives, did_you_mean, one_of

# A described problem: where (JSON path), what, and whether the mark is the key's, not the value's.
Finding = tuple[Path, str, bool]

# Keywords that say nothing about validity.
_ANNOTATIONS = frozenset(
    {"title", "description", "examples", "default", "format", "x-empty", "$schema", "$id"}
    | {"$defs", "$comment"}
)

JSON_TYPES = {
    "string": "a string",
    "object": "a mapping",
    "array": "a list",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}

# What a scenario author wrote, in YAML's words ("got a mapping").
_GOT_WORDS = {**JSON_TYPES, "boolean": "a boolean"}

_BOUND_WORDS = {
    "minimum": "at least",
    "maximum": "at most",
    "exclusiveMinimum": "above",
    "exclusiveMaximum": "below",
}


def type_name(value: Any) -> str:
    return _GOT_WORDS[json_kind(value)]


def shown(value: Any) -> str:
    """The offending value, short, as the author wrote it."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    return type_name(value)


# JSON Schema's types for the values YAML and JSON give: True is not an integer, 1.0 is one.
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "object": (dict,),
    "array": (list,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class Failure(NamedTuple):
    """One keyword's verdict on one value: what it found, already described."""

    path: Path
    keyword: str
    findings: tuple[Finding, ...]


_UNSET: Any = object()

# One keyword's check: appends a Failure to out when value breaks it.
Step = Callable[[Any, Path, "list[Failure]"], None]


@dataclass(eq=False)
class Shape:
    """One schema node, compiled: the keywords it checks, as typed fields."""

    node: Mapping[str, Any]  # as written: titles and x-empty for messages
    types: tuple[str, ...] = ()
    python_types: frozenset[type] = frozenset()  # of types, for the walk
    integral: bool = False  # "integer" is one of types: 1.0 is one
    expected: str = ""  # of types, in words: "an integer or null"
    enum: tuple[Any, ...] | None = None
    const: Any = _UNSET
    properties: dict[str, Shape] = field(default_factory=dict)
    additional: Shape | bool = True
    required: tuple[str, ...] = ()
    property_names: Shape | None = None
    min_properties: int | None = None
    max_properties: int | None = None
    items: Shape | None = None
    min_items: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    bounds: tuple[tuple[str, Any], ...] = ()  # (keyword, limit)
    all_of: tuple[Shape, ...] = ()  # $ref and allOf: every one must hold
    any_of: tuple[Shape, ...] = ()
    one_of: tuple[Shape, ...] = ()
    ref: Shape | None = None  # for the title of a branch that is only a $ref
    steps: tuple[Step, ...] = field(default=(), repr=False)  # made by seal()

    @property
    def title(self) -> str:
        if "title" in self.node or self.ref is None:
            return str(self.node.get("title", "?"))
        return self.ref.title

    @property
    def enum_values(self) -> tuple[Any, ...]:
        if self.enum is not None or self.ref is None:
            return self.enum or ()
        return self.ref.enum_values

    def findings(self, value: Any, path: Path = ()) -> list[Finding]:
        """Every problem of value, described; [] when the schema accepts it."""
        found = [f for failure in self.failures(value, path) for f in failure.findings]
        return list(dict.fromkeys(found))

    def failures(self, value: Any, path: Path) -> list[Failure]:
        out: list[Failure] = []
        for step in self.steps:
            step(value, path, out)
        return out

    def seal(self) -> None:
        """Keep the steps this node's keywords need, in order: the walk visits every value."""
        steps: list[Step] = []
        if self.types:
            steps.append(self._type)
        if self.enum is not None:
            steps.append(self._enum)
        if self.const is not _UNSET:
            steps.append(self._const)
        sized = (self.min_properties, self.max_properties, self.property_names)
        if self.properties or self.additional is not True or self.required or sized != (None,) * 3:
            steps.append(self._object)
        if self.items is not None or self.min_items is not None:
            steps.append(self._array)
        if (self.min_length, self.max_length, self.pattern) != (None, None, None):
            steps.append(self._string)
        if self.bounds:
            steps.append(self._bounds)
        if self.all_of:
            steps.append(self._all_of)
        if self.any_of:
            steps.append(self._any_of)
        if self.one_of:
            steps.append(self._one_of)
        self.steps = tuple(steps)

    def _type(self, value: Any, path: Path, out: list[Failure]) -> None:
        kind = type(value)
        if kind in self.python_types or (kind is float and self.integral and value.is_integer()):
            return
        hint = ""
        if kind is bool and "string" in self.types:
            hint = " (YAML reads unquoted yes, no, on, off as booleans: quote the text)"
        message = f"expected {self.expected}, got {shown(value)}{hint}"
        out.append(Failure(path, "type", ((path, message, False),)))

    def _enum(self, value: Any, path: Path, out: list[Failure]) -> None:
        if any(_equal(e, value) for e in self.enum or ()):
            return
        allowed = [str(v) for v in self.enum or ()]
        hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
        message = f"{shown(value)} is not allowed{hint}; allowed: {one_of(allowed)}"
        out.append(Failure(path, "enum", ((path, message, False),)))

    def _const(self, value: Any, path: Path, out: list[Failure]) -> None:
        if not _equal(self.const, value):
            out.append(Failure(path, "const", ((path, f"{self.const!r} was expected", False),)))

    def _bounds(self, value: Any, path: Path, out: list[Failure]) -> None:
        if type(value) is not int and type(value) is not float:
            return
        for keyword, limit in self.bounds:
            if _BOUND_FAILS[keyword](value, limit):
                words = f"must be {_BOUND_WORDS[keyword]} {limit}"
                message = f"{shown(value)} is out of range; {words}"
                out.append(Failure(path, keyword, ((path, message, False),)))

    def _all_of(self, value: Any, path: Path, out: list[Failure]) -> None:
        for shape in self.all_of:
            out.extend(shape.failures(value, path))

    def _object(self, value: Any, path: Path, out: list[Failure]) -> None:
        if type(value) is not dict:
            return
        properties = self.properties
        for key, item in value.items():
            shape = properties.get(key)
            if shape is not None:
                out.extend(shape.failures(item, (*path, key)))
            elif self.additional is False:
                hint = did_you_mean(key, properties)
                message = f"unknown key '{key}'{hint}; allowed: {one_of(properties)}"
                out.append(Failure(path, "additionalProperties", (((*path, key), message, True),)))
            elif self.additional is not True:
                out.extend(self.additional.failures(item, (*path, key)))
        missing = [k for k in self.required if k not in value]
        if missing:
            found = tuple((path, f"missing required key '{k}'", False) for k in missing)
            out.append(Failure(path, "required", found))
        if self.min_properties is not None and len(value) < self.min_properties:
            keys = one_of(properties) or "any key"
            message = f"empty mapping; give at least one of: {keys}"
            out.append(Failure(path, "minProperties", ((path, message, False),)))
        if self.max_properties is not None and len(value) > self.max_properties:
            message = (
                f"exactly one key allowed here, one of: {one_of(properties)}; got {one_of(value)}"
            )
            out.append(Failure(path, "maxProperties", ((path, message, False),)))
        if self.property_names is not None:
            for key in value:
                out.extend(self.property_names.failures(key, path))

    def _array(self, value: Any, path: Path, out: list[Failure]) -> None:
        if type(value) is not list:
            return
        if self.items is not None:
            for i, item in enumerate(value):
                out.extend(self.items.failures(item, (*path, i)))
        if self.min_items is not None and len(value) < self.min_items:
            limit = self.min_items
            why = self.node.get("x-empty") or f"at least {limit} item{'s' if limit > 1 else ''}"
            out.append(Failure(path, "minItems", ((path, f"empty list; {why}", False),)))

    def _string(self, value: Any, path: Path, out: list[Failure]) -> None:
        if type(value) is not str:
            return
        if self.min_length is not None and len(value) < self.min_length:
            message = "empty string; a non-empty string is needed"
            out.append(Failure(path, "minLength", ((path, message, False),)))
        if self.max_length is not None and len(value) > self.max_length:
            message = f"{shown(value)} is too long; at most {self.max_length} characters"
            out.append(Failure(path, "maxLength", ((path, message, False),)))
        if self.pattern is not None and self.pattern.search(value) is None:
            message = (
                f"{shown(value)} is not allowed; use letters, digits, '.', '_' and '-',"
                " starting with a letter or digit"
            )
            out.append(Failure(path, "pattern", ((path, message, False),)))

    def _any_of(self, value: Any, path: Path, out: list[Failure]) -> None:
        branches: list[list[Failure]] = []
        for shape in self.any_of:
            failures = shape.failures(value, path)
            if not failures:
                return
            branches.append(failures)
        out.append(Failure(path, "anyOf", self._union_findings(value, path, self.any_of, branches)))

    def _one_of(self, value: Any, path: Path, out: list[Failure]) -> None:
        branches = [shape.failures(value, path) for shape in self.one_of]
        valid = sum(1 for failures in branches if not failures)
        if valid == 1:
            return
        found = branches if valid == 0 else []  # several fit: nothing inside to explain
        out.append(Failure(path, "oneOf", self._union_findings(value, path, self.one_of, found)))

    @staticmethod
    def _union_findings(
        value: Any, path: Path, options: tuple[Shape, ...], branches: list[list[Failure]]
    ) -> tuple[Finding, ...]:
        """A union failed: dig into the branch whose type fit, else say which shapes fit."""
        if all(set(opt.node) == {"title", "required"} for opt in options):  # "one of these keys"
            keys = [opt.node["required"][0] for opt in options]
            return ((path, f"needs one of the keys: {', '.join(keys)}", False),)
        for failures in branches:
            if not any(f.path == path and f.keyword in _AT_ROOT for f in failures):
                return tuple(finding for f in failures for finding in f.findings)
        titles = [opt.title for opt in options]
        enums = [str(v) for opt in options for v in opt.enum_values]
        hint = did_you_mean(value, enums) if isinstance(value, str) else ""
        return ((path, f"got {shown(value)}{hint}; allowed: {alternatives(titles)}", False),)


# A branch rejected the value itself (its type or its constant), not something inside.
_AT_ROOT = frozenset({"type", "enum", "const"})

# As JSON Schema says them: a bound fails when the number is on the wrong side (so nan passes).
_BOUND_FAILS = {
    "minimum": lambda n, limit: n < limit,
    "maximum": lambda n, limit: n > limit,
    "exclusiveMinimum": lambda n, limit: n <= limit,
    "exclusiveMaximum": lambda n, limit: n >= limit,
}


class Schema:
    """A JSON Schema document whose nodes compile to Shapes on first use ($refs shared)."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self._by_ref: dict[str, Shape] = {}

    def shape(self, ref: str) -> Shape:
        """The shape of a local reference such as `#/$defs/rule`."""
        shape = self._by_ref.get(ref)
        if shape is None:
            target: Any = self.root
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            shape = self._by_ref[ref] = Shape(target)  # registered first: refs may recurse
            self._fill(shape, target)
        return shape

    def compile(self, node: Mapping[str, Any]) -> Shape:
        if set(node) <= _ANNOTATIONS | {"$ref"} and "$ref" in node and "title" not in node:
            return self.shape(node["$ref"])  # a bare reference: the target itself
        shape = Shape(node)
        self._fill(shape, node)
        return shape

    def _compile_all(self, nodes: Iterable[Any]) -> tuple[Shape, ...]:
        return tuple(self._sub(node) for node in nodes)

    def _sub(self, node: Any) -> Shape:
        if node is True:
            return Shape({})
        if not isinstance(node, Mapping):
            raise ValueError(f"unsupported schema node: {node!r}")
        return self.compile(node)

    def _fill(self, shape: Shape, node: Mapping[str, Any]) -> None:
        for keyword, value in node.items():
            if keyword in _ANNOTATIONS:
                continue
            filler = _FILLERS.get(keyword)
            if filler is None:
                raise ValueError(f"unsupported JSON Schema keyword {keyword!r}")
            filler(self, shape, value)
        shape.seal()


def _fill_ref(s: Schema, shape: Shape, ref: str) -> None:
    shape.ref = s.shape(ref)
    shape.all_of = (*shape.all_of, shape.ref)


def _fill_type(s: Schema, shape: Shape, value: str | list[str]) -> None:
    shape.types = tuple(value) if isinstance(value, list) else (value,)
    shape.python_types = frozenset(t for name in shape.types for t in _PYTHON_TYPES[name])
    shape.integral = "integer" in shape.types
    shape.expected = alternatives([JSON_TYPES[name] for name in shape.types])


def _fill_all_of(s: Schema, shape: Shape, value: list[Any]) -> None:
    shape.all_of = (*shape.all_of, *s._compile_all(value))


def _fill_additional(s: Schema, shape: Shape, value: Any) -> None:
    shape.additional = value if isinstance(value, bool) else s._sub(value)


def _set(name: str, convert: Any = None) -> Any:
    def fill(s: Schema, shape: Shape, value: Any) -> None:
        setattr(shape, name, convert(s, value) if convert else value)

    return fill


def _bound(keyword: str) -> Any:
    def fill(s: Schema, shape: Shape, value: Any) -> None:
        shape.bounds = (*shape.bounds, (keyword, value))

    return fill


_FILLERS: dict[str, Any] = {
    "$ref": _fill_ref,
    "type": _fill_type,
    "enum": _set("enum", lambda s, v: tuple(v)),
    "const": _set("const"),
    "properties": _set("properties", lambda s, v: {k: s._sub(n) for k, n in v.items()}),
    "additionalProperties": _fill_additional,
    "required": _set("required", lambda s, v: tuple(v)),
    "propertyNames": _set("property_names", lambda s, v: s._sub(v)),
    "minProperties": _set("min_properties"),
    "maxProperties": _set("max_properties"),
    "items": _set("items", lambda s, v: s._sub(v)),
    "minItems": _set("min_items"),
    "minLength": _set("min_length"),
    "maxLength": _set("max_length"),
    "pattern": _set("pattern", lambda s, v: re.compile(v)),
    "minimum": _bound("minimum"),
    "maximum": _bound("maximum"),
    "exclusiveMinimum": _bound("exclusiveMinimum"),
    "exclusiveMaximum": _bound("exclusiveMaximum"),
    "allOf": _fill_all_of,
    "anyOf": _set("any_of", lambda s, v: s._compile_all(v)),
    "oneOf": _set("one_of", lambda s, v: s._compile_all(v)),
}
