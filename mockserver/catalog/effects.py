"""What the model changes in a create request and its answer, as plain functions.

    model_for(...)           the model's rules for the request (raises the API's error)
    counted_body(req)        the body as the create path echoes and counts it
    input_items_with_includes(items, asked)   GET input_items: include[] on input items
The first two live in rules.py, beside the rules they run (create.check_model calls them
there: one module, not two).
The zero-config reasoning item and reasoning tokens are reasoning.with_reasoning.
"""

from __future__ import annotations

from typing import Any

from mockserver.catalog.includes import apply_input_includes
from mockserver.catalog.rules import counted_body, model_for
from mockserver.openai import request_parts

__all__ = ["counted_body", "input_items_with_includes", "model_for"]


def input_items_with_includes(
    items: list[dict[str, Any]], asked: list[str]
) -> list[dict[str, Any]]:
    """GET input_items: image urls shown only when `include[]` (or `include`) asks."""
    return apply_input_includes(items, request_parts.include(asked))
