"""POST /v1/responses/compact: a conversation compacted into its user messages and one
`compaction` item that stands for everything (mockserver.openai.compaction).

The steps, in order: read the body (within --max-body-bytes) -> check it as a create body
(model, input, instructions, previous_response_id; `conversation` too) -> the history it
compacts (a previous response's chain or a conversation, then the input; earlier compaction
items expanded) -> the model's rules (its context window too) -> the compacted response:
the user messages kept as they were, then the compaction item, usage counted as create does.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from mockserver.appkeys import CONFIG, MODELS
from mockserver.catalog import effects
from mockserver.conversations.items import as_resource
from mockserver.http.body import read_json_object
from mockserver.jsonbytes import dumps
from mockserver.openai import compaction, usage
from mockserver.openai.request import ResponseRequest, parse_request
from mockserver.openai.texts import is_user_message
from mockserver.pipeline.conversations import Continuation, open_continuation
from mockserver.pipeline.middleware import exchange_of, tenant_of
from mockserver.pipeline.store import Tenant

Item = dict[str, Any]


async def compact(request: web.Request) -> web.Response:
    config, ex = request.app[CONFIG], exchange_of(request)
    body = await read_json_object(request, config.max_body_bytes)
    ex.body = body
    req = parse_request({**body, "input": body.get("input") or []}, strict=config.strict)
    opened = open_continuation(tenant_of(request), req, ex)
    # The model's rules, its context window too: what is counted stays bounded.
    effects.model_for(request.app[MODELS], req, opened.counted, config.strict_models)
    now = config.freeze_time if config.freeze_time is not None else time.time()
    compacted = compacted_response(tenant_of(request), req, opened, int(now))
    ex.response_id = compacted["id"]
    return web.Response(body=dumps(compacted), content_type="application/json")


def compacted_response(
    tenant: Tenant, req: ResponseRequest, opened: Continuation, now: int
) -> Item:
    """The CompactResource: user messages, then one compaction item for the whole history."""
    read = usage.input_tokens(req.instructions, opened.counted, req.tools)
    ids = tenant.ids
    kept = [as_resource(i, ids) for i in opened.seen if is_user_message(i)]
    item = compaction.compaction_item(ids.hex_id("cmp"), opened.seen, read)
    written = compaction.summary_size(item["encrypted_content"])
    return {
        "id": ids.hex_id("resp"),
        "object": "response.compaction",
        "created_at": now,
        "output": [*kept, item],
        "usage": usage.usage(read, written, 0, 0, None),
    }
