"""Server-Sent Events framing of Responses API stream events.

One frame per event: `event: TYPE`, `data: <compact JSON>`, blank line; no `[DONE]`
(the Responses API ends a stream after its terminal event). JSON is compact and keeps
non-ASCII text as UTF-8, as the real API sends it.

`frame` is the one definition. The deltas of a part (openai/event_builder.Deltas) are framed
from a template cut out of `frame` of one delta whose number, text, logprobs and padding are
placeholders, cut at them into constant pieces. A stream's frames (`stream_frames`) are then
ONE `bytes.join` of every frame and of the pieces of every delta (`Frames`: its bytes, and
where each frame ends), done in C: a join per delta and then per batch cost ~1k instructions
a delta more, measured. `delta_frames` makes each delta's frame alone (deltas with logprobs
of their own, and tests).
"""

from __future__ import annotations

import functools
import json
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from itertools import accumulate, islice, repeat
from operator import add
from typing import Any, overload

import orjson

from mockserver.jsonbytes import dumps, dumps_or_refuse
from mockserver.openai.event_builder import Deltas, Part, delta_event

CONTENT_TYPE = "text/event-stream; charset=utf-8"


def frame(event: Mapping[str, Any], *, obfuscation: bool = True) -> bytes:
    """The bytes of one SSE frame; `obfuscation=False` drops the padding field of deltas."""
    if not obfuscation and "obfuscation" in event:
        event = {k: v for k, v in event.items() if k != "obfuscation"}
    name = str(event["type"]).encode()
    return b"event: " + name + b"\ndata: " + dumps(event) + b"\n\n"


def frames(events: Iterable[Mapping[str, Any]], *, obfuscation: bool = True) -> list[bytes]:
    """`frame` of each event; the common case (obfuscation kept) written out: a stream of
    hundreds of deltas is framed here in one pass, each frame one formatting of orjson's
    bytes under its cached `event:` line."""
    if not obfuscation:
        return [frame(e, obfuscation=False) for e in events]
    events = list(events)
    try:
        return [_FRAME % (_event_line(e["type"]), dumps_or_refuse(e)) for e in events]
    except TypeError:  # a value orjson refuses (an integer past 64 bits): jsonbytes decides
        return [frame(e) for e in events]


_FRAME = b"event: %b\ndata: %b\n\n"


@functools.lru_cache(maxsize=256)
def _event_line(event_type: Any) -> bytes:
    return str(event_type).encode()


class Frames(Sequence[bytes]):
    """The frames of one stream, joined once: `data` holds them all, in order. A writer writes
    slices of it (the whole stream at once: `data` itself), a Run keeps it for replay: no
    frame is joined twice, nor kept twice.

    Where frames end is kept per segment, not per frame (a step per frame costs ~250
    instructions even in C): a segment is a frame, or the frames of one part's deltas, and
    its frame k ends `cum[k] + (k + 1) * stride` bytes past its start. For deltas framed from
    a template, `cum` counts the bytes a scripted reply's deltas have in every request (a
    cached tuple) and `stride` those of the piece that differs per request (its item id).
    """

    __slots__ = ("_bases", "_cums", "_firsts", "_strides", "data", "n")

    def __init__(
        self,
        data: bytes,
        firsts: list[int],
        bases: list[int],
        cums: list[Sequence[int]],
        strides: list[int],
    ) -> None:
        """Segment s holds frames firsts[s]... (len(cums[s]) of them), from byte bases[s].
        `n`: how many frames (read as an attribute by the writer and the Run: `len()` is a
        Python call)."""
        self.data = data
        self._firsts, self._bases, self._cums, self._strides = firsts, bases, cums, strides
        self.n = firsts[-1] + len(cums[-1]) if firsts else 0

    @classmethod
    def of(cls, frames: Sequence[bytes]) -> Frames:
        """Frames of any bytes (a WebSocket's frames): one segment, its ends counted."""
        if not frames:
            return cls(b"", [], [], [], [])
        return cls(b"".join(frames), [0], [0], [tuple(accumulate(map(len, frames)))], [0])

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> bytes: ...

    @overload
    def __getitem__(self, i: slice) -> list[bytes]: ...

    def __getitem__(self, i: int | slice) -> bytes | list[bytes]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.n))]
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError("frame index out of range")
        return self.data[self.end(i - 1) : self.end(i)]

    def __iter__(self) -> Iterator[bytes]:
        # Every frame, where each ends worked out in C a segment at a time (an `end` call a
        # frame costs ~2k instructions: a WebSocket stream reads each frame).
        ends = [0]
        for base, cum, stride in zip(self._bases, self._cums, self._strides, strict=True):
            top = base + stride * (len(cum) + 1)
            ends += map(add, cum, range(base + stride, top, stride) if stride else repeat(base))
        return map(self.data.__getitem__, map(slice, ends, islice(ends, 1, None)))

    def end(self, i: int) -> int:
        """Where frame i ends in `data` (for i = -1: 0, where frame 0 starts)."""
        if i < 0:
            return 0
        s = bisect_right(self._firsts, i) - 1
        k = i - self._firsts[s]
        return self._bases[s] + self._cums[s][k] + (k + 1) * self._strides[s]


def stream_frames(parts: Sequence[Part], *, obfuscation: bool = True) -> Frames:
    """`frame` of every event of the parts, in order, joined once; each Deltas from its
    template, as pieces of that one join (no bytes of its own per delta)."""
    framed = iter(frames([p for p in parts if not isinstance(p, Deltas)], obfuscation=obfuscation))
    pieces: list[bytes] = []
    firsts: list[int] = []
    bases: list[int] = []
    cums: list[Sequence[int]] = []
    strides: list[int] = []
    cum: Sequence[int]
    n = at = 0
    for part in parts:
        if not isinstance(part, Deltas):
            one = next(framed)
            pieces.append(one)
            cum, stride = (len(one),), 0
        elif not part.texts:
            continue
        else:
            if not obfuscation and part.pads is not None:
                part = replace(part, pads=None, pad_sizes=None)
            cum, stride = _delta_pieces(part, pieces)
        firsts.append(n)
        bases.append(at)
        cums.append(cum)
        strides.append(stride)
        n += len(cum)
        at += cum[-1] + len(cum) * stride
    return Frames(b"".join(pieces), firsts, bases, cums, strides)


def _delta_pieces(deltas: Deltas, out: list[bytes]) -> tuple[Sequence[int], int]:
    """Append the pieces of the part's frames to `out`; where they end (`cum`, `stride`: see
    Frames). From its template, a delta is four pieces: its head (the piece before its
    number, its number, and the end of the delta before: cached), the piece that differs per
    request, its text with the piece after it (cached), its pad. Interleaved by slice
    assignments, in C. With varied logprobs (or no template), the frames of `delta_frames`."""
    texts, pads, first, n = deltas.texts, deltas.pads, deltas.first, len(deltas.texts)
    varied = deltas.logprobs is not None and not deltas.empty_logprobs and any(deltas.logprobs)
    try:
        pieces = None if varied else _template(deltas, False)
        if pieces is not None:
            sizes = None
            if pads is not None:
                sizes = deltas.pad_sizes if deltas.pad_sizes is not None else tuple(map(len, pads))
            cached = isinstance(texts, tuple) and n <= _CACHED_DELTAS
            layout = _cached_part_layout if cached else _part_layout
            skeleton, cum = layout(pieces[0], pieces[2], pieces[-1], texts, first, sizes)
            at, width = len(out), len(skeleton) // n
            out += skeleton
            out[at + 1 :: width] = [pieces[1]] * n
            if pads is not None:
                out[at + 3 :: 4] = pads
                out.append(pieces[-1])  # the last delta's end (the others' ride on a head)
            return cum, len(pieces[1])
    except TypeError:  # a value orjson refuses (a lone surrogate...): `frame` decides
        pass
    framed = delta_frames(deltas)
    out += framed
    return tuple(accumulate(map(len, framed))), 0


def _part_layout(
    before: bytes,
    after_text: bytes,
    end: bytes,
    texts: Sequence[str],
    first: int,
    pad_sizes: Sequence[int] | None,
) -> tuple[tuple[bytes, ...], tuple[int, ...]]:
    """A part's pieces but those that differ per request, left empty (see `_delta_pieces`:
    head, _, tail[, _] a delta), and where its frames end without the piece that differs per
    request. Padded, a head after the first starts with the end of the delta before (`end`,
    the piece after the pad). Raises TypeError on what orjson refuses."""
    heads = _heads(before, first, len(texts))
    tails = _tails(texts, after_text)
    lengths = map(add, map(len, heads), map(len, tails))
    width = 3
    if pad_sizes is not None:
        lengths = map(add, lengths, map(len(end).__add__, pad_sizes))
        heads, width = (heads[0], *map(end.__add__, heads[1:])), 4
    skeleton = [b""] * (width * len(texts))
    skeleton[::width] = heads
    skeleton[2::width] = tails
    return tuple(skeleton), tuple(accumulate(lengths))


# Placeholders: no real delta has this number, and no JSON string holds a NUL unescaped;
# with how each shows in a frame (the text's hole without its opening quote: a text's column
# is its JSON past that quote, whether or not it needed escapes).
_SEQ, _TEXT, _LOGPROBS, _PAD = 0x7EDC_BA98_7654_3210, "\x00t", "\x00l", "\x00p"
_SEQ_JSON, _TEXT_JSON, _LOGPROBS_JSON, _PAD_JSON = map(dumps, (_SEQ, _TEXT, _LOGPROBS, _PAD))
_ID = "\x00i"  # the item id of a cached template (see `_template`), and how it shows
_ID_JSON = dumps(_ID)
# Sequence numbers as they show in a frame, sliced for a part (made once; bounded).
_NUMBERS = tuple(b"%d" % i for i in range(4096))


def delta_frames(deltas: Deltas) -> list[bytes]:
    """`frame` of each delta of the part, joined from the constant pieces of one template of
    its frame and each delta's own values (one `bytes.join` a delta, in C). The piece before
    the number and the one after the text ride with them (`_heads`, `_tails`: the same for
    every request a scripted reply answers, made once): five pieces a delta, not seven."""
    n, first, pads, logprobs, texts = (
        len(deltas.texts),
        deltas.first,
        deltas.pads,
        deltas.logprobs,
        deltas.texts,
    )
    # Else every delta has `"logprobs":[]`, in the template (what a text without any says).
    varied = logprobs is not None and not deltas.empty_logprobs and any(logprobs)
    try:
        pieces = _template(deltas, varied)
        if pieces is None:
            return [frame(deltas.event(k)) for k in range(n)]
        cached = isinstance(texts, tuple) and n <= _CACHED_DELTAS
        tails = _cached_tails(texts, pieces[2]) if cached else _tails(texts, pieces[2])
        heads = _cached_heads(pieces[0], first, n) if cached else _heads(pieces[0], first, n)
        # The columns with the piece after each, which zip takes in turn.
        interleaved: list[Iterable[bytes]] = [heads, repeat(pieces[1]), tails]
        rest = iter(pieces[3:])
        if varied and logprobs is not None:
            interleaved += (map(dumps_or_refuse, logprobs), repeat(next(rest)))
        if pads is not None:
            interleaved += (pads, repeat(next(rest)))
        return list(map(b"".join, zip(*interleaved, strict=False)))
    except TypeError:  # a value orjson refuses (a lone surrogate...): `frame` decides
        return [frame(deltas.event(k)) for k in range(n)]


def _tails(texts: Sequence[str], after: bytes) -> tuple[bytes, ...]:
    """Each text as it goes into its frame past its opening quote, then `after` (the piece up
    to the next value): its UTF-8 bytes and the closing quote, when JSON escapes nothing in
    any of them (`_plain`), else its JSON. Raises TypeError on what orjson refuses."""
    if _plain(texts):
        after = b'"' + after
        return tuple(map(b"".join, zip(map(str.encode, texts), repeat(after))))
    return tuple(dumps_or_refuse(text)[1:] + after for text in texts)


def _heads(before: bytes, first: int, n: int) -> tuple[bytes, ...]:
    """The frames' beginnings up to and with their sequence numbers, first to first + n."""
    if first + n > len(_NUMBERS):
        return tuple(before + b"%d" % i for i in range(first, first + n))
    return tuple(map(before.__add__, _NUMBERS[first : first + n]))


# A scripted reply's deltas come back with every request it answers, as the same tuple
# (Chunking.cut), under the same numbers. Bounded: 64 parts of at most _CACHED_DELTAS deltas.
_cached_tails = functools.lru_cache(maxsize=64)(_tails)
_cached_heads = functools.lru_cache(maxsize=64)(_heads)
_cached_part_layout = functools.lru_cache(maxsize=64)(_part_layout)
_CACHED_DELTAS = 2048


def _plain(texts: Sequence[str]) -> bool:
    """Whether JSON writes each text as its UTF-8 bytes between quotes (then they go into
    frames as such): true when nothing in them is escaped, as an escape always adds bytes."""
    joined = "".join(texts)
    try:
        return len(dumps_or_refuse(joined)) == len(joined.encode()) + 2
    except (TypeError, UnicodeEncodeError):  # a lone surrogate: orjson refuses it
        return False


def _template(deltas: Deltas, varied: bool) -> list[bytes] | None:
    """The frame of the part's deltas cut at what varies: the constant pieces before, between
    and after the values (sequence_number, delta past its opening quote, logprobs if varied,
    obfuscation); None if the frame does not show each placeholder once, in that order (each
    delta is then framed alone).

    Cut once per shape of part (`_cut_shape`): a stream's parts differ from the last request's
    only by their item id, put in the cached pieces' place of a placeholder id (cutting a
    part's template cost ~22k instructions: a 200-delta stream costs ~21k less, measured)."""
    has_logprobs, pad, where = deltas.logprobs is not None, deltas.pads is not None, deltas.where
    item_id = where.get("item_id")
    if type(item_id) is str:
        shape = tuple({**where, "item_id": _ID}.items())
        try:
            cut = _cut_shape(deltas.type, shape, has_logprobs, pad, varied)
        except TypeError:  # a value not hashable, or one orjson refuses: cut for this part
            cut = None
        if cut is not None:
            pieces, k = cut
            out = list(pieces)
            out[k] = out[k].replace(_ID_JSON, dumps_or_refuse(item_id))
            return out
    return _cut(deltas.type, where, has_logprobs, pad, varied)


@functools.lru_cache(maxsize=64)
def _cut_shape(
    type_: str,
    shape: tuple[tuple[str, Any], ...],
    has_logprobs: bool,
    pad: bool,
    varied: bool,
) -> tuple[tuple[bytes, ...], int] | None:
    """`_cut` of a part whose `where` is `shape` (its item id the placeholder _ID), and the
    index of the one piece that holds the placeholder; None if it shows other than once."""
    pieces = _cut(type_, dict(shape), has_logprobs, pad, varied)
    if pieces is None:
        return None
    holding = [i for i, piece in enumerate(pieces) if _ID_JSON in piece]
    if len(holding) != 1 or pieces[holding[0]].count(_ID_JSON) != 1:
        return None
    return tuple(pieces), holding[0]


def _cut(
    type_: str, where: Mapping[str, Any], has_logprobs: bool, pad: bool, varied: bool
) -> list[bytes] | None:
    """The pieces of `_template`, cut out of the frame of a delta with placeholder values."""
    event = delta_event(
        type_, _SEQ, where, _TEXT, [] if has_logprobs else None, _PAD if pad else None
    )
    holes = [_SEQ_JSON, _TEXT_JSON[1:]]
    if varied:
        event["logprobs"] = _LOGPROBS
        holes.append(_LOGPROBS_JSON)
    if pad:
        holes.append(_PAD_JSON[1:-1])
    data = frames([event])[0]  # (`frame`'s bytes, without a call out to jsonbytes)
    pieces = []
    for hole in holes:
        before, found, data = data.partition(hole)  # (`before` holds no hole: the first one)
        if not found or hole in data:  # missing, twice, or out of order
            return None
        pieces.append(before)
    pieces.append(data)
    return pieces


def parse_frame(data: bytes) -> dict[str, Any]:
    """The event of a frame this module wrote (the JSON after `data: `)."""
    body = data[data.index(b"\ndata: ") + 7 : -2]
    # orjson reads integers past 64 bits as floats, which would not write back the same
    # bytes: a parse that does not is made again by the standard library's parser.
    event: dict[str, Any] = orjson.loads(body)
    if dumps_or_refuse(event) != body:
        event = json.loads(body)
    return event


def unobfuscated(data: bytes) -> bytes:
    """A frame without its `obfuscation` field (the same bytes `frame` writes without it)."""
    if b'"obfuscation":' not in data:
        return data
    return frame(parse_frame(data), obfuscation=False)
