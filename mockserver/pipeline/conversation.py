"""The conversation a request continues: earlier inputs and outputs, via previous_response_id."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mockserver.errors import InvalidRequest
from mockserver.openai.request import ResponseRequest
from mockserver.pipeline.store import StoredResponse, Tenant

# Responses a connection keeps besides the tenant's store (the WebSocket mode keeps its
# `store: false` responses, so previous_response_id can continue them on that socket).
Kept = Mapping[str, StoredResponse]
NOTHING_KEPT: Kept = MappingProxyType({})


def previous_response(
    tenant: Tenant, req: ResponseRequest, kept: Kept = NOTHING_KEPT
) -> StoredResponse | None:
    rid = req.previous_response_id
    if rid is None:
        return None
    stored = tenant.responses.get(rid) or kept.get(rid)
    if stored is None:
        raise InvalidRequest(
            f"Previous response with id '{rid}' not found.",
            code="previous_response_not_found",
            param="previous_response_id",
        )
    return stored


def history(
    tenant: Tenant, stored: StoredResponse | None, kept: Kept = NOTHING_KEPT
) -> list[dict[str, Any]]:
    """Inputs and outputs of every earlier turn, oldest first."""
    turns: list[list[dict[str, Any]]] = []
    seen: set[int] = set()
    while stored is not None and id(stored) not in seen:
        seen.add(id(stored))
        response = stored.response()
        turns.append(stored.input_items() + list(response.get("output") or []))
        prev = stored.previous_id
        stored = (tenant.responses.get(prev) or kept.get(prev)) if prev else None
    return [item for turn in reversed(turns) for item in turn]
