"""What "the model" decided to do for one request, before ids, timestamps and usage exist.

Both the scenario engine and the zero-config generator produce a Plan; pipeline/render.py
turns it into a spec Response, openai/events.py into the event sequence. Keeping the
decision separate from the rendering is what makes a streamed answer and a JSON answer equal.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import MISSING, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:  # annotations only: these packages import this module
    from mockserver.faults.error_catalog import ErrorSpec
    from mockserver.faults.spec import FaultSpec
    from mockserver.streaming.schedule import Pacing


def model_json(value: Any) -> str:
    """JSON text as models write it in arguments and structured output: compact, no spaces
    after `:` and `,` (real traffic: `{"city":"Paris"}`), non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_Made = TypeVar("_Made")


def _made(cls: type[_Made], fields: dict[str, Any]) -> _Made:
    """An instance of the frozen dataclass cls with these fields (every init field, in order:
    `_init_fields`), as its constructor would make it. That constructor sets each field with
    a call of object.__setattr__ (a Plan's: ~20k instructions, several times a plain
    class's); this copies them all at once into the instance's own __dict__ (read, not set:
    setting it costs a call of object.__setattr__ more): for what is made per request."""
    made = object.__new__(cls)
    made.__dict__.update(fields)
    return made


def _init_fields(cls: type) -> dict[str, Any]:
    """The init fields of dataclass cls, in order, each with its default (None for one
    without: the caller sets it): what its constructor sets unless told, to be copied into
    an instance's __dict__ (`_made`: one C call, not a line a field). A field
    that is not an init field is read from the class; none may have a default_factory (a
    copied default would be shared)."""
    fields = [f for f in dataclasses.fields(cls) if f.init]
    assert all(f.default_factory is MISSING for f in fields), "a default_factory is not copied"
    return {f.name: None if f.default is MISSING else f.default for f in fields}


@dataclass(frozen=True)
class MessagePlan:
    """An assistant message: output_text (with annotations) or, if refusal, a refusal part."""

    text: str
    annotations: tuple[dict[str, Any], ...] = ()
    refusal: bool = False
    # Per-token logprobs, when the request includes message.output_text.logprobs.
    logprobs: tuple[dict[str, Any], ...] | None = None


@dataclass(frozen=True)
class FunctionCallPlan:
    name: str
    arguments: str  # raw JSON text, possibly deliberately malformed
    call_id: str | None = None  # None: generated (call_...)
    namespace: str | None = None  # the namespace tool the function sits in, if any


@dataclass(frozen=True)
class ReasoningPlan:
    summary: tuple[str, ...] = ()
    content: tuple[str, ...] = ()  # reasoning_text parts
    encrypted_content: str | None = None


@dataclass(frozen=True)
class VerbatimPlan:
    """Any spec output item, as written (ids are filled in if missing)."""

    item: dict[str, Any]


_MESSAGE_FIELDS = _init_fields(MessagePlan)


ItemPlan = MessagePlan | FunctionCallPlan | ReasoningPlan | VerbatimPlan

Status = Literal["completed", "incomplete", "failed"]


@dataclass(frozen=True, slots=True)
class Rendering:
    """What rendering a plan gives whatever the request asks, worked out by pipeline/render.py
    when it renders a scenario's plan a second time (a static rule's plan answers every
    request the rule matches), from a render of its own."""

    # The prefix of each hex id a render draws (the response's, then one per item) when that
    # is all it draws, so that `IdFactory.hex_ids` draws them in one call; None: an item
    # draws otherwise (a function call, a verbatim item).
    id_prefixes: tuple[str, ...] | None
    output_tokens: int  # usage.output_tokens of its output, while the output budget cuts none
    include_free: bool  # a request that includes nothing changes nothing of its output


@dataclass(frozen=True)
class Plan:
    items: tuple[ItemPlan, ...]
    status: Status = "completed"
    incomplete_reason: str | None = None  # max_output_tokens | content_filter
    # For status "failed": the Response.error {code, message}.
    response_error: dict[str, str] | None = None
    # Overrides merged over the counted usage (e.g. {"input_tokens": 1000}).
    usage: dict[str, Any] | None = None
    latency_ms: float = 0.0
    # WebSocket mode: when a steered response yields (mockserver/websocket/steering.py).
    steering: Literal["item", "end", "refuse"] = "item"
    stream: Pacing | None = None  # the rule's pacing (None: the default pacing)
    fault: tuple[FaultSpec, ...] = ()  # the rule's faults, in order
    error: ErrorSpec | None = None  # an HTTP error to answer instead of a response
    # Tokens a reasoning model spent before answering (usage adds them); None: not counted.
    reasoning_tokens: int | None = None
    scenario: str | None = None
    rule: str | None = None
    # Set once by pipeline/render.py on a scenario's plan (not an init field: a plan made
    # from this one by dataclasses.replace starts without it).
    rendering: Rendering | None = field(default=None, init=False, compare=False, repr=False)

    @classmethod
    def of(cls, items: tuple[ItemPlan, ...]) -> Plan:
        """`Plan(items)`, made at a fraction of its cost (`_made`): a generated tool call's."""
        made = _made(cls, _PLAN_FIELDS)
        made.__dict__["items"] = items
        return made

    @classmethod
    def of_message(cls, text: str) -> Plan:
        """`Plan((MessagePlan(text),))`, made as `_made` makes each (its lines written out
        here: two calls of it cost ~2k instructions of ~7k): a generated answer's plan."""
        item = object.__new__(MessagePlan)
        message = item.__dict__
        message.update(_MESSAGE_FIELDS)
        message["text"] = text
        made = object.__new__(cls)
        fields = made.__dict__
        fields.update(_PLAN_FIELDS)
        fields["items"] = (item,)
        return made


_PLAN_FIELDS = _init_fields(Plan)
