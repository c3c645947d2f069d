"""GET /v1/models, GET /v1/models/{model} and POST /v1/responses/input_tokens."""

from __future__ import annotations

from aiohttp import web

from mockserver.appkeys import CONFIG, MODELS
from mockserver.catalog import input_token_count, load_catalogue, resolve_model
from mockserver.catalog.effects import counted_body
from mockserver.config import Config
from mockserver.errors import NotFound
from mockserver.http.body import read_json_object
from mockserver.openai.request import parse_request
from mockserver.pipeline.conversations import counted_input
from mockserver.pipeline.middleware import exchange_of, tenant_of

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
    # The items create would count: a conversation's or the chain's, compactions in place.
    conversation = counted_input(tenant_of(request), req, exchange_of(request))
    count = input_token_count(counted_body(req), conversation)
    return web.json_response({"object": "response.input_tokens", "input_tokens": count})
