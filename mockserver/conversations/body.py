"""The bodies of the conversation endpoints, and the create body's `conversation` and
`context_management`, checked as the API checks them (one Table each, the create body's
Field for `metadata`, the create body's checks for every item)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.conversations.items import checked_items
from mockserver.conversations.store import MAX_ITEMS_PER_ADD
from mockserver.errors import InvalidRequest, invalid_type, missing_parameter, unsupported_value
from mockserver.openai.ids import CONVERSATION_ID_PREFIX
from mockserver.openai.request_fields import Field, Table
from mockserver.openai.request_table import FIELDS

Item = dict[str, Any]
_METADATA = next(f for f in FIELDS if f.name == "metadata")
MIN_COMPACT_THRESHOLD = 1000  # the spec's minimum for context_management[].compact_threshold


def _items(value: list[Any], _body: Mapping[str, Any], param: str) -> list[Item]:
    if len(value) > MAX_ITEMS_PER_ADD:
        raise InvalidRequest(
            f"Invalid '{param}': array too long. Expected an array with maximum length "
            f"{MAX_ITEMS_PER_ADD}, but got an array with length {len(value)} instead.",
            code="array_above_max_length",
            param=param,
        )
    return checked_items(value, param)


_ITEMS = Field("items", ("array",), factory=list, check=_items)
CREATE = Table(_METADATA, _ITEMS)
UPDATE = Table(dataclasses.replace(_METADATA, required=True))
ADD = Table(Field("items", ("array",), required=True, check=_items))


@dataclass(frozen=True)
class NewConversation:
    metadata: dict[str, str]
    items: list[Item]


def create_body(body: Mapping[str, Any]) -> NewConversation:
    kept = CREATE.run(body, "")
    return NewConversation(kept["metadata"], kept["items"])


def update_body(body: Mapping[str, Any]) -> dict[str, str]:
    metadata: dict[str, str] = UPDATE.run(body, "")["metadata"]
    return metadata


def added_items(body: Mapping[str, Any]) -> list[Item]:
    items: list[Item] = ADD.run(body, "")["items"]
    return items


def conversation_id(raw: Any) -> str | None:
    """The create body's `conversation`: an id, or `{"id": ...}`; None when absent."""
    if raw is None:
        return None
    value = raw.get("id") if isinstance(raw, dict) else raw
    if isinstance(raw, dict) and "id" not in raw:
        raise missing_parameter("conversation.id")
    param = "conversation.id" if isinstance(raw, dict) else "conversation"
    if not isinstance(value, str):
        expected = "a string" if isinstance(raw, dict) else "a string or an object"
        raise invalid_type(param, expected, value)
    if not value.startswith(CONVERSATION_ID_PREFIX):
        raise InvalidRequest(
            f"Invalid '{param}': '{value}'. Expected an ID that begins with 'conv'.",
            code="invalid_value",
            param=param,
        )
    return value


def no_previous_response(previous_response_id: str | None) -> None:
    """`conversation` and `previous_response_id` cannot be used together."""
    if previous_response_id is not None:
        raise InvalidRequest(
            "Mutually exclusive parameters: Ensure you are only providing one of: "
            "'previous_response_id' or 'conversation'.",
            code="mutually_exclusive_parameters",
            param="conversation",
        )


def compact_threshold(raw: Any) -> int | None:
    """The token threshold of `context_management` (its compaction entry); None: no
    compaction asked; 0: an entry without a threshold (the model's default applies)."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise invalid_type("context_management", "an array", raw)
    threshold: int | None = None
    for index, entry in enumerate(raw):
        where = f"context_management[{index}]"
        if not isinstance(entry, dict):
            raise invalid_type(where, "an object", entry)
        if "type" not in entry:
            raise missing_parameter(f"{where}.type")
        if entry["type"] != "compaction":
            raise unsupported_value(f"{where}.type", entry["type"], ("compaction",))
        asked = _threshold(entry.get("compact_threshold"), f"{where}.compact_threshold")
        threshold = 0 if asked is None else asked
    return threshold


def _threshold(value: Any, param: str) -> int | None:
    if value is None:
        return None
    if type(value) is not int:
        raise invalid_type(param, "an integer", value)
    if value < MIN_COMPACT_THRESHOLD:
        raise InvalidRequest(
            f"Invalid '{param}': integer below minimum value. Expected a value >= "
            f"{MIN_COMPACT_THRESHOLD}, but got {value} instead.",
            code="integer_below_min_value",
            param=param,
        )
    return value
