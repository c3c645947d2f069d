"""What one generated value may cost, and what was given up to stay within it.

The request's schema controls the work: `minLength: 65536` on 256 properties asks for 117 MB,
and a catastrophic `pattern` (`^(a+)+$(?<!a)`) backtracks for ever in Python's `re`, which no
timeout or signal interrupts. So a generated value has a byte budget (64 KB, fewer when
`max_output_tokens` asks for less), and user patterns are only run through the `regex` module
with a timeout, all searches of one value sharing a time budget. When a bound is hit the
generator falls back to a plainer value and says so in `notes`, for the caller to journal.

Times are CPU time of the thread (the regex module's timeout is too, measured): a busy
machine stretches them in wall-clock time but does not change which patterns are given up on,
so the same request still gets the same bytes. Only patterns that need milliseconds of CPU
per search, i.e. pathological ones, are ever given up on.
"""

from __future__ import annotations

import functools
import importlib
import threading
import time
from typing import Any

DEFAULT_BYTES = 64 * 1024
MIN_BYTES = 1024
BYTES_PER_TOKEN = 16  # generous: a token's text is 4 bytes on average, rarely more than 16
REGEX_SECONDS = 0.05  # CPU time of every search of one value, together
# Nodes of pattern trees walked to draw the strings of one value, together (~2 per character
# drawn; ~0.2 s at worst on a busy machine): counted, not timed, so that a legit schema draws
# the same strings on a busy machine as on an idle one.
PATTERN_STEPS = 60_000
SEARCH_SECONDS = 0.01  # CPU time of one search (a legit pattern needs microseconds)
# The regex module unrolls counted repeats when it compiles: `a{100000000}` never finishes,
# (?:a{1000}){1000} takes 0.6 s. Patterns whose repeats unroll past this many nodes (~5 ms
# to compile) are not run at all.
MAX_UNROLLED = 20_000


class Budget:
    """The limits of one generated value, and the notes of what they cut."""

    def __init__(
        self,
        max_bytes: int = DEFAULT_BYTES,
        regex_seconds: float = REGEX_SECONDS,
        notes: list[str] | None = None,
    ):
        self.max_bytes = max_bytes
        self.regex_left = regex_seconds
        self.pattern_steps = PATTERN_STEPS
        self.notes: list[str] = notes if notes is not None else []  # shared with the caller's
        self._hopeless: set[str] = set()  # patterns that ran out of time once

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def pattern_note(self, pattern: str, what: str) -> None:
        shown = pattern if len(pattern) <= 60 else pattern[:57] + "..."
        self.note(f"pattern {shown!r}: {what}")

    def search(self, pattern: str, text: str) -> bool | None:
        """Whether `pattern` occurs in `text` (JSON Schema patterns are unanchored); None
        when that cannot be told: a pattern the regex module does not compile, or the time
        budget is spent."""
        compiled = _compiled(pattern) if len(pattern) <= CACHED_LENGTH else _compile(pattern)
        if compiled is None:
            self.pattern_note(pattern, "not run (too costly to compile, or invalid)")
            return None
        if pattern in self._hopeless or self.regex_left <= 0:
            self._out_of_time(pattern)
            return None
        start = time.thread_time()
        try:
            found = compiled.search(text, timeout=min(SEARCH_SECONDS, self.regex_left))
        except TimeoutError:
            self._hopeless.add(pattern)
            self._out_of_time(pattern)
            return None
        finally:
            self.regex_left -= time.thread_time() - start
        return found is not None

    def _out_of_time(self, pattern: str) -> None:
        self.pattern_note(pattern, "gave up matching it (regex time budget)")


def for_output_tokens(max_output_tokens: Any, notes: list[str] | None = None) -> Budget:
    """The budget of an answer cut at max_output_tokens (None: the default 64 KB), noting
    what it cuts in `notes` (default: a list of its own)."""
    if isinstance(max_output_tokens, int) and not isinstance(max_output_tokens, bool):
        tokens_bytes = max(MIN_BYTES, max_output_tokens * BYTES_PER_TOKEN)
        return Budget(max_bytes=min(DEFAULT_BYTES, tokens_bytes), notes=notes)
    return Budget(notes=notes)


CACHED_LENGTH = 1024  # longer patterns are compiled again rather than kept (256 x 50 MB...)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    return _compile(pattern)


def _compile(pattern: str) -> Any:
    try:
        if _unrolled(_parser.parse(pattern)) > MAX_UNROLLED:
            return None
        return _regex().compile(pattern)
    except Exception:  # re.error, regex.error, RecursionError: not a pattern we can run
        return None


_parser: Any = importlib.import_module("re._parser")  # as regex_values.py reads patterns


def _unrolled(items: Any) -> int:
    """How many nodes the pattern has once its counted repeats are written out."""
    total = 0
    for op, av in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            total += max(low, 1 if high == _parser.MAXREPEAT else high) * _unrolled(sub)
        elif name == "BRANCH":
            total += sum(_unrolled(branch) for branch in av[1])
        elif name in ("SUBPATTERN", "ASSERT", "ASSERT_NOT"):
            total += _unrolled(av[-1])
        elif name == "ATOMIC_GROUP":
            total += _unrolled(av)
        elif name == "GROUPREF_EXISTS":
            total += sum(_unrolled(part) for part in av[1:] if part is not None)
        else:
            total += 1
        if total > MAX_UNROLLED:
            return total
    return total


@functools.cache
def _regex() -> Any:
    # Imported on first use (~10 ms): most requests never carry a pattern.
    return importlib.import_module("regex")


_current = threading.local()  # the budget of the value being drawn (servers may use threads)


def current() -> Budget:
    """The budget of the value being drawn, for code called back by jsonschema; outside a
    draw, a fresh one (each such call is bounded on its own)."""
    budget: Budget | None = getattr(_current, "budget", None)
    return budget if budget is not None else Budget()


class active:
    """`with active(budget):` makes it `current()` in this thread."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    def __enter__(self) -> Budget:
        self.outer = getattr(_current, "budget", None)
        _current.budget = self.budget
        return self.budget

    def __exit__(self, *exc: object) -> None:
        _current.budget = self.outer
