"""The create pipeline's calls into the model layer, one per MODELS-HOOK.

create handler: `check_turn` (the model's rules) before the plan, `plan_for_model` after it;
render pipeline: `output_for_model` (include[] effects) and `response_model` (Response.model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockserver.catalog.includes import apply_includes, apply_input_includes
from mockserver.catalog.models import Catalogue, CatalogueError, ModelInfo
from mockserver.catalog.reasoning import with_reasoning
from mockserver.catalog.rules import check_request
from mockserver.errors import ServerError
from mockserver.openai import request_parts

if TYPE_CHECKING:
    from mockserver.openai.request import ResponseRequest
    from mockserver.pipeline.turn import Turn

MODELS = web.AppKey("models", Catalogue)


def counted_body(req: ResponseRequest) -> dict[str, Any]:
    """The body with its tools as the create path echoes and counts them (defaults filled)."""
    return {**req.raw, "tools": req.tools}


def check_turn(
    turn: Turn, scenario_models: Sequence[Mapping[str, Any]] = (), strict: bool | None = None
) -> ModelInfo:
    """MODELS-HOOK in create: the model's rules for this request (raises the API's error).

    A scenario's `models:` section extends the catalogue and its `strict_models` setting
    overrides --strict-models, once the scenario engine passes them.
    """
    try:
        catalogue = turn.request.app[MODELS].merged(scenario_models, "scenario models")
    except CatalogueError as exc:  # only what load time could not know: an unknown `extends`
        raise ServerError(f"The scenario's models section cannot be used: {exc}") from None
    strict_models = turn.config.strict_models if strict is None else strict
    return check_request(counted_body(turn.req), turn.conversation, catalogue, strict_models)


def plan_for_model(turn: Turn) -> None:
    """After the plan is chosen: a reasoning model's answer starts with a reasoning item."""
    if turn.plan is not None and isinstance(turn.model_info, ModelInfo):
        turn.plan = with_reasoning(turn.plan, turn.req.raw, turn.model_info, turn.rng)


def output_for_model(turn: Turn, output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """MODELS-HOOK in render: include[] effects on the output items."""
    info = turn.model_info
    with_logprobs = True
    if isinstance(info, ModelInfo):
        with_logprobs = info.samples(info.effort(turn.req.reasoning))
    return apply_includes(
        output,
        turn.req.include,
        turn.rng,
        top_logprobs=turn.req.top_logprobs or 0,
        with_logprobs=with_logprobs,
    )


def response_model(turn: Turn) -> str | None:
    """What Response.model says: the dated snapshot the alias ran (None: the name as sent)."""
    info = turn.model_info
    return info.response_model if isinstance(info, ModelInfo) and info.known else None


def response_effort(turn: Turn) -> str | None:
    """What Response.reasoning.effort says: the request's effort, else a reasoning model's
    default (None: the request's, as sent)."""
    info = turn.model_info
    return info.effort(turn.req.reasoning) if isinstance(info, ModelInfo) else None


def input_items_for(items: list[dict[str, Any]], query: Mapping[str, str]) -> list[dict[str, Any]]:
    """GET input_items: image urls shown only when `include[]` asks (the SDK's spelling)."""
    getall = getattr(query, "getall", None)
    asked = [*getall("include[]", []), *getall("include", [])] if getall else []
    return apply_input_includes(items, request_parts.include(asked))
