"""The request tables made into code, once at import: one function per Field and per Table.

A Field's compiled check runs only the steps it declares, in the API's order (type, bounds,
enum, length, property count, shape, items, map values, checker, copy); a Table's `run` reads
each field once, keeps a plainly good value inline and calls the field's check otherwise.
The generated source is built from the table definitions only, never from a request; it is
kept on `Table.source` for reading. This is what makes one declarative pass as fast as the
hand-written checks it replaced (see tests/unit/openai/test_request_fields.py).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mockserver.errors import InvalidRequest, invalid_type, missing_parameter, unsupported_value

if TYPE_CHECKING:
    from mockserver.openai.request_fields import Field, Table

# What a checker gets: the value (its types already checked), the object holding it, its param.
Checker = Callable[[Any, Mapping[str, Any], str], Any]
Run = Callable[[Mapping[str, Any], str], dict[str, Any]]
# The API's messages for the failures the engine words itself, by error code (a pattern's
# failure is the API's `invalid_value`, worded as below).
MESSAGES = {
    "string_does_not_match_pattern": "Invalid '{param}': string does not match pattern. "
    "Expected a string that matches the pattern '{bound}'.",
    "decimal_below_min_value": "Invalid '{param}': decimal below minimum value. "
    "Expected a value >= {bound}, but got {value} instead.",
    "decimal_above_max_value": "Invalid '{param}': decimal above maximum value. "
    "Expected a value <= {bound}, but got {value} instead.",
    "integer_below_min_value": "Invalid '{param}': integer below minimum value. "
    "Expected a value >= {bound}, but got {value} instead.",
    "integer_above_max_value": "Invalid '{param}': integer above maximum value. "
    "Expected a value <= {bound}, but got {value} instead.",
    "empty_string": "Invalid '{param}': empty string. Expected a string with minimum length "
    "{bound}.",
    "string_above_max_length": "Invalid '{param}': string too long. Expected a string with "
    "maximum length {bound}, but got a string with length {value} instead.",
    "object_above_max_properties": "Invalid '{param}': too many properties. Expected an object "
    "with at most {bound} properties, but got an object with {value} properties instead.",
}


def compile_table(fields: tuple[Field, ...], sent: frozenset[str] | None = None) -> tuple[str, Run]:
    """The source and the function that check an object's fields in order; with `sent`, the
    same checks specialised to an object holding exactly those keys (Table.run_for)."""
    source, env = _generate(fields, sent)
    exec(source, env)
    run: Run = env["run"]
    return source, run


def _generate(fields: tuple[Field, ...], sent: frozenset[str] | None) -> tuple[str, dict[str, Any]]:
    """The general run reads every field (`get`); a run for `sent` reads only those keys,
    and starts the kept values from a copy of the constant defaults of the others."""
    env: dict[str, Any] = {"_missing": _missing, "EMPTY": {}}
    lines = ["def run(obj, where):", "    get = obj.get"]
    constants: dict[str, Any] = {}  # with `sent`: attr -> a default no statement sets
    for i, f in enumerate(fields):
        shape_run = f.shape.run if f.shape is not None else None
        env.update({f"F{i}": f, f"D{i}": f.default, f"T{i}": f.py_types, f"E{i}": f.enum,
                    f"S{i}": shape_run, f"K{i}": f.compiled, f"P{i}": f.pattern})  # fmt: skip
        present = None if sent is None else f.name in sent
        if present is False:
            value = _absent(f, i, env, present)
            if value != f"D{i}":
                lines.append(f"    k{i} = {value}")
            elif f.attr:
                constants[f.attr] = f.default
            continue
        read = f"get({f.name!r})" if present is None else f"obj[{f.name!r}]"
        lines += [
            f"    v = {read}",
            "    if v is None:",
            f"        k{i} = {_absent(f, i, env, present)}",
        ]
        test = accepts(f, i)
        if test:
            kept = "float(v)" if f.bound_word == "decimal" else "v"
            lines += [f"    elif {test}:", f"        k{i} = {kept}"]
        lines += ["    else:", f"        k{i} = K{i}(v, obj, where + {f.name!r})"]
    if sent is None:
        kept = ", ".join(f"{f.attr!r}: k{i}" for i, f in enumerate(fields) if f.attr)
        lines.append(f"    return {{{kept}}}")
    else:  # the attributes in table order: the constants copied, the rest set
        env["KEPT"] = {f.attr: constants.get(f.attr) for f in fields if f.attr}
        lines.append("    kept = KEPT.copy()")
        lines += [f"    kept[{f.attr!r}] = k{i}" for i, f in enumerate(fields)
                  if f.attr and f.attr not in constants]  # fmt: skip
        lines.append("    return kept")
    if sent is not None and not any("get(" in line for line in lines[2:]):
        del lines[1]  # no field reads a sibling that may be absent
    return "\n".join(lines) + "\n", env


def _absent(f: Field, i: int, env: dict[str, Any], present: bool | None = None) -> str:
    """The expression for a field not sent (or null): its default, null, or the API's error.
    `present`: whether the object holds the key (None: not known until run time)."""
    name = repr(f.name)
    if f.shape is not None and f.keep == "shape":
        # The shape's own defaults: what its run keeps of an empty object, made inline.
        value = _defaults(f.shape, i, env) or f"S{i}(EMPTY, where + {f.name + '.'!r})"
    else:
        value = f"D{i}" if f.factory is None else _made(f.factory, str(i), env)
    if f.required:
        unless = " or ".join(f"get({n!r}) is not None" for n in f.unless)
        missing = f"_missing(where + {name})"
        value = f"({value} if {unless} else {missing})" if unless else missing
    if present is False or f.null == "absent":
        return value
    if f.null == "keep":
        return "None" if present else f"(None if {name} in obj else {value})"
    error = f"K{i}(None, obj, where + {name})"
    return error if present else f"({error} if {name} in obj else {value})"


def _made(factory: Callable[[], Any], key: str, env: dict[str, Any]) -> str:
    """An expression making a fresh `factory()`: its display when that is a plain JSON list
    or object (no call made), else a call of the factory."""
    value = factory()
    if type(value) in (list, dict):
        try:
            if ast.literal_eval(repr(value)) == value:
                return repr(value)
        except (ValueError, SyntaxError):
            pass
    env[f"M{key}"] = factory
    return f"M{key}()"


def _defaults(shape: Table, i: int | str, env: dict[str, Any]) -> str:
    """A dict display of what `shape.run(EMPTY, ...)` keeps (each field's default, a fresh
    one from its factory, a nested shape's own defaults); "" when an empty object is an
    error there (a required field)."""
    kept = []
    for j, f in enumerate(shape.fields):
        key = f"{i}_{j}"
        if f.required:
            return ""
        if f.shape is not None and f.keep == "shape":
            value = _defaults(f.shape, key, env)
            if not value:
                return ""
        elif f.factory is not None:
            value = _made(f.factory, key, env)
        else:
            value, env[f"D{key}"] = f"D{key}", f.default
        if f.attr:
            kept.append(f"{f.attr!r}: {value}")
    return "{" + ", ".join(kept) + "}"


def _missing(param: str) -> None:
    raise missing_parameter(param)


def accepts(f: Field, i: int) -> str:
    """An inline test true only of values check_value keeps unchanged; "" when there is none."""
    if f.shape or f.items or f.values or f.check or f.keep != "value":
        return ""
    tests = [f"type(v) in T{i}"] if f.types else []
    if f.minimum is not None:
        tests.append(f"v >= {f.minimum!r}")
    if f.maximum is not None:
        tests.append(f"v <= {f.maximum!r}")
    if f.enum:
        tests.append(f"v in E{i}")
    if f.nonblank:
        tests.append("not v.isspace() and v != ''")
    if f.max_length is not None:
        tests.append(f"len(v) <= {f.max_length!r}")
    if f.pattern is not None:
        tests.append(f"type(v) is str and P{i}.match(v) is not None")
    return " and ".join(tests) or "True"


def compile_field(f: Field) -> Checker:
    """The field's checks, in the API's order, as one function with only the steps it declares."""
    env = {"F": f, "T": f.py_types, "E": f.enum, "P": f.pattern, "C": f.check,
           "S": f.shape.run if f.shape else None, "I": f.items.compiled if f.items else None,
           "V": f.values.compiled if f.values else None, "invalid_type": invalid_type,
           "unsupported_value": unsupported_value, "bound": _bound, "blank": _blank,
           "pattern": _pattern}  # fmt: skip
    exec("\n".join(["def check(v, obj, param):", *_steps(f)]), env)
    return env["check"]  # type: ignore[return-value]


def _steps(f: Field) -> list[str]:
    word, low, high = f.bound_word, f.minimum, f.maximum
    steps = [
        (f.types, "type(v) not in T", "invalid_type(param, F.expected, v)"),
        (low is not None, f"v < {low!r}", f"bound('{word}_below_min_value', param, {low!r}, v)"),
        (high is not None, f"v > {high!r}", f"bound('{word}_above_max_value', param, {high!r}, v)"),
        (f.enum, "v not in E", "unsupported_value(param, v, E)"),
        (f.nonblank, "v.isspace() or v == ''", "blank(param)"),
        (f.max_length is not None, f"len(v) > {f.max_length!r}",
         f"bound('string_above_max_length', param, {f.max_length!r}, len(v))"),
        (f.pattern is not None, "type(v) is not str or P.match(v) is None",
         "pattern(param, P.pattern)"),
        (f.max_properties is not None, f"len(v) > {f.max_properties!r}",
         f"bound('object_above_max_properties', param, {f.max_properties!r}, len(v))"),
    ]  # fmt: skip
    lines = [f"    if {test}:\n        raise {error}" for on, test, error in steps if on]
    if f.shape is not None:
        lines.append("    v = S(v, param + '.')" if f.keep == "shape" else "    S(v, param + '.')")
    if f.items is not None:
        lines.append("    v = [I(x, v, f'{param}[{j}]') for j, x in enumerate(v)]")
    if f.values is not None:
        lines += ["    kept = {}", "    for key, x in v.items():"]
        if f.max_key_length is not None:
            lines += [f"        if len(key) > {f.max_key_length!r}:",
                      f"            raise bound('string_above_max_length', param, "
                      f"{f.max_key_length!r}, len(key))"]  # fmt: skip
        lines += ["        kept[key] = V(x, v, param + '.' + key)", "    v = kept"]
    if f.check is not None:
        lines.append("    v = C(v, obj, param)")
    if f.keep == "copy":
        lines.append("    v = type(v)(v)")
    lines.append("    return float(v)" if word == "decimal" else "    return v")
    return lines


def _pattern(param: str, pattern: str) -> InvalidRequest:
    message = MESSAGES["string_does_not_match_pattern"].format(param=param, bound=pattern)
    return InvalidRequest(message, code="invalid_value", param=param)


def _blank(param: str) -> InvalidRequest:
    message = MESSAGES["empty_string"].format(param=param, bound=1)
    return InvalidRequest(message, code="empty_string", param=param)


def _bound(code: str, param: str, bound: float, value: object) -> InvalidRequest:
    shown = int(bound) if float(bound).is_integer() else bound
    message = MESSAGES[code].format(param=param, bound=shown, value=value)
    return InvalidRequest(message, code=code, param=param)
