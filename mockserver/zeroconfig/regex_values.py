"""Strings that match a regular expression: values for JSON Schema's `pattern`.

Walks the pattern's parse tree (Python's own regex parser: JSON Schema patterns are ECMA-262,
and the common subset reads the same) and draws each piece from the seeded random source.
Lookarounds and anchors produce nothing, so the result is checked (JSON Schema patterns are
unanchored) and drawn again a few times before giving up with None. The check runs the user's
pattern, so it goes through the budget's bounded search, never Python's `re` (catastrophic
backtracking cannot be interrupted there); the walk itself is bounded in steps and length.
"""

from __future__ import annotations

import functools
import importlib
import random
import re
import string
from typing import Any

from mockserver.zeroconfig.budget import CACHED_LENGTH, Budget

# Private but stable since 3.11 (the old `sre_parse` name warns on import).
_parser: Any = importlib.import_module("re._parser")

MAX_LENGTH = 10_000  # longer matches are given up on: {1000000} must not stall the server
OPEN_REPEAT = 3  # how far past its minimum an open-ended repeat (`*`, `+`, `{2,}`) goes
ATTEMPTS = 10
MAX_STEPS = 3 * MAX_LENGTH  # nodes walked per draw: `(?:(?:){9999}){9999}` emits nothing
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
    pattern: str,
    rng: random.Random,
    min_length: int = 0,
    max_length: int | None = None,
    budget: Budget | None = None,
) -> str | None:
    """A string pattern is found in, within the length bounds; None if none was found."""
    budget = budget if budget is not None else Budget()
    tree = _tree(pattern) if len(pattern) <= CACHED_LENGTH else _tree.__wrapped__(pattern)
    if tree is None:
        return None  # not a Python regex (e.g. ECMA's \p{L}): the caller ignores the pattern
    spread, eager = OPEN_REPEAT, False
    for _ in range(ATTEMPTS):
        draw = _Draw(rng, spread, eager, min(MAX_STEPS, budget.pattern_steps))
        try:
            text = draw.sequence(tree)
        except (_GiveUp, RecursionError) as exc:
            if isinstance(exc, _GiveUp) and exc.args == ("steps",):
                budget.pattern_note(pattern, "gave up drawing from it (step budget)")
            return None
        finally:
            budget.pattern_steps -= draw.steps
        if len(text) < min_length:  # let open repeats (`+`, `*`, `{2,}`) run to the full spread
            spread = min(spread * 2 + min_length - len(text), MAX_LENGTH) if eager else spread
            eager = True
        elif max_length is not None and len(text) > max_length:
            spread, eager = spread // 2, False
        else:
            found = budget.search(pattern, text)
            if found is None:
                return None  # cannot be told in time: a plain value will do
            if found:
                return text
    budget.pattern_note(pattern, "no matching string found, a plain one is used")
    return None


@functools.lru_cache(maxsize=256)
def _tree(pattern: str) -> Any:
    """The parse tree of pattern (read only), None when Python cannot compile it."""
    try:
        re.compile(pattern)  # look-behinds of variable width fail here, not in the parser
        return _parser.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None


class _Draw:
    def __init__(self, rng: random.Random, spread: int, eager: bool, steps: int) -> None:
        self.rng = rng
        self.limit = steps
        self.spread = spread  # how far past its minimum an open-ended repeat may go
        self.eager = eager  # go that far every time (a minimum length is still unmet)
        self.groups: dict[int, str] = {}
        self.length = 0
        self.steps = 0

    def sequence(self, items: Any) -> str:
        self._step()  # an empty group repeated still costs a step
        return "".join(self.node(str(op), av) for op, av in items)

    def _step(self) -> None:
        self.steps += 1
        if self.steps > self.limit:
            raise _GiveUp("steps")

    def node(self, op: str, av: Any) -> str:
        self._step()
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
