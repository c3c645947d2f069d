"""Flattening a JSON Schema node before drawing a value: `$ref`, `allOf`, `if`/`then`.

A value for `{"allOf": [A, B]}` must satisfy both, so the parts are merged into one schema
(properties joined, the tighter of two bounds, types intersected). A `$ref` is resolved
against the root (JSON pointers, `#`, `$defs` and `definitions`); its sibling keywords apply
too, as in draft 2020-12. What cannot be resolved (remote refs, anchors) accepts anything.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
MAX_MERGES = 16  # chains of $ref, allOf and if stop expanding here


def resolve(root: Any, ref: Any) -> Any:
    """The schema a `$ref` points at ({} when it points nowhere we can follow)."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        return {}
    node: Any = root
    for raw in ref[1:].split("/")[1:] if ref != "#" else ():
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return {}
    return node if isinstance(node, dict | bool) else {}


def flatten(schema: dict[str, Any], root: Any) -> dict[str, Any] | bool:
    """schema with its $ref, allOf and if/then folded in (False: nothing can satisfy it)."""
    merged: dict[str, Any] | bool = schema
    for _ in range(MAX_MERGES):
        if not isinstance(merged, dict):
            return merged
        unfolded = _unfold(merged, root)
        if unfolded is None:
            return merged
        merged = unfolded
    return _without(merged, "$ref", "allOf") if isinstance(merged, dict) else merged


def _unfold(schema: dict[str, Any], root: Any) -> dict[str, Any] | bool | None:
    """One step of flattening (None: nothing left to fold)."""
    if "$ref" in schema:
        return merge(_without(schema, "$ref"), resolve(root, schema["$ref"]))
    if isinstance(schema.get("allOf"), list):
        out: dict[str, Any] | bool = _without(schema, "allOf")
        for part in schema["allOf"]:
            out = merge(out, part)
        return out
    if "if" in schema and "then" in schema:  # satisfy `if`, and then `then` holds
        return merge(merge(_without(schema, "if", "then", "else"), schema["if"]), schema["then"])
    return None


def _without(schema: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in keys}


def merge(base: dict[str, Any] | bool, extra: Any) -> dict[str, Any] | bool:
    """A schema asking for both (booleans: True adds nothing, False makes it impossible)."""
    if base is False or extra is False:
        return False
    if not isinstance(extra, dict):
        return base
    if base is True:
        return dict(extra)
    out = dict(base)
    for key, value in extra.items():
        if key not in out:
            out[key] = value
        else:
            out[key] = _both(key, out[key], value)
    return out


def _both(key: str, mine: Any, theirs: Any) -> Any:
    if key == "properties" and isinstance(mine, dict) and isinstance(theirs, dict):
        joined = dict(mine)
        for name, sub in theirs.items():
            same = name not in joined or joined[name] is sub or joined[name] == sub
            joined[name] = sub if same else {"allOf": [joined[name], sub]}
        return joined
    if key == "required" and isinstance(mine, list) and isinstance(theirs, list):
        return mine + [name for name in theirs if name not in mine]
    if key == "type":
        return _types(mine, theirs)
    if key in _LOWER_BOUNDS and _numbers(mine, theirs):
        return max(mine, theirs)
    if key in _UPPER_BOUNDS and _numbers(mine, theirs):
        return min(mine, theirs)
    if key == "enum" and isinstance(mine, list) and isinstance(theirs, list):
        common = [v for v in mine if v in theirs]
        return common or mine
    if key in ("anyOf", "oneOf") and isinstance(mine, list):
        return mine  # one choice list is kept; the other's branches are usually alike
    if isinstance(mine, dict) and isinstance(theirs, dict | bool):  # items, additionalProperties
        return merge(mine, theirs)
    return theirs


def _types(mine: Any, theirs: Any) -> Any:
    a = mine if isinstance(mine, list) else [mine]
    b = theirs if isinstance(theirs, list) else [theirs]
    both = [t for t in a if t in b]
    if ("integer" in a and "number" in b) or ("number" in a and "integer" in b):
        both += [] if "integer" in both else ["integer"]  # integers are numbers
    if not both:
        return mine  # no value has both types: keep one, the result is checked anyway
    return both if len(both) != 1 else both[0]


def _numbers(a: Any, b: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
