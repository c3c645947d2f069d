"""The `when` keys: a registry of small conditions, each explaining itself when it fails.

Each key has a `compile` step (run once at load time: regexes, globs and ranges are built and
checked there, so a bad one is a load error with its location) and a `check` that returns
None when the request satisfies it, or a Miss saying what was expected and what came.
schema.json lists exactly these names (a test keeps the two equal).
"""

from __future__ import annotations

import fnmatch
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    # Same verdict as `WHEN[key].check(...) is None`, made for this condition at load time
    # (compile_when); without one, the check itself decides.
    holds: Holds | None = field(default=None, compare=False, repr=False)

    def predicate(self) -> Holds:
        return self.holds or self._checked

    def _checked(self, ctx: MatchContext, rule_id: str) -> bool:
        return WHEN[self.key].check(self, ctx, rule_id) is None


@dataclass(frozen=True)
class WhenKey:
    compile: Callable[[Any], Any]
    check: Callable[[Condition, MatchContext, str], Miss | None]
    holds: Callable[[Any], Holds]  # compiled value -> predicate (agrees with check)


def _miss(cond: Condition, got: Any) -> Miss:
    return Miss(cond.key, cond.raw, got)


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


def _json_path(raw: Mapping[str, Any]) -> tuple[tuple[tuple[str, ...], Any], ...]:
    return tuple((tuple(path.split(".")), value) for path, value in raw.items())


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


def _check_model(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    return None if c.compiled.fullmatch(ctx.model) else _miss(c, ctx.model)


def _check_input_contains(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    text = ctx.input_lower
    ok = all(part in text for part in c.compiled)
    return None if ok else _miss(c, _short(ctx.latest_user_text))


def _check_input_matches(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    found = c.compiled.search(ctx.latest_user_text)
    return None if found else _miss(c, _short(ctx.latest_user_text))


def _check_instructions(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    ok = c.compiled in ctx.instructions_lower
    return None if ok else _miss(c, _short(ctx.instructions))


def _check_tools(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    ok = set(c.compiled) <= ctx.tool_names
    return None if ok else _miss(c, sorted(ctx.tool_names))


def _check_has_tool_output(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    names = [o.name or f"<unknown call {o.call_id}>" for o in ctx.recent_outputs]
    ok = bool(names) == c.compiled if isinstance(c.compiled, bool) else c.compiled in names
    return None if ok else _miss(c, names or False)


def _check_metadata(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    ok = all(ctx.metadata.get(k) == v for k, v in c.compiled)
    return None if ok else _miss(c, {k: ctx.metadata.get(k) for k, _v in c.compiled})


def _check_headers(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    ok = all(name in ctx.headers and glob.fullmatch(ctx.headers[name]) for name, glob in c.compiled)
    return None if ok else _miss(c, {name: ctx.headers.get(name) for name, _g in c.compiled})


def _check_stream(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    return None if ctx.stream == c.compiled else _miss(c, ctx.stream)


def _check_call(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    return None if c.compiled.holds(ctx.call) else _miss(c, ctx.call)


def _check_turn(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    return None if c.compiled.holds(ctx.turn) else _miss(c, ctx.turn)


def _check_json(c: Condition, ctx: MatchContext, _: str) -> Miss | None:
    got = {".".join(path): _dig(ctx.body, path) for path, _v in c.compiled}
    ok = all(got[".".join(path)] == value for path, value in c.compiled)
    return None if ok else _miss(c, got)


def chance(seed: int, rule_id: str, call: int) -> float:
    """The seeded draw for one rule at one call: the same whatever other requests interleave."""
    return random.Random(f"{seed}/{rule_id}/{call}").random()


def _check_probability(c: Condition, ctx: MatchContext, rule_id: str) -> Miss | None:
    draw = chance(ctx.seed, rule_id, ctx.call)
    return None if draw < c.compiled else _miss(c, f"draw {draw:.3f}")


def _holds_model(glob: re.Pattern[str]) -> Holds:
    fullmatch = glob.fullmatch
    return lambda ctx, _: fullmatch(ctx.model) is not None


def _holds_input_contains(parts: tuple[str, ...]) -> Holds:
    if len(parts) == 1:
        (part,) = parts
        return lambda ctx, _: part in ctx.input_lower
    return lambda ctx, _: all(p in ctx.input_lower for p in parts)


def _holds_input_matches(regex: re.Pattern[str]) -> Holds:
    search = regex.search
    return lambda ctx, _: search(ctx.latest_user_text) is not None


def _holds_has_tool_output(wanted: bool | str) -> Holds:
    if isinstance(wanted, bool):
        return lambda ctx, _: bool(ctx.recent_outputs) == wanted
    return lambda ctx, _: (
        wanted in [o.name or f"<unknown call {o.call_id}>" for o in ctx.recent_outputs]
    )


def _holds_tools(names: tuple[str, ...]) -> Holds:
    needed = frozenset(names)
    return lambda ctx, _: needed <= ctx.tool_names


def _holds_headers(globs: tuple[tuple[str, re.Pattern[str]], ...]) -> Holds:
    def holds(ctx: MatchContext, _: str) -> bool:
        got = ctx.headers
        return all(name in got and glob.fullmatch(got[name]) for name, glob in globs)

    return holds


def _holds_json(paths: tuple[tuple[tuple[str, ...], Any], ...]) -> Holds:
    return lambda ctx, _: all(_dig(ctx.body, path) == value for path, value in paths)


WHEN: dict[str, WhenKey] = {
    "model": WhenKey(_glob, _check_model, _holds_model),
    "input_contains": WhenKey(
        lambda raw: tuple(s.lower() for s in ([raw] if isinstance(raw, str) else raw)),
        _check_input_contains,
        _holds_input_contains,
    ),
    "input_matches": WhenKey(_regex, _check_input_matches, _holds_input_matches),
    "instructions_contains": WhenKey(
        str.lower, _check_instructions, lambda part: lambda ctx, _: part in ctx.instructions_lower
    ),
    "tools": WhenKey(tuple, _check_tools, _holds_tools),
    "has_tool_output": WhenKey(lambda raw: raw, _check_has_tool_output, _holds_has_tool_output),
    "metadata": WhenKey(
        lambda raw: tuple(raw.items()),
        _check_metadata,
        lambda pairs: lambda ctx, _: all(ctx.metadata.get(k) == v for k, v in pairs),
    ),
    "headers": WhenKey(
        lambda raw: tuple((k.lower(), _glob(v)) for k, v in raw.items()),
        _check_headers,
        _holds_headers,
    ),
    "stream": WhenKey(bool, _check_stream, lambda want: lambda ctx, _: ctx.stream == want),
    "call": WhenKey(_count_range, _check_call, lambda r: lambda ctx, _: r.holds(ctx.call)),
    "turn": WhenKey(_count_range, _check_turn, lambda r: lambda ctx, _: r.holds(ctx.turn)),
    "json": WhenKey(_json_path, _check_json, _holds_json),
    "probability": WhenKey(
        float, _check_probability, lambda p: lambda ctx, rid: chance(ctx.seed, rid, ctx.call) < p
    ),
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
        conditions.append(Condition(key, value, compiled, when.holds(compiled)))
    return tuple(conditions), problems
