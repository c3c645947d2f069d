"""HTTP handlers of /v1/responses: create, retrieve, delete, cancel, input_items, endpoint info.

Create runs the pipeline of the design: body -> request -> conversation -> model checks ->
limits and faults -> plan -> rendered Response -> store -> JSON (or stream/background).
Each step that another subsystem owns is one call at a marked hook.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from mockserver import __version__
from mockserver.api import input_items as input_items_api
from mockserver.appkeys import CONFIG, STORE, WARMUP
from mockserver.catalog import hooks as model_hooks
from mockserver.errors import InvalidRequest, NotFound
from mockserver.faults import hooks as faults
from mockserver.http.body import read_json_object
from mockserver.http.exchange import exchange_of
from mockserver.http.middleware import tenant_of
from mockserver.jsonbytes import dumps
from mockserver.openai.ids import item_id_prefix
from mockserver.openai.request import parse_request
from mockserver.pipeline.conversation import history, previous_response
from mockserver.pipeline.render import render_turn
from mockserver.pipeline.store import StoredResponse
from mockserver.pipeline.turn import Turn
from mockserver.scenario import hooks as scenario_hooks
from mockserver.streaming import answer as streaming
from mockserver.zeroconfig import generate

routes = web.RouteTableDef()
JSON = "application/json"


@routes.post("/v1/responses")
async def create_response(request: web.Request) -> web.StreamResponse:
    turn = await _begin_turn(request)
    # MODELS-HOOK: per-model request checks (mockserver.catalog), before anything is counted.
    turn.model_info = model_hooks.check_turn(turn, *scenario_hooks.model_settings(turn))
    # FAULTS-HOOK: rate limits and server-wide chaos (mockserver.faults).
    if (dropped := await faults.before_plan(turn)) is not None:
        return dropped
    turn.plan = faults.replayed_plan(turn) or _choose_plan(turn)
    model_hooks.plan_for_model(turn)  # reasoning models answer with a reasoning item first
    turn.exchange.scenario, turn.exchange.rule = turn.plan.scenario, turn.plan.rule
    # FAULTS-HOOK: a scripted HTTP error or transport fault (plan.error / plan.fault).
    if (dropped := await faults.after_plan(turn)) is not None:
        return dropped
    if turn.plan.latency_ms:
        await asyncio.sleep(turn.plan.latency_ms / 1000)
    turn.response = render_turn(turn, now=_now(turn))
    _store(turn)
    # STREAM-HOOK: streamed and background answers (mockserver.streaming.answer).
    if turn.req.stream or turn.req.background:
        return await streaming.answer(turn)
    body = turn.stored.body if turn.stored else dumps(turn.response)
    return await faults.json_answer(turn, body)  # FAULTS-HOOK: a body fault, if scripted


async def _begin_turn(request: web.Request) -> Turn:
    config = request.app[CONFIG]
    ex = exchange_of(request)
    body = await read_json_object(request, config.max_body_bytes)
    warmup = request.app.get(WARMUP)
    if warmup is not None and not warmup.done():
        await warmup  # only requests in the first second after startup ever wait here
    ex.body = body
    ex.headers = _redacted_headers(request)
    ex.stream = body.get("stream") is True
    req = parse_request(body, strict=config.strict)
    tenant = tenant_of(request)
    _refuse_conversation(req.raw.get("conversation"))
    earlier = history(tenant, previous_response(tenant, req))
    return Turn(
        request=request,
        config=config,
        tenant=tenant,
        req=req,
        conversation=earlier + req.input_items,
        history_len=len(earlier),
        exchange=ex,
        rng=generate.content_rng(config.seed, tenant.rng, body),
    )


def _refuse_conversation(conversation: Any) -> None:
    """The Conversations API is not emulated: no conversation exists, as the API would say.
    Answering as if the conversation were empty would hide that the test is not realistic."""
    if conversation is None:
        return
    conv_id = conversation.get("id") if isinstance(conversation, dict) else conversation
    raise NotFound(
        f"Conversation with id '{conv_id}' not found. (mockserver does not emulate the "
        "Conversations API: use previous_response_id to chain turns.)",
        code="conversation_not_found",
        param="conversation",
    )


def _redacted_headers(request: web.Request) -> dict[str, str]:
    headers = {}
    for k, v in request.headers.items():
        name = k.lower()
        headers[name] = "<redacted>" if name in _SECRET_HEADERS else v
    return headers


_SECRET_HEADERS = frozenset({"authorization", "api-key"})


def _choose_plan(turn: Turn) -> Any:
    # SCENARIO-HOOK: header X-Mock-Scenario, tenant binding, --default-scenario, else generate.
    return scenario_hooks.plan_for_turn(turn, lambda: generate.plan_for(turn.req, turn.rng))


def _now(turn: Turn) -> float:
    return turn.config.freeze_time if turn.config.freeze_time is not None else time.time()


def _store(turn: Turn) -> None:
    assert turn.response is not None
    if not turn.req.store:
        return
    ids = turn.tenant.ids
    items = [
        _input_resource(i, ids.hex_id(item_id_prefix(str(i.get("type")), "item")))
        for i in turn.req.input_items
    ]
    stored = StoredResponse(turn.tenant, turn.response, items, turn.req.previous_response_id)
    turn.request.app[STORE].put(turn.tenant, turn.response["id"], stored)
    turn.stored = stored
    turn.exchange.response_id = turn.response["id"]


def _input_resource(item: dict[str, Any], item_id: str) -> dict[str, Any]:
    """An input item as input_items lists it: with an id, and a status on messages."""
    resource = {"id": item_id, **item}
    if item.get("type") == "message":
        resource.setdefault("status", "completed")
    return resource


@routes.get("/v1/responses")
async def endpoint_info(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "object": "mockserver.endpoint",
            "name": "mockserver",
            "version": __version__,
            "api": "OpenAI Responses API (spec v2.3.0)",
            "endpoints": [f"{r.method} {r.path}" for r in routes if isinstance(r, web.RouteDef)],
        }
    )


@routes.get("/v1/responses/{response_id}")
async def retrieve_response(request: web.Request) -> web.StreamResponse:
    stored = find_response(request)
    # STREAM-HOOK: GET ?stream=true replays a background response's events (resume).
    if streaming.wants_stream(request.query):
        return await streaming.replay(request, stored)
    return web.Response(body=stored.body, content_type=JSON)


@routes.delete("/v1/responses/{response_id}")
async def delete_response(request: web.Request) -> web.Response:
    stored = find_response(request)
    rid = request.match_info["response_id"]
    # STREAM-HOOK: deleting a running background response stops it.
    streaming.stop(stored)
    request.app[STORE].delete(stored.tenant, rid)
    return web.json_response({"id": rid, "object": "response", "deleted": True})


@routes.post("/v1/responses/{response_id}/cancel")
async def cancel_response(request: web.Request) -> web.StreamResponse:
    stored = find_response(request)
    # STREAM-HOOK: cancelling a queued or running background response.
    if not stored.background:
        raise InvalidRequest(
            "Only responses created with background=true can be cancelled.",
            code="invalid_request",
            param=None,
        )
    return web.Response(body=streaming.cancel(stored), content_type=JSON)


@routes.get("/v1/responses/{response_id}/input_items")
async def list_input_items(request: web.Request) -> web.Response:
    stored = find_response(request)
    items = model_hooks.input_items_for(stored.input_items(), request.query)  # include[]
    return web.json_response(input_items_api.page(items, request.query))


def find_response(request: web.Request) -> StoredResponse:
    rid = request.match_info["response_id"]
    if not rid.startswith("resp_"):
        raise InvalidRequest(
            f"Invalid 'response_id': '{rid}'. Expected an ID that begins with 'resp'.",
            code="invalid_response_id",
            param="response_id",
        )
    stored = tenant_of(request).responses.get(rid)
    if stored is None:
        raise NotFound(
            f"Response with id '{rid}' not found.", code="response_not_found", param="response_id"
        )
    exchange_of(request).response_id = rid
    return stored
