"""Checking a drawn value against the client's schema, when that check is sure to finish.

jsonschema follows `$ref`s as it validates. A schema whose refs loop back without descending
into the value (`{"if": {"$ref": "#"}}`, `{"allOf": [{"$ref": "#"}]}`) sends it into infinite
recursion, which can surface as a RecursionError or as a panic from its Rust helpers that no
`except Exception` catches. So a value is only checked when the schema's refs provably
descend: every loop passes through properties, items or the like, which the finite value
runs out of. Anything this module cannot follow (remote refs, `$id` scopes, dynamic refs)
disables the check: the value is then used unchecked.

The client's patterns (`pattern`, `patternProperties`, and the latter's part in
`additionalProperties`) are run through the budget's bounded search, never Python's `re`: a
catastrophic pattern would hang the server. A search that runs out of time leaves the value
unchecked too; so does `unevaluatedProperties` beside `patternProperties` (jsonschema runs
those patterns with `re` itself).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator, ValidationError, validators
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from mockserver.zeroconfig import budget as budgets
from mockserver.zeroconfig.schema_merge import resolve

# Keywords whose subschemas apply to the same value (a loop through them never ends).
_SAME_LISTS = ("allOf", "anyOf", "oneOf")
_SAME_ONE = ("not", "if", "then", "else", "$ref")
_SAME_MAPS = ("dependentSchemas", "dependencies")
# Keywords whose subschemas apply to parts of the value.
_DOWN_ONE = ("additionalProperties", "items", "additionalItems", "contains", "propertyNames",
             "unevaluatedItems", "unevaluatedProperties")  # fmt: skip
_DOWN_MAPS = ("properties", "patternProperties")
_UNFOLLOWABLE = ("$id", "id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef")
MAX_NODES = 10_000  # bigger schemas are not checked (the walk is linear, but bounded anyway)
# Keyword evaluations per check. Terminating is not enough: `{"if": {"$ref": "#"}, "then":
# {"$ref": "#"}}` under a property doubles the work at every level of the value. A few hundred
# steps check a typical tool's arguments; past the budget the value is used unchecked.
MAX_STEPS = 5_000
_END = object()
_budget = threading.local()  # steps left in the current check (servers may run in threads)


class _OverBudget(Exception):
    pass


def _counted(keyword: Callable[..., Any]) -> Callable[..., Any]:
    def run(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        _budget.steps -= 1
        if _budget.steps < 0:
            raise _OverBudget
        return keyword(validator, value, instance, schema)

    return run


def _found(pattern: Any, text: str) -> bool:
    found = budgets.current().search(pattern, text) if isinstance(pattern, str) else None
    if found is None:
        raise _OverBudget  # cannot be told in time (or not a pattern we can run): unchecked
    return found


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _found(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    for pattern, sub in patterns.items():
        for key, value in instance.items():
            if _found(pattern, key):
                yield from validator.descend(value, sub, path=key, schema_path=pattern)


def _additional_properties(validator: Any, extra: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "object"):
        return
    declared = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = [
        key for key in instance if key not in declared and not any(_found(p, key) for p in patterns)
    ]
    if validator.is_type(extra, "object"):
        for key in extras:
            yield from validator.descend(instance[key], extra, path=key)
    elif not extra and extras:
        yield ValidationError(f"Additional properties are not allowed ({extras!r} unexpected)")


_PATTERNS = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
}


def _bounded(cls: Any) -> Any:
    keywords = {k: _counted(_PATTERNS.get(k, v)) for k, v in cls.VALIDATORS.items()}
    return validators.extend(cls, keywords)


_DIALECTS = {"2020-12": _bounded(Draft202012Validator), "07": _bounded(Draft7Validator)}


def checker(root: Any) -> Validator | None:
    """A validator for root, or None when validating could fail to terminate."""
    dialect = _dialect(root) if isinstance(root, dict) else None
    if dialect is None:
        return None
    cls = _DIALECTS[dialect]
    checked: Validator = cls(root, format_checker=cls.FORMAT_CHECKER)
    return checked


def is_valid(check: Validator, value: Any, budget: budgets.Budget | None = None) -> bool:
    _budget.steps = MAX_STEPS
    try:
        with budgets.active(budget if budget is not None else budgets.Budget()):
            return bool(check.is_valid(value))
    # Cannot tell (too costly, a pattern Python cannot compile, a ref to elsewhere): keep it.
    except (_OverBudget, Unresolvable, re.error, RecursionError, TypeError, ValueError):
        return True
    except (AttributeError, KeyError):  # a keyword in another draft's form
        return True


def _dialect(root: dict[str, Any]) -> str | None:
    """The draft to check with ("07" or "2020-12"), None when checking may not terminate.

    Terminating means no loop of same-value edges among the schema nodes reachable from root.
    """
    same: dict[int, list[Any]] = {}
    pending: list[Any] = [root]
    stated = str(root.get("$schema", ""))
    draft7 = "draft-07" in stated or "draft-06" in stated
    seen: set[str] = set()  # unevaluatedProperties and patternProperties, when present
    while pending:
        node = pending.pop()
        if id(node) in same or not isinstance(node, dict):
            continue
        if len(same) >= MAX_NODES or any(key in node for key in _UNFOLLOWABLE):
            return None
        refs = node.get("$ref")
        if refs is not None and (not isinstance(refs, str) or not refs.startswith("#")):
            return None
        draft7 = draft7 or isinstance(node.get("items"), list) or "additionalItems" in node
        seen.update(k for k in ("unevaluatedProperties", "patternProperties") if k in node)
        if len(seen) == 2:  # jsonschema would run the client's patterns with `re`
            return None
        same[id(node)] = list(_same_value(node, root))
        pending.extend(same[id(node)])
        pending.extend(_parts(node))
    if _has_loop(same):
        return None
    return "07" if draft7 else "2020-12"


def _same_value(node: dict[str, Any], root: Any) -> Iterator[Any]:
    for key in _SAME_LISTS:
        if isinstance(node.get(key), list):
            yield from node[key]
    for key in _SAME_ONE:
        if key in node:
            yield resolve(root, node[key]) if key == "$ref" else node[key]
    for key in _SAME_MAPS:
        if isinstance(node.get(key), dict):
            yield from node[key].values()


def _parts(node: dict[str, Any]) -> Iterator[Any]:
    for key in _DOWN_ONE:
        value = node.get(key)
        yield from value if isinstance(value, list) else [value]
    for key in (*_DOWN_MAPS, "$defs", "definitions"):
        if isinstance(node.get(key), dict):
            yield from node[key].values()
    if isinstance(node.get("prefixItems"), list):
        yield from node["prefixItems"]


def _has_loop(same: dict[int, list[Any]]) -> bool:
    """A cycle in the same-value graph (iterative depth-first search, three colours)."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for start in same:
        if state.get(start):
            continue
        stack: list[tuple[int, Iterator[Any]]] = [(start, iter(same[start]))]
        state[start] = 1
        while stack:
            node_id, successors = stack[-1]
            nxt = next(successors, _END)
            if nxt is _END:
                state[node_id] = 2
                stack.pop()
                continue
            if not isinstance(nxt, dict) or id(nxt) not in same:
                continue
            if state.get(id(nxt)) == 1:
                return True
            if not state.get(id(nxt)):
                state[id(nxt)] = 1
                stack.append((id(nxt), iter(same[id(nxt)])))
    return False
