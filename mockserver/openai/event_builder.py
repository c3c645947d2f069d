"""The builder of a stream's events: sequence numbers, pacing roles, delta padding.

Events other than deltas are dicts. The deltas of one part (a text, a refusal, arguments)
are kept together as one `Deltas`: events that differ only in their number, text, padding
(and output_text's logprobs), so that a framer can write them all from one template
(http/sse.py) and a stream of hundreds of deltas builds no dict per delta. `delta_event`
is the one definition of a delta event; `Deltas.event` and every template derive from it.

The events of the common items, messages and function calls, are emitted here too, so that
the usual stream is built in one module (the other item kinds: event_items.py's registry).
Each emitter writes, in the real API's order: output_item.added, the item's progress and
delta events, and output_item.done with the final item unchanged.
"""

from __future__ import annotations

import base64
import enum
import functools
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from struct import calcsize, unpack_from
from typing import Any, TypeAlias

from mockserver.openai.chunking import Chunking

Event = dict[str, Any]
Item = dict[str, Any]
_PAD = 16  # real deltas are padded with `obfuscation` to a multiple of 16 characters
# The pool's characters are those of draws of _POOL_BYTES (1024 base64 characters), taken in
# steps of _GROUP_BYTES (_GROUP_CHARS characters): both whole 32-bit words and whole base64
# groups, so any sequence of steps gives the same characters as the draws.
_POOL_BYTES = 768
_GROUP_BYTES, _GROUP_CHARS = 12, 16


class Role(enum.Enum):
    """What an event is for pacing (set by openai/events.py, read by streaming/schedule.py)."""

    START = "start"  # response.created (and queued): due at once
    DEQUEUE = "dequeue"  # response.in_progress of a background response: after queued_ms
    DELTA = "delta"  # a text/arguments delta: ttft, then interval/tokens/delays
    OTHER = "other"  # rides with its neighbours (see schedule)

    # Members are singletons compared by identity: hashed by it too, in C (Enum's own hash
    # is a Python call, and the schedule looks up every event's role).
    __hash__ = object.__hash__


_DELTA = Role.DELTA
# The struct field of a pad of each size (`Ns`: N bytes as one bytes).
_PAD_FIELDS = tuple(f"{n}s" for n in range(_PAD))


def delta_event(
    type_: str,
    sequence_number: int,
    where: Mapping[str, Any],
    text: str,
    logprobs: list[Any] | None = None,
    obfuscation: str | None = None,
) -> Event:
    """A delta event (`where`: item_id, output_index...), padded by `obfuscation` as in real
    traffic: the keys in the API's order."""
    event: Event = {"type": type_, "sequence_number": sequence_number, **where, "delta": text}
    if logprobs is not None:
        event["logprobs"] = logprobs
    if obfuscation is not None:
        event["obfuscation"] = obfuscation
    return event


# Not frozen: a frozen dataclass sets each field through object.__setattr__, ~8k
# instructions a part of every stream; a Deltas is only read once built (see EventStream).
@dataclass(slots=True)
class Deltas:
    """The consecutive delta events of one part, numbered from `first`.

    logprobs: per delta (output_text deltas carry the key, [] when none); None: no key.
    pads: per delta, the `obfuscation` padding (ASCII letters and digits); None: unpadded.
    pad_sizes: the length of each pad, when its emitter has them at hand (the same tuple for
        the same texts: a framer caches where the frames end by it); None: read from `pads`.
    empty_logprobs: every delta's logprobs are [] (its emitter knows: a text without
        logprobs); a framer then writes them once for all, without a look at each.
    """

    type: str
    where: Mapping[str, Any]
    first: int
    texts: Sequence[str]
    logprobs: Sequence[list[Any]] | None = None
    pads: Sequence[bytes] | None = None
    empty_logprobs: bool = False
    pad_sizes: Sequence[int] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def event(self, k: int) -> Event:
        """The k-th delta as an event."""
        logprobs, pads = self.logprobs, self.pads
        return delta_event(
            self.type,
            self.first + k,
            self.where,
            self.texts[k],
            None if logprobs is None else list(logprobs[k]),
            None if pads is None else pads[k].decode(),
        )


Part: TypeAlias = Event | Deltas  # one event, or a run of deltas


def flatten(parts: Sequence[Part]) -> list[Event]:
    """Every event of the parts, in order (the deltas made into dicts)."""
    return [e for part in parts for e in _events_of(part)]


def _events_of(part: Part) -> Iterator[Event]:
    if isinstance(part, Deltas):
        yield from map(part.event, range(len(part)))
    else:
        yield part


def others(parts: Sequence[Part]) -> list[tuple[int, Event]]:
    """(index, event) of the events that are not in a Deltas (all of them, for a list of
    dicts): the few that carry a response, an item or an error."""
    out, i = [], 0
    for part in parts:
        if isinstance(part, Deltas):
            i += len(part.texts)
        else:
            out.append((i, part))
            i += 1
    return out


def _alnum(b64: bytes) -> bytes:
    """Base64 made letters and digits, as real padding is (+ -> x, / -> Q): two replaces,
    found by memchr, cost a fraction of a translate's step per byte."""
    return b64.replace(b"+", b"x").replace(b"/", b"Q")


def _layout(texts: Sequence[str]) -> tuple[str, int, tuple[int, ...]]:
    """The struct format that cuts the pads of these texts out of a pool, its size, and the
    size of each pad."""
    sizes = tuple(-len(t) % _PAD for t in texts)
    layout = "".join(map(_PAD_FIELDS.__getitem__, sizes))
    return layout, calcsize(layout), sizes


# The same texts come back with every request a scripted reply answers (Chunking.cut gives
# the same tuple for a short text). Bounded: 64 parts of at most _CACHED_DELTAS deltas.
_pad_layout = functools.lru_cache(maxsize=64)(_layout)
_CACHED_DELTAS = 2048


@dataclass
class EventList:
    """Collects events with their sequence numbers and pacing roles."""

    rng: random.Random
    chunking: Chunking
    obfuscation: bool = True
    reasoning_summary: bool = True
    partial_images: int = 0  # image generation: partial images asked for (the request's tool)
    parts: list[Part] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    delta_texts: list[str] = field(default_factory=list)
    count: int = 0  # events so far: the next sequence number
    _pool: bytes = b""
    _pos: int = 0
    _drawn: int = 0  # bytes drawn for the pool so far

    def emit(self, type_: str, fields: Mapping[str, Any], role: Role = Role.OTHER) -> Event:
        """The next event: its type and number, then `fields` in order. (A mapping, not
        keyword arguments: a call with keywords builds two more dicts, ~5k instructions.)"""
        event: Event = {"type": type_, "sequence_number": self.count, **fields}
        self.parts.append(event)
        self.roles.append(role)
        self.count += 1
        return event

    def deltas(
        self,
        type_: str,
        texts: Sequence[str],
        where: Mapping[str, Any],
        logprobs: Sequence[list[Any]] | None = None,
        empty_logprobs: bool = False,
    ) -> None:
        """One delta event per text (`where`: item_id, output_index...); `empty_logprobs`:
        each of `logprobs` is [] (see Deltas)."""
        n = len(texts)
        if not n:
            return
        pads, sizes = self._pads(texts) if self.obfuscation else (None, None)
        self.parts.append(
            Deltas(type_, where, self.count, texts, logprobs, pads, empty_logprobs, sizes)
        )
        self.count += n
        self.roles.extend([_DELTA] * n)
        self.delta_texts.extend(texts)

    def _pads(self, texts: Sequence[str]) -> tuple[tuple[bytes, ...], tuple[int, ...]]:
        """Each text's padding to a multiple of 16 characters: random letters and digits, cut
        in order from a seeded pool (what a part lacks is drawn at once when the pool runs
        short: a draw per delta cost more than the rest of rendering it). All of a part's pads
        are cut in one `struct` unpacking, its format one `Ns` field per text. With their
        sizes (for the same texts, the same tuple: see Deltas.pad_sizes)."""
        cached = isinstance(texts, tuple) and len(texts) <= _CACHED_DELTAS
        layout, size, sizes = _pad_layout(texts) if cached else _layout(texts)
        pool, pos = self._pool, self._pos
        end = pos + size
        if end > len(pool):
            pool, end, pos = pool[pos:], end - pos, 0
            # Only the steps it lacks, as one draw: the rest of a whole _POOL_BYTES draw may
            # never be needed (drawing and encoding it cost ~40 instructions a byte); `settle`
            # moves the generator past it at the end.
            steps = -(-(end - len(pool)) // _GROUP_CHARS)
            pool += _alnum(base64.b64encode(self.rng.randbytes(_GROUP_BYTES * steps)))
            self._pool = pool
            self._drawn += _GROUP_BYTES * steps
        self._pos = end
        return unpack_from(layout, pool, pos), sizes

    def settle(self) -> None:
        """Move the generator past the rest of the last _POOL_BYTES draw the pool began, unseen:
        it ends where whole draws leave it, so what the stream draws next (its pacing's
        jitter) is what it was when the pool was drawn a whole draw at a time."""
        rest = -self._drawn % _POOL_BYTES
        if rest:
            self.rng.getrandbits(8 * rest)
            self._drawn += rest

    def text_deltas(self, type_: str, text: str, **where: Any) -> None:
        self.deltas(type_, self.chunking.cut(text), where)

    def added(self, index: int, item: Item) -> None:
        self.emit("response.output_item.added", {"output_index": index, "item": item})

    def done(self, index: int, item: Item) -> None:
        self.emit("response.output_item.done", {"output_index": index, "item": item})


# --- the common items: messages and function calls (the other kinds: event_items.py) -----


def started_item(item: Item, **empty: Any) -> Item:
    """The item as output_item.added shows it: in progress, its payload still empty."""
    start = {**item, **empty}
    if "status" in item:
        start["status"] = "in_progress"
    return start


def item_id_of(item: Item) -> str:
    return str(item.get("id") or item.get("call_id") or "")


# --- message -------------------------------------------------------------------------


def _delta_logprob(lp: dict[str, Any]) -> dict[str, Any]:
    top = [{"token": t["token"], "logprob": t["logprob"]} for t in lp.get("top_logprobs", [])]
    return {"token": lp["token"], "logprob": lp["logprob"], "top_logprobs": top}


def spread_logprobs(logprobs: Sequence[dict[str, Any]], chunks: Sequence[str]) -> list[list[Any]]:
    """Per chunk, the logprobs of the tokens that end inside it."""
    groups: list[list[Any]] = [[] for _ in chunks]
    if not chunks:
        return groups
    ends, total = [], 0
    for chunk in chunks:
        total += len(chunk)
        ends.append(total)
    k, pos = 0, 0
    for lp in logprobs:
        pos += len(lp["token"])
        while k < len(chunks) - 1 and pos > ends[k]:
            k += 1
        groups[k].append(_delta_logprob(lp))
    return groups


def _annotation_end(annotation: dict[str, Any]) -> int:
    end = annotation.get("end_index", annotation.get("index"))
    return int(end) if isinstance(end, int) else 1 << 62


def _output_text(b: EventList, where: dict[str, Any], part: dict[str, Any]) -> None:
    text: str = part.get("text", "")
    chunks = b.chunking.cut(text)
    logprobs = part.get("logprobs") or []
    groups = spread_logprobs(logprobs, chunks) if logprobs else [[]] * len(chunks)
    annotations = list(enumerate(part.get("annotations") or []))
    kind, start = "response.output_text.delta", 0
    if annotations:
        # Real traffic announces an annotation right after the delta that completes its span.
        for k, sent in enumerate(accumulate(map(len, chunks)), 1):
            if _annotation_end(annotations[0][1]) <= sent:
                b.deltas(kind, chunks[start:k], where, groups[start:k], not logprobs)
                start = k
                while annotations and _annotation_end(annotations[0][1]) <= sent:
                    _annotation(b, where, *annotations.pop(0))
                if not annotations:
                    break
    b.deltas(kind, chunks[start:], where, groups[start:], not logprobs)
    for index, annotation in annotations:
        _annotation(b, where, index, annotation)
    done_logprobs = [_delta_logprob(lp) for lp in logprobs] if logprobs else []
    b.emit("response.output_text.done", {**where, "text": text, "logprobs": done_logprobs})


def _annotation(b: EventList, where: dict[str, Any], index: int, annotation: Any) -> None:
    b.emit(
        "response.output_text.annotation.added",
        {**where, "annotation_index": index, "annotation": annotation},
    )


def _refusal(b: EventList, where: dict[str, Any], part: dict[str, Any]) -> None:
    refusal: str = part.get("refusal", "")
    b.text_deltas("response.refusal.delta", refusal, **where)
    b.emit("response.refusal.done", {**where, "refusal": refusal})


_EMPTY_PARTS: dict[str, dict[str, Any]] = {
    "output_text": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
    "refusal": {"type": "refusal", "refusal": ""},
    "reasoning_text": {"type": "reasoning_text", "text": ""},
}


def content_part(b: EventList, index: int, item_id: str, ci: int, part: dict[str, Any]) -> None:
    where: dict[str, Any] = {"item_id": item_id, "output_index": index, "content_index": ci}
    kind = part.get("type", "")
    b.emit("response.content_part.added", {**where, "part": _EMPTY_PARTS.get(kind, part)})
    if kind == "output_text":
        _output_text(b, where, part)
    elif kind == "refusal":
        _refusal(b, where, part)
    elif kind == "reasoning_text":
        b.text_deltas("response.reasoning_text.delta", part.get("text", ""), **where)
        b.emit("response.reasoning_text.done", {**where, "text": part.get("text", "")})
    b.emit("response.content_part.done", {**where, "part": part})


def emit_message(b: EventList, index: int, item: Item) -> None:
    start, item_id = started_item(item, content=[]), item_id_of(item)
    b.added(index, start)
    for ci, part in enumerate(item.get("content") or []):
        content_part(b, index, item_id, ci, part)
    b.done(index, item)


# --- function calls --------------------------------------------------------------------


def emit_function_call(b: EventList, index: int, item: Item) -> None:
    where: dict[str, Any] = {"item_id": item_id_of(item), "output_index": index}
    arguments: str = item.get("arguments", "")
    b.added(index, started_item(item, arguments=""))
    chunks = b.chunking.cut_arguments(arguments)  # token-sized, as real traffic
    b.deltas("response.function_call_arguments.delta", chunks, where)
    # Real traffic has been seen without `name` here; the spec and the SDK require it.
    b.emit(
        "response.function_call_arguments.done",
        {
            "item_id": where["item_id"],
            "name": item.get("name", ""),
            "output_index": index,
            "arguments": arguments,
        },
    )
    b.done(index, item)
