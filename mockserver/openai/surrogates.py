"""Lone surrogates: JSON escapes (`"\\ud800"`) that decode to a str no UTF-8 encoder accepts.

Python's JSON decoder lets them through, but nothing downstream can: a stored body, an echoed
field, the seeded random stream and every SSE frame are UTF-8. So a body that carries one is
refused at the edge, naming where it is, instead of failing later as a 500.
"""

from __future__ import annotations

import re
from typing import Any

from mockserver.errors import InvalidRequest

# A \uD800-\uDFFF escape in the raw text: without one (the common case, decided by one
# regex scan at C speed) no decoded string holds a lone surrogate. Escaped pairs (how
# json.dumps writes an emoji by default) match too; the walk below then finds nothing, since
# the decoder joins pairs.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def check_no_lone_surrogates(value: Any) -> None:
    """Raise the API-shaped 400 if the decoded body holds a lone surrogate (called when
    SURROGATE_ESCAPE finds an escape in its text)."""
    found = _find(value, "")
    if found is None:
        return
    path, char = found
    where = f"'{path}'" if path else "the request body"
    raise InvalidRequest(
        f"Invalid {where}: the string contains a lone surrogate (U+{ord(char):04X}), which is "
        "not valid Unicode. Send surrogate pairs, or the character itself.",
        code="invalid_encoding",
        param=path or None,
    )


def _find(value: Any, path: str) -> tuple[str, str] | None:
    """The dotted path of the first string (value or key) with a lone surrogate, and it."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if (char := _lone(node)) is not None:
                return where, char
        elif isinstance(node, dict):
            for key, item in reversed(node.items()):
                if (char := _lone(key)) is not None:
                    return where, char
                stack.append((item, f"{where}.{key}" if where else key))
        elif isinstance(node, list):
            stack.extend((item, f"{where}[{i}]") for i, item in reversed(list(enumerate(node))))
    return None


def _lone(text: str) -> str | None:
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return text[exc.start]
    return None
