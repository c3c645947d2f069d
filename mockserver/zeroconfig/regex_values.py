"""Strings that match a regular expression: values for JSON Schema's `pattern`.

Walks the pattern's parse tree (Python's own regex parser: JSON Schema patterns are ECMA-262,
and the common subset reads the same) and draws each piece from the seeded random source.
Lookarounds and anchors produce nothing, so the result is checked with `re.search` (JSON
Schema patterns are unanchored) and drawn again a few times before giving up with None.
"""

from __future__ import annotations

import importlib
import random
import re
import string
from typing import Any

# Private but stable since 3.11 (the old `sre_parse` name warns on import).
_parser: Any = importlib.import_module("re._parser")

MAX_LENGTH = 10_000  # longer matches are given up on: {1000000} must not stall the server
OPEN_REPEAT = 3  # how far past its minimum an open-ended repeat (`*`, `+`, `{2,}`) goes
ATTEMPTS = 10
_ANY = string.ascii_letters + string.digits
_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters + "_-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": _ANY,
    "CATEGORY_WORD": _ANY + "_",
    "CATEGORY_NOT_WORD": " -.,:;!?",
    "CATEGORY_LINEBREAK": "\n",
    "CATEGORY_NOT_LINEBREAK": _ANY,
}
_PRINTABLE = [chr(c) for c in range(32, 127)]


class _GiveUp(Exception):
    """The pattern has a construct we cannot draw from, or the match grew too long."""


def string_matching(
    pattern: str, rng: random.Random, min_length: int = 0, max_length: int | None = None
) -> str | None:
    """A string re.search finds pattern in, within the length bounds; None if none was found."""
    try:
        compiled = re.compile(pattern)
        tree = _parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None  # not a Python regex (e.g. ECMA's \p{L}): the caller ignores the pattern
    spread, eager = OPEN_REPEAT, False
    for _ in range(ATTEMPTS):
        try:
            text = _Draw(rng, spread, eager).sequence(tree)
        except (_GiveUp, RecursionError):
            return None
        if len(text) < min_length:  # let open repeats (`+`, `*`, `{2,}`) run to the full spread
            spread = min(spread * 2 + min_length - len(text), MAX_LENGTH) if eager else spread
            eager = True
        elif max_length is not None and len(text) > max_length:
            spread, eager = spread // 2, False
        elif compiled.search(text):
            return text
    return None


class _Draw:
    def __init__(self, rng: random.Random, spread: int, eager: bool) -> None:
        self.rng = rng
        self.spread = spread  # how far past its minimum an open-ended repeat may go
        self.eager = eager  # go that far every time (a minimum length is still unmet)
        self.groups: dict[int, str] = {}
        self.length = 0

    def sequence(self, items: Any) -> str:
        return "".join(self.node(str(op), av) for op, av in items)

    def node(self, op: str, av: Any) -> str:
        if op == "LITERAL":
            return self._emit(chr(av))
        if op in ("IN", "NOT_LITERAL", "ANY"):
            return self._emit(self._char(op, av))
        if op == "BRANCH":
            return self.sequence(self.rng.choice(av[1]))
        if op in ("SUBPATTERN", "ATOMIC_GROUP"):
            return self._group(op, av)
        if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            return self._repeat(*av)
        if op == "GROUPREF":
            return self._emit(self.groups.get(av, ""))
        if op in ("AT", "ASSERT", "ASSERT_NOT"):
            return ""  # anchors and lookarounds match positions, not text
        raise _GiveUp(op)  # GROUPREF_EXISTS and other rarities

    def _group(self, op: str, av: Any) -> str:
        if op == "ATOMIC_GROUP":
            return self.sequence(av)
        group, _add_flags, _del_flags, items = av
        text = self.sequence(items)
        if group is not None:
            self.groups[group] = text
        return text

    def _repeat(self, low: int, high: int, items: Any) -> str:
        if high == _parser.MAXREPEAT or high > low + self.spread:
            high = low + self.spread
        if low > MAX_LENGTH:
            raise _GiveUp("repeat")
        count = high if self.eager else self.rng.randint(low, high)
        return "".join(self.sequence(items) for _ in range(count))

    def _emit(self, text: str) -> str:
        self.length += len(text)
        if self.length > MAX_LENGTH:
            raise _GiveUp("length")
        return text

    def _char(self, op: str, av: Any) -> str:
        if op == "ANY":
            return self.rng.choice(_ANY)
        if op == "NOT_LITERAL":
            return self.rng.choice([c for c in _ANY if ord(c) != av])
        return self._from_set(av)

    def _from_set(self, items: list[tuple[Any, Any]]) -> str:
        negated = bool(items) and str(items[0][0]) == "NEGATE"
        chars: list[str] = []
        for op, av in items[1:] if negated else items:
            chars.extend(_set_member(str(op), av))
        if negated:
            excluded = set(chars)
            chars = [c for c in _PRINTABLE if c not in excluded]
        if not chars:
            raise _GiveUp("empty set")
        return self.rng.choice(chars)


def _set_member(op: str, av: Any) -> list[str]:
    if op == "LITERAL":
        return [chr(av)]
    if op == "RANGE":
        low, high = av
        return [chr(c) for c in range(low, min(high, low + 255) + 1)]
    if op == "CATEGORY":
        return list(_CATEGORIES.get(str(av), ""))
    raise _GiveUp(op)
