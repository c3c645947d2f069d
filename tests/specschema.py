"""Validate objects against the official OpenAPI spec's schemas.

The tests read tests/data/openai-spec-subset.json: the spec's component schemas they name and
everything those reference, extracted by scripts/gen_test_spec.py (documentation keywords
dropped). .ci/run checks that it is in sync with the full spec when that is beside the checkout.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_SUBSET = Path(__file__).resolve().parent / "data" / "openai-spec-subset.json"
_SPEC_URI = "urn:openai-openapi"


@functools.cache
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_SUBSET.read_text(encoding="utf-8"))
    return spec


@functools.cache
def _validator(schema_name: str) -> jsonschema.protocols.Validator:
    spec = _spec()
    if schema_name not in spec["components"]["schemas"]:
        raise KeyError(f"no schema {schema_name!r} in the spec")
    resource = Resource(contents=spec, specification=DRAFT202012)  # type: ignore[call-arg]
    registry: Registry = Registry().with_resource(_SPEC_URI, resource)
    schema = {"$ref": f"{_SPEC_URI}#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate(obj: Any, schema_name: str) -> None:
    """Assert that obj validates against components.schemas[schema_name]."""
    obj = _spec_shaped(obj)
    errors = sorted(_validator(schema_name).iter_errors(obj), key=lambda e: e.path)
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        path = "/".join(str(p) for p in best.absolute_path)
        raise AssertionError(f"{schema_name} invalid at /{path}: {best.message}")


def _spec_shaped(obj: Any) -> Any:
    """obj without the nulls of real traffic the spec does not allow (docs/behaviour.md), in a
    Response and in the Response an event carries: `user: null`, which real bodies always
    carry, and an MCP tool's `server_description: null` (the spec types both as strings)."""
    if not isinstance(obj, dict):
        return obj
    if obj.get("object") == "response":
        obj = _without_nulls(obj, "user")
        if isinstance(obj.get("tools"), list):
            obj = {**obj, "tools": [_without_nulls(t, "server_description") for t in obj["tools"]]}
    if isinstance(obj.get("response"), dict):
        obj = {**obj, "response": _spec_shaped(obj["response"])}
    return obj


def _without_nulls(obj: Any, key: str) -> Any:
    if isinstance(obj, dict) and key in obj and obj[key] is None:
        return {k: v for k, v in obj.items() if k != key}
    return obj


def spec_schema(schema_name: str) -> dict[str, Any]:
    """The raw schema of one component (for tests that inspect enums or required keys)."""
    schema: dict[str, Any] = _spec()["components"]["schemas"][schema_name]
    return schema
