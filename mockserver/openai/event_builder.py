"""The builder of a stream's event list: sequence numbers, pacing roles, delta padding."""

from __future__ import annotations

import base64
import enum
import random
from dataclasses import dataclass, field
from typing import Any

from mockserver.openai.chunking import Chunking

Event = dict[str, Any]
Item = dict[str, Any]
_PAD = 16  # real deltas are padded with `obfuscation` to a multiple of 16 characters
_POOL_BYTES = 768  # 1024 base64 characters
_ALNUM_ONLY = str.maketrans("+/", "xQ")  # base64 -> letters and digits, as real padding is


class Role(enum.Enum):
    """What an event is for pacing (set by openai/events.py, read by streaming/schedule.py)."""

    START = "start"  # response.created (and queued): due at once
    DEQUEUE = "dequeue"  # response.in_progress of a background response: after queued_ms
    DELTA = "delta"  # a text/arguments delta: ttft, then interval/tokens/delays
    OTHER = "other"  # rides with its neighbours (see schedule)


_DELTA = Role.DELTA


@dataclass
class EventList:
    """Collects events with their sequence numbers and pacing roles."""

    rng: random.Random
    chunking: Chunking
    obfuscation: bool = True
    reasoning_summary: bool = True
    partial_images: int = 0  # image generation: partial images asked for (the request's tool)
    events: list[Event] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    delta_texts: list[str] = field(default_factory=list)
    _pool: str = ""
    _pos: int = 0
    # (type, where, fields) of the last delta: the next one of the same part copies it.
    _template: tuple[str, dict[str, Any], Event] | None = None

    def emit(self, type_: str, role: Role = Role.OTHER, **fields: Any) -> Event:
        event: Event = {"type": type_, "sequence_number": len(self.events), **fields}
        self.events.append(event)
        self.roles.append(role)
        return event

    def delta(
        self, type_: str, text: str, where: dict[str, Any], logprobs: list[Any] | None = None
    ) -> None:
        """A delta event (`where`: item_id, output_index...), padded by `obfuscation` as in
        real traffic. The hot path of rendering: one per chunk, so built by hand, each a copy
        of the part's first delta with its number and text set (the keys keep their order)."""
        events = self.events
        template = self._template
        if template is None or template[0] != type_ or template[1] is not where:
            fields: Event = {"type": type_, "sequence_number": 0, **where, "delta": ""}
            template = self._template = (type_, where, fields)
        event = template[2].copy()
        event["sequence_number"] = len(events)
        event["delta"] = text
        if logprobs is not None:
            event["logprobs"] = logprobs
        if self.obfuscation:
            size = -len(text) % _PAD
            end = self._pos + size
            if end <= len(self._pool):  # inline: the pool's refill is rare
                self._pos = end
                event["obfuscation"] = self._pool[end - size : end]
            else:
                event["obfuscation"] = self._padding(size)
        events.append(event)
        self.roles.append(_DELTA)
        self.delta_texts.append(text)

    def _padding(self, size: int) -> str:
        """`size` random letters and digits, cut from a seeded pool (one draw per ~1k chars:
        a draw per delta cost more than the rest of rendering it)."""
        if self._pos + size > len(self._pool):
            raw = base64.b64encode(self.rng.randbytes(_POOL_BYTES)).decode()
            self._pool = self._pool[self._pos :] + raw.translate(_ALNUM_ONLY)
            self._pos = 0
        self._pos += size
        return self._pool[self._pos - size : self._pos]

    def text_deltas(self, type_: str, text: str, **where: Any) -> None:
        for chunk in self.chunking.split(text):
            self.delta(type_, chunk, where)

    def added(self, index: int, item: Item) -> None:
        self.emit("response.output_item.added", output_index=index, item=item)

    def done(self, index: int, item: Item) -> None:
        self.emit("response.output_item.done", output_index=index, item=item)
