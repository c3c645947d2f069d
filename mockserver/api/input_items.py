"""Paging of GET /v1/responses/{id}/input_items and /v1/conversations/{id}/items: limit
1..100, order asc|desc, after."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.errors import InvalidRequest, unsupported_value


def page(
    items: list[dict[str, Any]], query: Mapping[str, str], owner: str = "response"
) -> dict[str, Any]:
    limit = _limit(query.get("limit"))
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise unsupported_value("order", order, ("asc", "desc"))
    ordered = items if order == "asc" else list(reversed(items))
    after = query.get("after")
    if after:
        ordered = ordered[_index_of(ordered, after, owner) + 1 :]
    data = ordered[:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(ordered) > limit,
    }


def _limit(raw: str | None) -> int:
    if raw is None:
        return 20
    try:
        limit = int(raw)
    except ValueError:
        raise InvalidRequest(
            f"Invalid 'limit': expected an integer, but got '{raw}' instead.",
            code="invalid_type",
            param="limit",
        ) from None
    if not 1 <= limit <= 100:
        side = "below minimum" if limit < 1 else "above maximum"
        bound = ">= 1" if limit < 1 else "<= 100"
        raise InvalidRequest(
            f"Invalid 'limit': integer {side} value. Expected a value {bound}, "
            f"but got {limit} instead.",
            code=f"integer_{'below_min' if limit < 1 else 'above_max'}_value",
            param="limit",
        )
    return limit


def _index_of(items: list[dict[str, Any]], item_id: str, owner: str) -> int:
    for i, item in enumerate(items):
        if item.get("id") == item_id:
            return i
    raise InvalidRequest(
        f"Invalid 'after': no item with id '{item_id}' in this {owner}.",
        code="invalid_value",
        param="after",
    )
