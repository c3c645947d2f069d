"""What the model changes in a create request and its answer, as plain functions.

    model_for(...)           the model's rules for the request (raises the API's error)
    counted_body(req)        the body as the create path echoes and counts it
    output_with_includes()   include[] effects on the output items (logprobs, encrypted reasoning)
    input_items_with_includes(items, asked)   GET input_items: include[] on input items
The zero-config reasoning item and reasoning tokens are reasoning.with_reasoning.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mockserver.catalog.includes import LOGPROBS, apply_includes_in_place, apply_input_includes
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


def output_with_includes(
    output: list[dict[str, Any]],
    req: ResponseRequest,
    info: ModelInfo,
    effort: str | None,
    rng: random.Random,
) -> list[dict[str, Any]]:
    """include[] effects on the output items (logprobs only where the model samples at
    `effort`, the effort the request runs with: `info.effort(req.reasoning)`).

    The items are changed in place: `output` must be the caller's own, just rendered from a
    Plan (openai/items.py builds every item afresh, a verbatim one as a deep copy), so the
    copy `apply_includes` makes for other callers would be waste on every answer."""
    return apply_includes_in_place(
        output,
        req.include,
        rng,
        top_logprobs=req.top_logprobs or 0,
        with_logprobs=LOGPROBS in req.include and info.samples(effort),
    )


def input_items_with_includes(
    items: list[dict[str, Any]], asked: list[str]
) -> list[dict[str, Any]]:
    """GET input_items: image urls shown only when `include[]` (or `include`) asks."""
    return apply_input_includes(items, request_parts.include(asked))
