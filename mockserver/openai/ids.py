"""Ids shaped like the real API's: a prefix and hex (`resp_`, `msg_`, `fc_`, `rs_`...) or `call_`.

Each tenant draws ids from its own seeded random source, so with a seed the same requests
give the same ids; without one they are random per process.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterable, Mapping
from typing import Any

_HEX_BYTES = 25  # real ids: prefix + 48..50 hex characters (here 50)
_CALL_ALPHABET = string.ascii_letters + string.digits


class IdFactory:
    __slots__ = ("_bits", "_rng")

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._bits = rng.getrandbits

    def hex_id(self, prefix: str) -> str:
        """`prefix_` + 50 hex characters (resp, msg, fc, rs, ws, fs, ci, mcp, ...): 200 random
        bits as `f"{bits:050x}"` writes them, at a third less of the cost."""
        return f"{prefix}_{self._bits(_HEX_BYTES * 8).to_bytes(_HEX_BYTES).hex()}"

    def hex_ids(
        self, prefixes: Iterable[str], items: Iterable[Mapping[str, Any]] = ()
    ) -> list[str]:
        """`hex_id` of each prefix, then `item_id` of each item's type, drawn in order: the
        ids one call each would give."""
        bits, drawn = self._bits, []
        for prefix in prefixes:  # loops: a comprehension costs more in CPython 3.11
            drawn.append(f"{prefix}_{bits(_HEX_BYTES * 8).to_bytes(_HEX_BYTES).hex()}")
        for item in items:
            # item_id_prefix read inline: a call costs ~0.5k an id.
            prefix = ITEM_ID_PREFIXES.get(str(item.get("type")), "item")
            drawn.append(f"{prefix}_{bits(_HEX_BYTES * 8).to_bytes(_HEX_BYTES).hex()}")
        return drawn

    def item_id(self, kind: str) -> str:
        """The id of an item of type `kind` (`item_...` for a type without a known prefix)."""
        return self.hex_id(ITEM_ID_PREFIXES.get(kind, "item"))  # item_id_prefix, inline

    def call_id(self) -> str:
        """`call_` + 24 alphanumerics, as function call ids look in real traffic."""
        return "call_" + "".join(self._rng.choices(_CALL_ALPHABET, k=24))

    def request_id(self) -> str:
        return f"req_{self._rng.getrandbits(128):032x}"


RESPONSE_ID_PREFIX = "resp_"
CONVERSATION_ID_PREFIX = "conv_"

# Id prefixes of items by type, as the real API writes them.
ITEM_ID_PREFIXES = {
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
    "reasoning": "rs",
    "web_search_call": "ws",
    "file_search_call": "fs",
    "code_interpreter_call": "ci",
    "image_generation_call": "ig",
    "mcp_call": "mcp",
    "mcp_list_tools": "mcpl",
    "mcp_approval_request": "mcpr",
    "computer_call": "cu",
    "local_shell_call": "lsh",
    "shell_call": "sh",
    "custom_tool_call": "ctc",
    "apply_patch_call": "apc",
    # Real ids of the newer items (the spec's examples and recorded traffic).
    "compaction": "cmp",
    "tool_search_call": "tsc",
    "tool_search_output": "tso",
    "program": "cm",
    "program_output": "cmo",
}


def item_id_prefix(kind: str, unknown: str) -> str:
    """The id prefix of an item of type `kind` (`unknown` for a type without a known one)."""
    return ITEM_ID_PREFIXES.get(kind, unknown)


def looks_like_response_id(value: str) -> bool:
    return value.startswith(RESPONSE_ID_PREFIX) and len(value) > len(RESPONSE_ID_PREFIX)
