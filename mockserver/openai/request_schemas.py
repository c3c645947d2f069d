"""JSON Schemas in a create body: function tools' `parameters` and `text.format.schema`.

The API checks them against the JSON Schema meta-schema and answers a 400 that says where the
schema is wrong (`Invalid schema for function 'f': In context=('properties', 'a'), 'x' is not
of type 'integer'.`). The mock does the same, so that a malformed schema is the client's clear
error, not something the zero-config generator trips over later.

Checking costs about a millisecond per schema, and clients send the same tools on every turn:
verdicts (the meta-schema's, and strict mode's with `strict: true`) are cached by the
schema's JSON (a microsecond to compute).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from mockserver.errors import InvalidRequest
from mockserver.jsonbytes import dumps
from mockserver.openai.strict_schema import Root, strict_problem

_CACHE_SIZE = 1024
_MAX_MESSAGE = 300
# Draft 2020-12 is what the API documents; draft-07 forms (`items` as a list, `definitions`)
# are still common in generated schemas, so a schema valid under either is accepted. No
# format checker: an ECMA-262 pattern Python cannot compile is not the client's mistake.
_META_2020 = Draft202012Validator(Draft202012Validator.META_SCHEMA)
_META_7 = Draft7Validator(Draft7Validator.META_SCHEMA)
_verdicts: OrderedDict[bytes, str | None] = OrderedDict()


def check_function_parameters(
    params: dict[str, Any], name: str, where: str, *, strict: bool = False
) -> None:
    """tools[i].parameters: a valid JSON Schema, of an object (arguments are a JSON object);
    with `strict: true`, one strict mode can compile (strict_schema.py)."""
    problem = _sentence(schema_problem(params))
    kind = params.get("type", "object")
    if problem is None and kind != "object":
        problem = (
            f"schema must be a JSON Schema of 'type: \"object\"', got 'type: {json.dumps(kind)}'."
        )
    if problem is None and strict:
        problem = strict_schema_problem(params, "function")
    if problem is not None:
        raise InvalidRequest(
            f"Invalid schema for function '{name}': {problem}",
            code="invalid_function_parameters",
            param=f"{where}.parameters",
        )


def check_response_format_schema(
    schema: dict[str, Any], name: str, *, strict: bool = False
) -> None:
    """text.format.schema of a json_schema format (strict mode's rules with `strict: true`)."""
    problem = _sentence(schema_problem(schema))
    if problem is None and strict:
        problem = strict_schema_problem(schema, "response_format")
    if problem is not None:
        raise InvalidRequest(
            f"Invalid schema for response_format '{name}': {problem}",
            code="invalid_json_schema",
            param="text.format.schema",
        )


def _sentence(problem: str | None) -> str | None:
    """A meta-schema problem as the end of a message (jsonschema's have no final period)."""
    return None if problem is None else problem + "."


def schema_problem(schema: dict[str, Any]) -> str | None:
    """What is wrong with schema as a JSON Schema (None: nothing), cached."""
    return _cached(b"meta:", schema, _check)


def strict_schema_problem(schema: dict[str, Any], root: Root) -> str | None:
    """What strict mode refuses in schema (strict_schema.py), cached like schema_problem: a
    client sends the same strict tools every turn, and a large schema walks in milliseconds."""
    return _cached(root.encode() + b":", schema, lambda s: strict_problem(s, root))


def _cached(
    kind: bytes, schema: dict[str, Any], check: Callable[[dict[str, Any]], str | None]
) -> str | None:
    key = kind + _key(schema)
    if key in _verdicts:
        _verdicts.move_to_end(key)
        return _verdicts[key]
    verdict = check(schema)
    _verdicts[key] = verdict
    if len(_verdicts) > _CACHE_SIZE:
        _verdicts.popitem(last=False)
    return verdict


def _key(schema: dict[str, Any]) -> bytes:
    """The schema's JSON, as written (a client sends the same bytes every turn): ~1 us."""
    return dumps(schema)


def _check(schema: dict[str, Any]) -> str | None:
    try:
        error = best_match(_META_2020.iter_errors(schema))
        if error is None or _META_7.is_valid(schema):
            return None
    except RecursionError:  # the body's depth limit keeps this theoretical; never a 500
        return "the schema is nested too deeply"
    return _describe(error)


def _describe(error: ValidationError) -> str:
    path = tuple(error.absolute_path)
    message = error.message  # it quotes the bad value: keep a huge one from filling the answer
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return f"In context={path}, {message}" if path else message
