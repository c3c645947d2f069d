"""How the create body's checks are declared: a `Field` per parameter, a `Table` of them.

A Field declares what the API checks of one value: its JSON types, bounds, allowed values,
string length, property count, the shape of a nested object, what each array item or map value
must be, and last, for what a table cannot say, a dedicated checker function. A Table walks an
object's fields in order in one pass and returns the values kept, by attribute name; the first
failure raises the API's error (messages in request_compile.MESSAGES and errors.py).
The tables themselves are in request_table.py (and, for nested parts, request_parts.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mockserver.errors import API_TYPE_WORDS
from mockserver.openai.request_compile import Checker, Run, compile_field, compile_table

# What null means for a field: absent (its default applies), kept as null, or a type error.
Null = Literal["absent", "keep", "error"]
# What a Table keeps of an object or array: the value as sent, a copy, or the shape's results.
Keep = Literal["value", "copy", "shape"]

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "null": (type(None),),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "array": (list,),
    "object": (dict,),
}


@dataclass(frozen=True, slots=True)
class Field:
    """One parameter: what the API accepts for it and what the server keeps of it."""

    name: str
    types: tuple[str, ...] = ()  # JSON types allowed, in the order the API names them; () any
    expected: str = ""  # the invalid_type wording, when it is not the types' words
    required: bool = False
    unless: tuple[str, ...] = ()  # ...unless one of these sibling fields is set
    default: Any = None  # an immutable default; `factory` makes a fresh mutable one
    factory: Callable[[], Any] | None = None
    null: Null = "absent"
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] = ()
    max_length: int | None = None  # of a string
    nonblank: bool = False  # a string must hold more than spaces (the API's empty_string)
    pattern: re.Pattern[str] | None = None  # a string must match (any other type fails it)
    max_properties: int | None = None  # of an object
    max_key_length: int | None = None  # of an object's keys
    shape: Table | None = None  # an object's own fields
    items: Field | None = None  # what each array item must be
    values: Field | None = None  # what each value of a map must be
    check: Checker | None = None  # last, for what the table cannot say; returns the kept value
    keep: Keep = "value"
    attr: str | None = None  # the ResponseRequest attribute; "" keeps nothing; None: name
    py_types: frozenset[type] = field(init=False, default=frozenset())
    bound_word: str = field(init=False, default="")  # "decimal" (kept as a float) or "integer"
    # The field's checks as one function made from the declaration above (see _compile).
    compiled: Checker = field(init=False, default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.nonblank and self.types != ("string",):
            raise ValueError(f"{self.name}: nonblank applies to a string field")
        kinds = frozenset(t for name in self.types for t in _PY_TYPES[name])
        object.__setattr__(self, "py_types", kinds)
        object.__setattr__(self, "bound_word", "decimal" if "number" in self.types else "integer")
        if not self.expected and self.types:
            words = " or ".join(API_TYPE_WORDS[t] for t in self.types)
            object.__setattr__(self, "expected", words)
        if self.attr is None:
            object.__setattr__(self, "attr", self.name)
        object.__setattr__(self, "compiled", compile_field(self))

    def failures(self) -> tuple[str, ...]:
        """The error codes this field can raise by itself (its checker may raise others)."""
        generic = (("missing_required_parameter", self.required), ("invalid_type", self.types),
                 ("invalid_value", self.enum))  # fmt: skip
        codes = [code for code, on in generic if on]
        if self.minimum is not None:
            codes.append(f"{self.bound_word}_below_min_value")
        if self.maximum is not None:
            codes.append(f"{self.bound_word}_above_max_value")
        if self.nonblank:
            codes.append("empty_string")
        if self.max_length is not None or self.max_key_length is not None:
            codes.append("string_above_max_length")
        if self.max_properties is not None:
            codes.append("object_above_max_properties")
        if self.pattern is not None:
            codes.append("string_does_not_match_pattern")
        return tuple(codes)


class Table:
    """Fields in the order their checks run; `run(obj, where)` checks an object in one pass.

    `run` is made once from the fields by request_compile.py: each field's value is accepted
    inline when plainly good, else handed to the field's own compiled check (which words every
    error). tests/unit/openai/test_request_table.py checks that the two agree on every field.
    `run_for(keys)` is the same walk made for objects holding exactly `keys`: it reads only
    those, the other fields being their defaults (made once per set of keys, at most
    MAX_SHAPES of them; `runs` keeps them by keys, in the object's order); the same test
    file checks it against `run` on random bodies.
    """

    __slots__ = ("fields", "run", "runs", "source")
    MAX_SHAPES = 256

    def __init__(self, *fields: Field) -> None:
        self.fields = fields
        self.source, self.run = compile_table(fields)
        self.runs: dict[tuple[str, ...], Run] = {}

    def run_for(self, keys: tuple[str, ...]) -> Run:
        """The run for objects with these keys (in this order), the general one past
        MAX_SHAPES sets of keys. The caller names only keys it accepts (a bounded set)."""
        run = self.runs.get(keys)
        if run is None:
            if len(self.runs) >= self.MAX_SHAPES:
                return self.run
            run = self.runs[keys] = compile_table(self.fields, frozenset(keys))[1]
        return run


def check_value(f: Field, value: Any, obj: Mapping[str, Any], param: str) -> Any:
    """One present value against its field; what the server keeps of it."""
    return f.compiled(value, obj, param)
