"""The create-response body, validated at the edge and turned into a typed ResponseRequest.

The checks are one table, request_table.FIELDS, walked once (`CHECKED.run`); errors follow
the real API's messages and codes (invalid_type, decimal_above_max_value,
integer_below_min_value, unknown_parameter, missing_required_parameter, ...).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mockserver.errors import InvalidRequest
from mockserver.openai.request_table import CHECKED, KNOWN_FIELDS, SERVICE_TIERS

__all__ = ["KNOWN_FIELDS", "SERVICE_TIERS", "ResponseRequest", "parse_request"]

log = logging.getLogger("mockserver.request")


@dataclass(frozen=True)
class ResponseRequest:
    raw: dict[str, Any]  # the body as sent (scenario `json` matching reads it)
    model: str
    input_items: list[dict[str, Any]]  # normalised: a string input becomes one user message
    instructions: str | None
    tools: list[dict[str, Any]]
    tool_choice: Any
    temperature: float | None
    top_p: float | None
    max_output_tokens: int | None
    parallel_tool_calls: bool
    reasoning: dict[str, Any] | None
    text: dict[str, Any]
    metadata: dict[str, str]
    store: bool
    stream: bool
    background: bool
    previous_response_id: str | None
    include: list[str]
    top_logprobs: int | None
    include_obfuscation: bool
    unknown_fields: tuple[str, ...]

    def get(self, name: str, default: Any = None) -> Any:
        """A raw body field (for echoing the fields this class does not model)."""
        return self.raw.get(name, default)


def parse_request(body: dict[str, Any], *, strict: bool) -> ResponseRequest:
    """The body checked in one pass (the first failure is the API's 400), as a ResponseRequest.

    Unknown fields are a 400 when strict, else logged and kept in `raw` (and `unknown_fields`).
    """
    keys = tuple(body)
    run = CHECKED.runs.get(keys)  # made for a body with these keys (the common case)
    unknown: tuple[str, ...] = ()
    if run is None:
        unknown = tuple(k for k in keys if k not in KNOWN_FIELDS)
        if not unknown:
            run = CHECKED.run_for(keys)
        elif strict:
            raise InvalidRequest(
                f"Unknown parameter: '{unknown[0]}'.", code="unknown_parameter", param=unknown[0]
            )
        else:
            log.info("accepting unknown body fields %s (use --strict to reject them)", [*unknown])
            run = CHECKED.run
    kept = run(body, "")
    kept["raw"], kept["unknown_fields"] = body, unknown
    # ResponseRequest(**kept), without the frozen __init__'s one setattr per field.
    request = object.__new__(ResponseRequest)
    object.__setattr__(request, "__dict__", kept)
    return request
