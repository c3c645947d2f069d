"""The `when` keys: a registry of small conditions, each defined once, explaining itself.

A key is four plain functions (WhenKey):
- `compile`, run once at load time: regexes, globs and ranges are built and checked there,
  so a bad one is a load error with its location;
- `read`: what the request has for this key (e.g. the latest user text, lowercased), read
  from the lazy MatchContext, the same for every rule of one request;
- `test`: does the compiled value hold for what was read (the rule id seeds `probability`);
- `got`: what an explanation shows as "got" when the test fails (default: what was read).

The explaining path (`WhenKey.check`, a Miss or None) and the matcher's fast path
(`WhenKey.holds`, a bool, no Miss built) are both made of `read` and `test`, so they cannot
disagree; tests/unit/scenario/test_scenario_holds.py checks it for every key of WHEN.
schema.json lists exactly these names (a test keeps the two equal).
"""

from __future__ import annotations

import fnmatch
import operator
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from mockserver.scenario.context import MatchContext


class Miss(NamedTuple):
    """Why a condition failed. A tuple, not a dataclass: every non-matching rule makes one."""

    key: str
    expected: Any
    got: Any

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "expected": self.expected, "got": self.got}


# (request, rule id) -> does the condition hold? The matcher's hot path: no Miss is built.
Holds = Callable[[MatchContext, str], bool]


@dataclass(frozen=True)
class Condition:
    key: str
    raw: Any  # as written in the file: what explanations show as "expected"
    compiled: Any

    def predicate(self) -> Holds:
        """The fast path for this condition (WhenKey.holds)."""
        return WHEN[self.key].holds(self.compiled)


def _seen(_compiled: Any, seen: Any, _ctx: MatchContext, _rule_id: str) -> Any:
    return seen


@dataclass(frozen=True)
class WhenKey:
    """One `when` key: the only definition of what it reads and when it holds."""

    compile: Callable[[Any], Any]  # the file's value -> compiled (ValueError: a load problem)
    read: Callable[[MatchContext], Any]  # what the request has: the same for every rule
    test: Callable[[Any, Any, str], bool]  # (compiled, what was read, rule id) -> holds
    # (compiled, what was read, request, rule id) -> what a miss shows as "got"
    got: Callable[[Any, Any, MatchContext, str], Any] = _seen

    def check(self, cond: Condition, ctx: MatchContext, rule_id: str) -> Miss | None:
        """The explaining path: None when the condition holds, else what was expected and got."""
        seen = self.read(ctx)
        if self.test(cond.compiled, seen, rule_id):
            return None
        return Miss(cond.key, cond.raw, self.got(cond.compiled, seen, ctx, rule_id))

    def holds(self, compiled: Any) -> Holds:
        """The fast path for one condition, derived from `read` and `test` (no Miss built)."""
        read, test = self.read, self.test
        return lambda ctx, rule_id: test(compiled, read(ctx), rule_id)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None


@dataclass(frozen=True)
class CountRange:
    """An exact number, a set of numbers, or a {gte, lte} range."""

    values: frozenset[int] = frozenset()
    gte: int | None = None
    lte: int | None = None

    def holds(self, n: int) -> bool:
        if self.values:
            return n in self.values
        return (self.gte is None or n >= self.gte) and (self.lte is None or n <= self.lte)


def _count_range(raw: Any) -> CountRange:
    if isinstance(raw, int):
        return CountRange(frozenset({raw}))
    if isinstance(raw, list):
        return CountRange(frozenset(raw))
    gte, lte = raw.get("gte"), raw.get("lte")
    if gte is not None and lte is not None and gte > lte:
        raise ValueError(f"empty range: gte {gte} is above lte {lte}")
    return CountRange(gte=gte, lte=lte)


_ABSENT = "<absent>"


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if isinstance(value, Mapping) and name in value:
            value = value[name]
        elif isinstance(value, list) and name.isdigit() and int(name) < len(value):
            value = value[int(name)]
        else:
            return _ABSENT
    return value


def chance(seed: int, rule_id: str, call: int) -> float:
    """The seeded draw for one rule at one call: the same whatever other requests interleave."""
    return random.Random(f"{seed}/{rule_id}/{call}").random()


# ---- the tests: (compiled, what was read, rule id) -> bool -----------------------------------


def all_in(needles: tuple[Any, ...], have: Any, _rule_id: str) -> bool:
    """Every needle is in what the request has (text: substrings; a set: members).

    The matcher scans runs of one-needle rules of an `all_in` key in C (matcher.py)."""
    return all(map(have.__contains__, needles))


def _fullmatch(glob: re.Pattern[str], text: str, _rule_id: str) -> bool:
    return glob.fullmatch(text) is not None


def _search(regex: re.Pattern[str], text: str, _rule_id: str) -> bool:
    return regex.search(text) is not None


def _equals(want: Any, have: Any, _rule_id: str) -> bool:
    return bool(want == have)


def _in_range(counts: CountRange, n: int, _rule_id: str) -> bool:
    return counts.holds(n)


def _tool_output(wanted: bool | str, names: list[str], _rule_id: str) -> bool:
    return bool(names) == wanted if isinstance(wanted, bool) else wanted in names


def _pairs_equal(pairs: tuple[tuple[str, Any], ...], have: Mapping[str, Any], _: str) -> bool:
    return all(have.get(name) == value for name, value in pairs)


def _headers_match(globs: tuple[tuple[str, re.Pattern[str]], ...], have: Any, _: str) -> bool:
    return all(name in have and glob.fullmatch(have[name]) for name, glob in globs)


def _json_equal(paths: tuple[tuple[tuple[str, ...], Any], ...], body: Any, _: str) -> bool:
    return all(_dig(body, path) == value for path, value in paths)


def _drawn_below(p: float, seed_call: tuple[int, int], rule_id: str) -> bool:
    seed, call = seed_call
    return chance(seed, rule_id, call) < p


# ---- what a miss shows as "got", where it is not simply what was read ------------------------


def _pairs_got(pairs: Any, have: Mapping[str, Any], _c: MatchContext, _r: str) -> Any:
    return {name: have.get(name) for name, _value in pairs}


def _json_got(paths: Any, body: Any, _c: MatchContext, _r: str) -> Any:
    return {".".join(path): _dig(body, path) for path, _value in paths}


def _draw_got(_p: Any, seed_call: tuple[int, int], _c: MatchContext, rule_id: str) -> Any:
    seed, call = seed_call
    return f"draw {chance(seed, rule_id, call):.3f}"


def _lower_parts(raw: Any) -> tuple[str, ...]:
    return tuple(s.lower() for s in ([raw] if isinstance(raw, str) else raw))


def _output_names(ctx: MatchContext) -> list[str]:
    return [o.name or f"<unknown call {o.call_id}>" for o in ctx.recent_outputs]


WHEN: dict[str, WhenKey] = {
    "model": WhenKey(_glob, operator.attrgetter("model"), _fullmatch),
    "input_contains": WhenKey(
        _lower_parts,
        operator.attrgetter("input_lower"),
        all_in,
        lambda _c, _s, ctx, _r: _short(ctx.latest_user_text),
    ),
    "input_matches": WhenKey(
        _regex, operator.attrgetter("latest_user_text"), _search, lambda _c, s, _x, _r: _short(s)
    ),
    "instructions_contains": WhenKey(
        lambda raw: (raw.lower(),),
        operator.attrgetter("instructions_lower"),
        all_in,
        lambda _c, _s, ctx, _r: _short(ctx.instructions),
    ),
    "tools": WhenKey(
        tuple, operator.attrgetter("tool_names"), all_in, lambda _c, s, _x, _r: sorted(s)
    ),
    "has_tool_output": WhenKey(
        lambda raw: raw, _output_names, _tool_output, lambda _c, s, _x, _r: s or False
    ),
    "metadata": WhenKey(
        lambda raw: tuple(raw.items()), operator.attrgetter("metadata"), _pairs_equal, _pairs_got
    ),
    "headers": WhenKey(
        lambda raw: tuple((k.lower(), _glob(v)) for k, v in raw.items()),
        operator.attrgetter("headers"),
        _headers_match,
        _pairs_got,
    ),
    "stream": WhenKey(bool, operator.attrgetter("stream"), _equals),
    "call": WhenKey(_count_range, operator.attrgetter("call"), _in_range),
    "turn": WhenKey(_count_range, operator.attrgetter("turn"), _in_range),
    "json": WhenKey(
        lambda raw: tuple((tuple(path.split(".")), value) for path, value in raw.items()),
        operator.attrgetter("body"),
        _json_equal,
        _json_got,
    ),
    "probability": WhenKey(float, operator.attrgetter("seed", "call"), _drawn_below, _draw_got),
    # The conversation (Conversations API) the request runs in.
    "conversation": WhenKey(bool, lambda ctx: ctx.facts.id is not None, _equals),
    "conversation_metadata": WhenKey(
        lambda raw: tuple(raw.items()), lambda ctx: ctx.facts.metadata, _pairs_equal, _pairs_got
    ),
    "conversation_items": WhenKey(_count_range, lambda ctx: ctx.facts.items, _in_range),
    "compacted": WhenKey(bool, lambda ctx: ctx.facts.compacted, _equals),
}


def compile_when(raw: Mapping[str, Any]) -> tuple[tuple[Condition, ...], list[tuple[str, str]]]:
    """Conditions in the order written, and (key, message) for each that cannot compile."""
    conditions, problems = [], []
    for key, value in raw.items():
        when = WHEN[key]
        try:
            compiled = when.compile(value)
        except ValueError as exc:
            problems.append((key, str(exc)))
            continue
        conditions.append(Condition(key, value, compiled))
    return tuple(conditions), problems
