"""The scenario language's JSON Schema (schema.json) and its errors in plain words.

jsonschema's own messages ("Additional properties are not allowed ('modle' was unexpected)")
name neither the place nor what would have been right. Each keyword that can fail gets a small
describer here, so every problem reads `what is wrong; what is allowed`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from importlib import resources
from typing import TYPE_CHECKING, Any

from mockserver.errors import json_kind
from mockserver.scenario.fastcheck import Predicate, compile_schema
from mockserver.scenario.problems import Path, alternatives, did_you_mean, one_of

if TYPE_CHECKING:  # imported on first use (~50 ms): valid files never need it
    import jsonschema

# A described failure: where (JSON path), what, and whether the mark is the key's, not the value's.
Finding = tuple[Path, str, bool]


@functools.cache
def schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def schema_json() -> str:
    """The schema as `mockserver schema` prints it (for editors' YAML language servers)."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


@functools.cache
def validator(definition: str) -> jsonschema.Draft202012Validator:
    """A validator for one of the schema's $defs (scenario, rule, when, pacing, ...)."""
    import jsonschema

    return jsonschema.Draft202012Validator(_inlined(definition))


@functools.cache
def _inlined(definition: str) -> Any:
    return inline(schema()["$defs"][definition], schema())


@functools.cache
def is_valid(definition: str) -> Predicate:
    """A fast yes/no for one $def; "no" only means: ask jsonschema (see fastcheck.py)."""
    return compile_schema(_inlined(definition))


def inline(node: Any, root: dict[str, Any]) -> Any:
    """node with every local $ref replaced by its target (the schema has no cycles).

    Resolving references is a third of jsonschema's time on a scenario; inlining them
    once makes loading hundreds of files noticeably faster, with the same verdicts.
    """
    if isinstance(node, list):
        return [inline(item, root) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return {**inline(target, root), **inline(rest, root)}
    return {key: inline(value, root) for key, value in node.items()}


def check(instance: Any, definition: str = "scenario", base: Path = ()) -> list[Finding]:
    """Every schema violation of instance, described."""
    if is_valid(definition)(instance):
        return []
    findings: list[Finding] = []
    for error in validator(definition).iter_errors(instance):
        findings.extend(describe(error, base))
    return unique(findings)


def unique(findings: list[Finding]) -> list[Finding]:
    """Without repeats (jsonschema reports `required` once per missing key, we list them all)."""
    return list(dict.fromkeys(findings))


def describe(error: jsonschema.ValidationError, base: Path) -> Iterator[Finding]:
    path: Path = (*base, *error.absolute_path)
    describer = _DESCRIBERS.get(str(error.validator))
    if describer is None:
        yield (path, error.message, False)
    else:
        yield from describer(error, path)


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


def _additional(error: jsonschema.ValidationError, path: Path) -> Iterator[Finding]:
    allowed = list(error.schema.get("properties", {}))
    for key in error.instance:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            yield ((*path, key), f"unknown key '{key}'{hint}; allowed: {one_of(allowed)}", True)


def _required(error: jsonschema.ValidationError, path: Path) -> Iterator[Finding]:
    for key in error.validator_value:
        if key not in error.instance:
            yield (path, f"missing required key '{key}'", False)


def _type(error: jsonschema.ValidationError, path: Path) -> Iterator[Finding]:
    wanted = error.validator_value
    names = [JSON_TYPES[t] for t in names_of(wanted)]
    hint = ""
    if isinstance(error.instance, bool) and "string" in names_of(wanted):
        hint = " (YAML reads unquoted yes, no, on, off as booleans: quote the text)"
    yield (path, f"expected {alternatives(names)}, got {shown(error.instance)}{hint}", False)


def names_of(wanted: str | list[str]) -> list[str]:
    return wanted if isinstance(wanted, list) else [wanted]


def _enum(error: jsonschema.ValidationError, path: Path) -> Iterator[Finding]:
    allowed = [str(v) for v in error.validator_value]
    hint = did_you_mean(error.instance, allowed) if isinstance(error.instance, str) else ""
    yield (path, f"{shown(error.instance)} is not allowed{hint}; allowed: {one_of(allowed)}", False)


def _size(error: jsonschema.ValidationError, path: Path) -> Iterator[Finding]:
    keyword, limit, value = str(error.validator), error.validator_value, error.instance
    if keyword == "minItems":
        why = error.schema.get("x-empty") or f"at least {limit} item{'s' if limit > 1 else ''}"
        yield (path, f"empty list; {why}", False)
    elif keyword == "minLength":
        yield (path, "empty string; a non-empty string is needed", False)
    elif keyword == "maxLength":
        yield (path, f"{shown(value)} is too long; at most {limit} characters", False)
    elif keyword == "minProperties":
        keys = one_of(error.schema.get("properties", {})) or "any key"
        yield (path, f"empty mapping; give at least one of: {keys}", False)
    else:  # maxProperties: reply items are `{kind: ...}` with exactly one kind
        keys = one_of(error.schema.get("properties", {}))
        yield (path, f"exactly one key allowed here, one of: {keys}; got {one_of(value)}", False)


def _bound(error: jsonschema.ValidationError, path: Path) -> Iterator[Finding]:
    words = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "above",
        "exclusiveMaximum": "below",
    }
    yield (
        path,
        f"{shown(error.instance)} is out of range; must be {words[str(error.validator)]}"
        f" {error.validator_value}",
        False,
    )


def _pattern(error: jsonschema.ValidationError, path: Path) -> Iterator[Finding]:
    yield (
        path,
        f"{shown(error.instance)} is not allowed; use letters, digits, '.', '_' and '-',"
        " starting with a letter or digit",
        False,
    )


def _any_of(error: jsonschema.ValidationError, path: Path) -> Iterator[Finding]:
    """A union failed: dig into the branch whose type fit, else say which shapes are allowed."""
    branches: dict[int, list[jsonschema.ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    options = error.validator_value
    if all(set(opt) == {"title", "required"} for opt in options):  # "one of these keys"
        keys = [opt["required"][0] for opt in options]
        yield (path, f"needs one of the keys: {', '.join(keys)}", False)
        return
    fitting = [errs for errs in branches.values() if not any(_at_root(e) for e in errs)]
    if fitting:
        for sub in fitting[0]:
            yield from describe(sub, path[: len(path) - len(error.absolute_path)])
        return
    titles = [opt.get("title", "?") for opt in options]
    enums = [str(v) for opt in options for v in opt.get("enum", ())]
    hint = did_you_mean(error.instance, enums) if isinstance(error.instance, str) else ""
    yield (path, f"got {shown(error.instance)}{hint}; allowed: {alternatives(titles)}", False)


def _at_root(error: jsonschema.ValidationError) -> bool:
    """The branch rejected the value itself (its type or its constant), not something inside."""
    return not error.relative_path and str(error.validator) in {"type", "enum", "const"}


_DESCRIBERS: dict[str, Callable[[jsonschema.ValidationError, Path], Iterator[Finding]]] = {
    "additionalProperties": _additional,
    "required": _required,
    "type": _type,
    "enum": _enum,
    "minItems": _size,
    "minLength": _size,
    "maxLength": _size,
    "minProperties": _size,
    "maxProperties": _size,
    "minimum": _bound,
    "maximum": _bound,
    "exclusiveMinimum": _bound,
    "exclusiveMaximum": _bound,
    "pattern": _pattern,
    "anyOf": _any_of,
    "oneOf": _any_of,
}
