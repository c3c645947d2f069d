"""What the matcher and the templates see of one request, computed only when first read.

The core hands over the raw body, the whole conversation (earlier turns followed through
previous_response_id, then this request's input, as normalized item dicts), the headers and
the tenant's call number for the scenario. Building a MatchContext stores those and nothing
else; each derived field (the latest user text, the tool outputs, the lowercased
instructions...) is computed the first time a `when` key or a template reads it, then kept
for the rest of the request. A rule that reads nothing costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar, overload

from mockserver.openai.texts import is_user_message, last_user_index, latest_user_text, message_text
from mockserver.openai.tools import offered_tools, tool_names

T = TypeVar("T")


class lazy(Generic[T]):
    """A field computed on first read and stored on the instance (then a plain attribute).

    functools.cached_property does the same behind a lock on Python 3.11 (~1 us a read);
    a request is read by one thread only."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> lazy[T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> lazy[T] | T:
        if obj is None:
            return self
        value = self.compute(obj)
        obj.__dict__[self.name] = value
        return value


@dataclass(frozen=True)
class ConversationFacts:
    """The conversation (Conversations API) a request runs in, as the `when` keys read it."""

    id: str | None = None  # None: the request names no conversation
    metadata: Mapping[str, str] = field(default_factory=dict)
    items: int = 0  # items the conversation held before this request
    compacted: bool = False  # the history holds a compaction item (it stands for earlier ones)


NO_CONVERSATION = ConversationFacts()


@dataclass(frozen=True)
class ToolOutput:
    name: str | None  # None: no function_call with this call_id in the conversation
    call_id: str
    value: Any  # parsed JSON when the output is JSON text, else the text


class MatchContext:
    """One request as the `when` keys and templates read it; every derived field is lazy."""

    def __init__(
        self,
        body: Mapping[str, Any],
        conversation: Sequence[Mapping[str, Any]],
        headers: Mapping[str, str],
        call: int,
        seed: int = 0,
        facts: ConversationFacts = NO_CONVERSATION,
    ) -> None:
        self.body = body
        self.facts = facts  # the conversation it runs in (conversation_* and compacted keys)
        # A snapshot of the list (pointers only): the caller may append to it afterwards.
        self._items = conversation if isinstance(conversation, tuple) else tuple(conversation)
        self._headers = headers  # read-only for the request's life
        self.call = call
        self.seed = seed  # for `probability`: draws depend on seed, rule and call only

    @lazy
    def conversation(self) -> tuple[Mapping[str, Any], ...]:
        return tuple([i for i in self._items if isinstance(i, Mapping)])

    @lazy
    def headers(self) -> Mapping[str, str]:
        """Lowercased names."""
        return MappingProxyType({k.lower(): v for k, v in self._headers.items()})

    @lazy
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @lazy
    def stream(self) -> bool:
        return self.body.get("stream") is True

    @lazy
    def instructions(self) -> str:
        instructions = self.body.get("instructions")
        return instructions if isinstance(instructions, str) else ""

    @lazy
    def instructions_lower(self) -> str:
        return self.instructions.lower()

    @lazy
    def _last_user(self) -> int:
        """Index of the latest user message in the conversation (-1: none)."""
        return last_user_index(self.conversation)

    @lazy
    def latest_user_text(self) -> str:
        return latest_user_text(self._items)

    @lazy
    def input_lower(self) -> str:
        """Lowercased once per request, not once per rule (case-insensitive `*_contains`);
        read from the items in one call, not through the lazy fields above."""
        return latest_user_text(self._items).lower()

    @lazy
    def turn(self) -> int:
        """User messages in the conversation."""
        return sum(1 for i in self.conversation if is_user_message(i))

    @lazy
    def tool_names(self) -> frozenset[str]:
        """Every tool offered (namespaced, additional_tools items): openai/tools.py."""
        return tool_names(offered_tools(self.body.get("tools"), self.conversation))

    @lazy
    def metadata(self) -> Mapping[str, str]:
        metadata = self.body.get("metadata")
        return MappingProxyType(dict(metadata) if isinstance(metadata, Mapping) else {})

    @lazy
    def _outputs(self) -> list[tuple[int, ToolOutput]]:
        return _tool_outputs(self.conversation)

    @lazy
    def recent_outputs(self) -> tuple[ToolOutput, ...]:
        """Tool outputs after the latest user message: this agent step's results."""
        last = self._last_user
        return tuple(o for index, o in self._outputs if index > last)

    @lazy
    def outputs_by_tool(self) -> Mapping[str, Any]:
        """The latest output of each tool anywhere in the conversation (for templates)."""
        return MappingProxyType({o.name: o.value for _, o in self._outputs if o.name is not None})


def build_context(
    body: Mapping[str, Any],
    conversation: Sequence[Mapping[str, Any]],
    headers: Mapping[str, str],
    call: int,
    seed: int = 0,
    facts: ConversationFacts = NO_CONVERSATION,
) -> MatchContext:
    """The request's context; nothing is derived until read."""
    return MatchContext(body, conversation, headers, call, seed, facts)


def _tool_outputs(items: tuple[Mapping[str, Any], ...]) -> list[tuple[int, ToolOutput]]:
    """function_call_output items, joined to their function_call by call_id for the name."""
    names = {
        i.get("call_id"): i.get("name")
        for i in items
        if i.get("type") in {"function_call", "custom_tool_call"}
    }
    found = []
    for index, item in enumerate(items):
        if item.get("type") not in {"function_call_output", "custom_tool_call_output"}:
            continue
        call_id = str(item.get("call_id", ""))
        name = names.get(call_id)
        output = ToolOutput(name if isinstance(name, str) else None, call_id, _parsed(item))
        found.append((index, output))
    return found


def _parsed(item: Mapping[str, Any]) -> Any:
    raw = item.get("output")
    text = raw if isinstance(raw, str) else message_text({"content": raw})
    try:
        return json.loads(text)
    except ValueError:
        return text
