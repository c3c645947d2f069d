"""The `compaction` item: an opaque `encrypted_content` that stands for the items it replaced.

The real API's content is an encrypted summary only OpenAI can read. The mock's is the
replaced items themselves, JSON compressed with zlib and base64url-encoded behind a version
tag, after the size the summary "costs" in tokens. Sent back as input (or kept in a
conversation), a compaction item therefore gives the scenario the history it stands for,
while usage counts only the summary, as a compacted context should.

A compaction item replaces everything before it in the list it sits in (the real API
drops those items too): from `last_compaction` on is what the model reads and usage counts,
`expanded` is the history a scenario matches on. Decoding is bounded: the content is checked
for its form and inflated to at most MAX_EXPANDED_BYTES, so a crafted item cannot cost more.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mockserver.errors import InvalidRequest
from mockserver.jsonbytes import dumps

_TAG = "mockcmp1."
MAX_EXPANDED_BYTES = 16 * 1024 * 1024  # what one compaction item may inflate to
# A summary keeps about a tenth of what it replaces, and never less than a short note.
SUMMARY_RATIO = 10
MIN_SUMMARY_TOKENS = 32

Item = dict[str, Any]


@dataclass(frozen=True)
class Compacted:
    """What a compaction item stands for: the items it replaced, and its summary's size."""

    items: tuple[Item, ...]
    summary_tokens: int


def summary_tokens(replaced_tokens: int) -> int:
    """The tokens a summary of `replaced_tokens` costs to read again (and to write)."""
    return max(MIN_SUMMARY_TOKENS, replaced_tokens // SUMMARY_RATIO)


def encode(items: Sequence[Item], tokens: int) -> str:
    """The `encrypted_content` of a compaction item standing for `items`, whose summary
    costs `tokens`: the tag, the count (read without inflating), the items compressed."""
    packed = base64.urlsafe_b64encode(zlib.compress(dumps(list(items)), 6)).decode("ascii")
    return f"{_TAG}{tokens}.{packed}"


def summary_size(content: Any, param: str = "input") -> int:
    """The tokens a compaction item's summary costs (what usage counts), read cheaply."""
    tokens, _packed = _parts(content, param)
    return tokens


def decode(content: Any, param: str = "input") -> Compacted:
    """The items a compaction item's content stands for; the API's 400 for anything else."""
    tokens, packed = _parts(content, param)
    try:
        inflate = zlib.decompressobj()
        raw = inflate.decompress(base64.urlsafe_b64decode(packed), MAX_EXPANDED_BYTES)
        if inflate.unconsumed_tail or not inflate.eof:
            raise _unreadable(param)
        items = json.loads(raw)
    except (binascii.Error, zlib.error, ValueError):
        raise _unreadable(param) from None
    if not isinstance(items, list):
        raise _unreadable(param)
    return Compacted(tuple(i for i in items if isinstance(i, dict)), tokens)


def _parts(content: Any, param: str) -> tuple[int, str]:
    if not isinstance(content, str) or not content.startswith(_TAG):
        raise _unreadable(param)
    count, _, packed = content[len(_TAG) :].partition(".")
    if not count.isdigit() or len(count) > 12 or not packed:
        raise _unreadable(param)
    return int(count), packed


def _unreadable(param: str) -> InvalidRequest:
    return InvalidRequest(
        "The encrypted content of a compaction item could not be verified: send back the "
        "item exactly as /v1/responses/compact or a compacting response returned it.",
        code="invalid_encrypted_content",
        param=param,
    )


def last_compaction(items: Sequence[Item]) -> int:
    """Index of the last compaction item in `items` (-1: none)."""
    for index in range(len(items) - 1, -1, -1):
        if items[index].get("type") == "compaction":
            return index
    return -1


def expanded(items: Sequence[Item]) -> list[Item]:
    """The history a scenario sees: the last compaction item replaced by the items it stands
    for (which include what earlier compactions stood for), then what follows it."""
    last = last_compaction(items)
    if last < 0:
        return list(items)
    return [*decode(items[last].get("encrypted_content")).items, *items[last + 1 :]]


def compaction_item(item_id: str, items: Sequence[Item], tokens: int) -> Item:
    """A compaction output item (as `/responses/compact` and a compacting response write it)."""
    return {
        "id": item_id,
        "type": "compaction",
        "encrypted_content": encode(items, summary_tokens(tokens)),
    }
