"""The compaction item: it stands for what it replaced, counts as its summary, and decoding
is bounded."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import pytest

from mockserver.errors import InvalidRequest
from mockserver.openai import compaction, usage


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def test_a_compaction_item_stands_for_the_items_it_replaced() -> None:
    replaced = [user("one"), user("two")]
    item = compaction.compaction_item("cmp_1", replaced, 500)
    assert item["id"] == "cmp_1" and item["type"] == "compaction"
    decoded = compaction.decode(item["encrypted_content"])
    assert list(decoded.items) == replaced and decoded.summary_tokens == 50
    assert compaction.expanded([user("kept"), item, user("three")]) == [*replaced, user("three")]
    assert compaction.last_compaction([user("kept"), item, user("three")]) == 1
    assert compaction.last_compaction([user("kept")]) == -1


def test_the_latest_compaction_wins() -> None:
    first = compaction.compaction_item("cmp_1", [user("a")], 100)
    second = compaction.compaction_item("cmp_2", [user("a"), first, user("b")], 100)
    assert compaction.expanded([first, user("b"), second, user("c")]) == [
        user("a"), first, user("b"), user("c"),
    ]  # fmt: skip


def test_usage_counts_the_summary_not_the_content() -> None:
    long = [user("word " * 2000)]
    item = compaction.compaction_item("cmp_1", long, usage.input_tokens(None, long, []))
    summary = compaction.decode(item["encrypted_content"]).summary_tokens
    assert usage.item_tokens(item) == usage.PER_MESSAGE + summary
    assert usage.input_tokens(None, [item], []) < usage.input_tokens(None, long, []) / 5


@pytest.mark.parametrize(
    "content",
    [
        None,
        "gAAAAAB",
        "mockcmp1.!!!",
        "mockcmp1.12.!!!",
        "mockcmp1.12." + base64.urlsafe_b64encode(b"xx").decode(),
        "mockcmp1.12." + base64.urlsafe_b64encode(zlib.compress(b'{"a": 1}')).decode(),
    ],
)
def test_content_that_is_not_ours_is_a_400(content: Any) -> None:
    with pytest.raises(InvalidRequest) as info:
        compaction.decode(content)
    assert info.value.code == "invalid_encrypted_content"


def test_a_decompression_bomb_stops_at_the_bound() -> None:
    bomb = zlib.compress(b"[" * (compaction.MAX_EXPANDED_BYTES + 1024), 9)
    content = "mockcmp1.40." + base64.urlsafe_b64encode(bomb).decode()
    assert len(content) < 100_000
    with pytest.raises(InvalidRequest):
        compaction.decode(content)
