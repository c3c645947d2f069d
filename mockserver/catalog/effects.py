"""What the model changes in a create request and its answer, as plain functions.

    model_for(...)           the model's rules for the request (raises the API's error)
    counted_body(req)        the body as the create path echoes and counts it
    input_items_with_includes(items, asked)   GET input_items: include[] on input items
The zero-config reasoning item and reasoning tokens are reasoning.with_reasoning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mockserver.catalog.includes import apply_input_includes
from mockserver.catalog.models import Catalogue, CatalogueError, ModelInfo
from mockserver.catalog.rules import check_request
from mockserver.errors import ServerError
from mockserver.openai import request_parts

if TYPE_CHECKING:
    from mockserver.openai.request import ResponseRequest


def counted_body(req: ResponseRequest) -> dict[str, Any]:
    """The body with its model and tools as the create path uses them (defaults filled: a
    stored prompt's request may leave the model out)."""
    return {**req.raw, "model": req.model, "tools": req.tools}


def model_for(
    catalogue: Catalogue,
    req: ResponseRequest,
    conversation: Sequence[Mapping[str, Any]],
    strict: bool,
    scenario_models: Sequence[Mapping[str, Any]] = (),
) -> ModelInfo:
    """The request's model, checked against its rules (raises the API's error).

    A scenario's `models:` section extends the catalogue (`strict` is then the scenario's
    `strict_models` if it sets one, else --strict-models).
    """
    if scenario_models:
        try:
            catalogue = catalogue.merged(scenario_models, "scenario models")
        except CatalogueError as exc:  # only what load time could not know: an unknown extends
            raise ServerError(f"The scenario's models section cannot be used: {exc}") from None
    return check_request(counted_body(req), conversation, catalogue, strict)


def input_items_with_includes(
    items: list[dict[str, Any]], asked: list[str]
) -> list[dict[str, Any]]:
    """GET input_items: image urls shown only when `include[]` (or `include`) asks."""
    return apply_input_includes(items, request_parts.include(asked))
