"""GET /v1/models, GET /v1/models/{model}, POST /v1/responses/input_tokens, and the model hooks
the create pipeline calls (request checks, reasoning, include[] effects).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from ..appkeys import CONFIG
from ..body import read_json_object
from ..config import Config
from ..conversation import history, previous_response
from ..errors import NotFound
from ..middleware import tenant_of
from ..models import (
    Catalogue,
    ModelInfo,
    apply_includes,
    check_request,
    input_token_count,
    load_catalogue,
    resolve_model,
    with_reasoning,
)
from ..request import ResponseRequest, parse_request
from ..turn import Turn

MODELS = web.AppKey("models", Catalogue)
routes = web.RouteTableDef()


def install(app: web.Application, config: Config) -> None:
    """Load the catalogue (raises CatalogueError for a bad --models file) and add the routes."""
    app[MODELS] = load_catalogue(config.models_file)
    app.add_routes(routes)


@routes.get("/v1/models")
async def list_models(request: web.Request) -> web.Response:
    catalogue = request.app[MODELS]
    return web.json_response({"object": "list", "data": [m.to_api() for m in catalogue.models]})


@routes.get("/v1/models/{model}")
async def retrieve_model(request: web.Request) -> web.Response:
    model_id = request.match_info["model"]
    info = request.app[MODELS].get(model_id)
    if info is None:
        raise NotFound(
            f"The model '{model_id}' does not exist", code="model_not_found", param="model"
        )
    return web.json_response(info.to_api())


@routes.post("/v1/responses/input_tokens")
async def count_input_tokens(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    body = await read_json_object(request, config.max_body_bytes)
    model = body.get("model")
    # The create body's checks apply; model and input are optional here.
    req = parse_request(
        {**body, "model": model or "-", "input": body.get("input") or []}, strict=config.strict
    )
    if model is not None:
        resolve_model(req.model, request.app[MODELS], config.strict_models)
    tenant = tenant_of(request)
    conversation = history(tenant, previous_response(tenant, req)) + req.input_items
    count = input_token_count(_counted_body(req), conversation)
    return web.json_response({"object": "response.input_tokens", "input_tokens": count})


def _counted_body(req: ResponseRequest) -> dict[str, Any]:
    # Tools as the create path echoes and counts them (function tools with defaults filled).
    return {**req.raw, "tools": req.tools}


# ---- hooks of the create pipeline -------------------------------------------------------------


def check_turn(
    turn: Turn, scenario_models: Sequence[Mapping[str, Any]] = (), strict: bool | None = None
) -> ModelInfo:
    """MODELS-HOOK in create: the model's rules for this request (raises the API's error).

    A scenario's `models:` section extends the catalogue and its `strict_models` setting
    overrides --strict-models, once the scenario engine passes them.
    """
    catalogue = turn.request.app[MODELS].merged(scenario_models, "scenario models")
    strict_models = turn.config.strict_models if strict is None else strict
    return check_request(_counted_body(turn.req), turn.conversation, catalogue, strict_models)


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
