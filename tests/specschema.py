"""Validate objects against the official OpenAPI spec (../shared/spec/openai-openapi.yaml).

The spec lives beside the checkout, not in it: an outside user has no copy, so tests that
need it skip with a reason there, and fail when CI=true (CI always has it).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(
    os.environ.get(
        "MOCKSERVER_SPEC",
        Path(__file__).resolve().parents[2] / "shared" / "spec" / "openai-openapi.yaml",
    )
)
_SPEC_URI = "urn:openai-openapi"


def spec_available() -> bool:
    return SPEC_PATH.is_file()


def require_spec() -> None:
    """Skip (or fail on CI) when the official spec is not beside the checkout."""
    if spec_available():
        return
    reason = f"official OpenAPI spec not found at {SPEC_PATH} (set MOCKSERVER_SPEC)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@functools.cache
def _spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as f:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(f, Loader=loader)


@functools.cache
def _validator(schema_name: str) -> jsonschema.protocols.Validator:
    spec = _spec()
    if schema_name not in spec["components"]["schemas"]:
        raise KeyError(f"no schema {schema_name!r} in the spec")
    resource = Resource(contents=spec, specification=DRAFT202012)
    registry: Registry = Registry().with_resource(_SPEC_URI, resource)
    schema = {"$ref": f"{_SPEC_URI}#/components/schemas/{schema_name}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate(obj: Any, schema_name: str) -> None:
    """Assert that obj validates against components.schemas[schema_name]."""
    require_spec()
    errors = sorted(_validator(schema_name).iter_errors(obj), key=lambda e: e.path)
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        path = "/".join(str(p) for p in best.absolute_path)
        raise AssertionError(f"{schema_name} invalid at /{path}: {best.message}")


def spec_schema(schema_name: str) -> dict[str, Any]:
    """The raw schema of one component (for tests that inspect enums or required keys)."""
    require_spec()
    return _spec()["components"]["schemas"][schema_name]
