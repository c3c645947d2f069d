"""Expectations: what the request a rule answers must contain (a rule's `expect:` mapping).

    - name: answer
      when: {has_tool_output: get_weather}
      expect:
        function_call_output: get_weather   # the output of the call scripted earlier
        tools: [get_weather]                # the tool is still offered
        headers: {x-trace-id: "*"}
      reply: [{message: "It is sunny."}]

A rule still answers when its expectations fail: the request is not the test's verdict, the
test is. Each failed key becomes a violation on the exchange (so the journal shows it) and
`GET /_mock/verify` reports them all with an expected/got diff. The keys are the `when` keys
(same meaning, same messages; `call` and `probability` excluded, they say nothing about the
request) plus `function_call_output`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockserver.scenario.context import MatchContext
from mockserver.scenario.when import WHEN, Condition, Miss, compile_when

if TYPE_CHECKING:  # (the scenario package imports this module while it loads)
    from mockserver.scenario.model import Rule

TOOL_OUTPUTS = "function_call_output"
EXPECT_KEYS = (*(k for k in WHEN if k not in {"call", "probability"}), TOOL_OUTPUTS)


@dataclass(frozen=True)
class Expectations:
    conditions: tuple[Condition, ...]  # `when` keys, checked by the `when` registry
    tool_outputs: bool | tuple[str, ...] | None = None  # function_call_output, as written


def validate_expect(value: Any, path: str) -> list[str]:
    """Checks the schema cannot make (regexes, ranges): `path.key: message` lines."""
    if not isinstance(value, Mapping):
        return [f"{path}: expected a mapping of expectations"]
    _conditions, bad = compile_when(_when_part(value))
    return [f"{path}.{key}: {message}" for key, message in bad]


def parse_expect(value: Mapping[str, Any]) -> Expectations:
    conditions, _bad = compile_when(_when_part(value))
    outputs = value.get(TOOL_OUTPUTS)
    if isinstance(outputs, str):
        outputs = (outputs,)
    elif isinstance(outputs, list):
        outputs = tuple(outputs)
    return Expectations(conditions, outputs)


def _when_part(value: Mapping[str, Any]) -> dict[str, Any]:
    """The keys the `when` registry checks (the schema has already refused the others)."""
    return {k: v for k, v in value.items() if k in WHEN and k in EXPECT_KEYS}


def check(expect: Expectations, ctx: MatchContext, rule_id: str) -> list[Miss]:
    """Every expectation the request misses (empty: all met)."""
    misses = [m for c in expect.conditions if (m := WHEN[c.key].check(c, ctx, rule_id))]
    if expect.tool_outputs is not None:
        miss = _check_tool_outputs(expect.tool_outputs, ctx)
        if miss is not None:
            misses.append(miss)
    return misses


def _check_tool_outputs(wanted: bool | tuple[str, ...], ctx: MatchContext) -> Miss | None:
    """The function calls since the latest user message have their outputs in the request.

    `true`: every such call; a name or names: the calls to those tools (at least one each).
    """
    calls, answered = _calls_and_outputs(ctx.conversation)
    tools = None if wanted is True else set(wanted or ())
    due = [(cid, name) for cid, name in calls if tools is None or name in tools]
    expected = {f"{cid} ({name})": "output" for cid, name in due}
    got = {f"{cid} ({name})": "output" if cid in answered else "missing" for cid, name in due}
    for tool in sorted((tools or set()) - {name for _cid, name in calls}):
        expected[f"a call to {tool}"] = "output"
        got[f"a call to {tool}"] = "no such call since the latest user message"
    if not expected:
        expected = {"a function call since the latest user message": "output"}
        got = {"a function call since the latest user message": "none was made"}
    return None if expected == got else Miss(TOOL_OUTPUTS, expected, got)


def _calls_and_outputs(
    items: Sequence[Mapping[str, Any]],
) -> tuple[list[tuple[str, str]], set[str]]:
    """(call_id, name) of function calls after the latest user message, and answered ids."""
    start = 0
    for index, item in enumerate(items):
        if item.get("role") == "user" and item.get("type", "message") == "message":
            start = index + 1
    calls, answered = [], set()
    for item in items[start:]:
        kind = item.get("type")
        if kind in {"function_call", "custom_tool_call"}:
            calls.append((str(item.get("call_id", "")), str(item.get("name", ""))))
        elif kind in {"function_call_output", "custom_tool_call_output"}:
            answered.add(str(item.get("call_id", "")))
    return calls, answered


def violations(
    scenario: str, rule: Rule, ctx: MatchContext, expect: Expectations
) -> list[dict[str, Any]]:
    """The journal's form of each miss: plain JSON, naming the rule and where it is written."""
    return [
        {
            "scenario": scenario,
            "rule": rule.name,
            "origin": str(rule.origin),
            "key": miss.key,
            "expected": miss.expected,
            "got": miss.got,
        }
        for miss in check(expect, ctx, f"{scenario}/{rule.name}")
    ]


# ---- the readable report of /_mock/verify ------------------------------------------------------


def diff_lines(violation: Mapping[str, Any]) -> list[str]:
    """`expect.KEY:` then `- expected` / `+ got` lines; mappings are compared key by key."""
    expected, got = violation["expected"], violation["got"]
    head = f"expect.{violation['key']}:"
    if isinstance(expected, Mapping) and isinstance(got, Mapping):
        return [head, *_mapping_diff(expected, got)]
    return [head, f"  - expected: {_show(expected)}", f"  + got:      {_show(got)}"]


def _mapping_diff(expected: Mapping[str, Any], got: Mapping[str, Any]) -> list[str]:
    lines = []
    for key in [*expected, *(k for k in got if k not in expected)]:
        want, have = expected.get(key, _ABSENT), got.get(key, _ABSENT)
        if want == have:
            lines.append(f"    {key}: {_show(want)}")
            continue
        if want is not _ABSENT:
            lines.append(f"  - {key}: {_show(want)}")
        lines.append(f"  + {key}: {_show(have) if have is not _ABSENT else '(absent)'}")
    return lines


_ABSENT = object()


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def report(entries: Sequence[Mapping[str, Any]]) -> str:
    """The whole verify report: one block per journal entry (as JSON) with violations."""
    blocks = [_block(entry) for entry in entries if entry.get("expectations")]
    if not blocks:
        return "All expectations met."
    count = sum(len(entry["expectations"]) for entry in entries)
    return f"{count} expectation(s) not met:\n\n" + "\n\n".join(blocks)


def _block(entry: Mapping[str, Any]) -> str:
    first = entry["expectations"][0]
    head = (
        f"request #{entry['seq']} {entry['request_id']} at {entry['time']}: "
        f"answered by {first['scenario']}/{first['rule']} ({first['origin']})"
    )
    lines = [head]
    for violation in entry["expectations"]:
        lines.extend(f"  {line}" for line in diff_lines(violation))
    return "\n".join(lines)
