"""The create-response body as one table: every parameter, in the order the checks run.

Each entry declares the JSON types, bounds, allowed values and nested shape the API checks,
and names a checker (from request_parts.py) where a table cannot say it all. `CHECKED.run(body,
"")` checks a body in one pass and returns the ResponseRequest attributes. Entries with
nothing to check are listed so that `--strict` knows every parameter the API accepts.
To add a parameter: add its Field here, in the place its check should run, and (if the server
keeps it) the attribute to ResponseRequest.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from mockserver.openai import request_parts as parts
from mockserver.openai.request_fields import Field, Table

SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority", "fast", "ultrafast")
# A stored prompt names its model; the mock has no prompt store, so a request that relies on
# the prompt's model (no `model` of its own) runs on this one.
PROMPT_MODEL = "gpt-5.4"
TEXT = Table(
    Field("format", ("object",), null="error", factory=functools.partial(dict, type="text"),
          check=parts.text_format),
    Field("verbosity", enum=parts.VERBOSITIES, null="keep", default="medium"),
)  # fmt: skip
STREAM_OPTIONS = Table(Field("include_obfuscation", ("boolean",), null="error", default=True))


def include_obfuscation(value: Mapping[str, Any], body: Mapping[str, Any], param: str) -> bool:
    """stream_options: its own table's checks; the server keeps only include_obfuscation."""
    return STREAM_OPTIONS.run(value, param + ".")["include_obfuscation"]  # type: ignore[no-any-return]


FIELDS = (
    Field("model", ("string",), required=True, unless=("prompt",), default=PROMPT_MODEL,
          nonblank=True),
    Field("service_tier", enum=SERVICE_TIERS, attr=""),
    parts.INPUT,
    Field("instructions", ("string",)),
    Field("tools", ("array",), factory=list, items=Field("", ("object",), check=parts.tool)),
    Field("tool_choice", ("string", "object"), expected="a string or an object with a type",
          default="auto", check=parts.tool_choice),
    Field("temperature", ("number",), minimum=0, maximum=2),
    Field("top_p", ("number",), minimum=0, maximum=1),
    Field("max_output_tokens", ("integer",), minimum=16),
    Field("parallel_tool_calls", ("boolean",), default=True),
    Field("reasoning", ("object",), shape=Table(Field("effort", enum=parts.REASONING_EFFORTS)),
          keep="copy"),
    Field("text", ("object",), shape=TEXT, keep="shape"),
    Field("metadata", ("object",), factory=dict, max_properties=16, max_key_length=64,
          values=Field("", ("string",), max_length=512)),
    Field("store", ("boolean",), default=True),
    Field("stream", ("boolean",), default=False),
    Field("background", ("boolean",), default=False, check=parts.needs_store),
    Field("previous_response_id", ("string",), check=parts.response_id),
    parts.INCLUDE,
    Field("top_logprobs", ("integer",), minimum=0, maximum=20),
    Field("stream_options", ("object",), default=True, check=include_obfuscation,
          attr="include_obfuscation"),
    # Accepted and echoed as sent (or not modelled): nothing to check, nothing kept.
    *(Field(name, attr="") for name in (
        "access_programs", "background_options", "context_management", "conversation", "image",
        "max_tool_calls", "moderation", "prompt",
        "prompt_cache_key", "prompt_cache_options", "prompt_cache_retention", "safety_identifier",
        "truncation", "user",
    )),
)  # fmt: skip

KNOWN_FIELDS = frozenset(f.name for f in FIELDS)
# What a body's check visits: the entries that check or keep something.
CHECKED = Table(*(f for f in FIELDS if f.attr or f.failures() or f.check))
