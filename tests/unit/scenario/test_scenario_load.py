"""Loading scenario files: good ones become frozen Scenarios; every bad one says where and why."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from mockserver.scenario import ScenarioLoadError, load_paths, load_text
from mockserver.scenario.load import collect

GOOD = """\
name: hello
description: says hello
rules:
  - name: greet
    when: {input_contains: hello}
    reply:
      - message: "Hello there"
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(text: str, source: str = "s.yaml") -> list[str]:
    with pytest.raises(ScenarioLoadError) as info:
        load_text(textwrap.dedent(text), source)
    return info.value.lines()


def test_a_good_file_loads_into_frozen_values(tmp_path: Path) -> None:
    (scenario,) = load_paths([write(tmp_path, "hello.yaml", GOOD)])
    assert scenario.name == "hello" and scenario.description == "says hello"
    (rule,) = scenario.rules
    assert (rule.name, rule.index, rule.origin.line) == ("greet", 0, 4)
    assert [c.key for c in rule.when] == ["input_contains"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.name = "other"  # type: ignore[misc]


def test_folders_are_searched_recursively_for_yaml_and_yml(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "deep/er/b.yml", GOOD.replace("name: hello", "name: b"))
    write(tmp_path, "notes.txt", "not a scenario")
    names = [s.name for s in load_paths([tmp_path])]
    assert names == ["hello", "b"]


def test_a_file_may_hold_a_list_of_scenarios(tmp_path: Path) -> None:
    text = (
        "- name: one\n  rules: [{reply: [{message: a}]}]\n"
        "- name: two\n  rules: [{error: server_error}]\n"
    )
    assert [s.name for s in load_paths([write(tmp_path, "l.yaml", text)])] == ["one", "two"]


def test_rules_get_default_names_and_keep_file_order() -> None:
    (scenario,) = load_text(
        "name: x\nrules: [{reply: [{message: a}]}, {reply: [{message: b}]}]", "t"
    )
    assert [r.name for r in scenario.rules] == ["rule-1", "rule-2"]


BAD_INPUT = {
    "yaml-syntax": (
        "name: x\nrules: [\n",
        "s.yaml:3:1: YAML syntax error: while parsing a flow node",
    ),
    "wrong-type": (
        "name: x\nseed: lots\nrules: [{reply: [{message: a}]}]\n",
        "s.yaml:2:7: $.seed: expected an integer, got 'lots'",
    ),
    "unknown-key": (
        "name: x\nrules:\n  - when: {modle: gpt-4o}\n    reply: [{message: a}]\n",
        "s.yaml:3:12: $.rules[0].when.modle: unknown key 'modle' (did you mean 'model'?); allowed:",
    ),
    "unknown-reply-kind": (
        "name: x\nrules:\n  - reply: [{mesage: hi}]\n",
        "s.yaml:3:14: $.rules[0].reply[0].mesage: unknown key 'mesage' (did you mean 'message'?)",
    ),
    "bad-regex": (
        "name: x\nrules:\n  - when: {input_matches: 'a(b'}\n    reply: [{message: a}]\n",
        "s.yaml:3:27: $.rules[0].when.input_matches: invalid regular expression: missing ),",
    ),
    "unknown-template-name": (
        "name: x\nrules:\n  - reply: [{message: 'It is {{ tool_ouput.w.t }}'}]\n",
        "s.yaml:3:23: $.rules[0].reply[0].message: template: unknown name 'tool_ouput' (did you "
        "mean 'tool_output'?); allowed:",
    ),
    "unknown-faker-provider": (
        "name: x\nrules:\n  - reply: [{message: '{{ faker.parargraph }}'}]\n",
        "s.yaml:3:23: $.rules[0].reply[0].message: template: unknown faker provider 'parargraph' "
        "(did you mean 'paragraph'?)",
    ),
    "item-the-spec-rejects": (
        "name: x\nrules:\n  - reply:\n      - item: {type: web_search_call, status: done}\n",
        "s.yaml:4:47: $.rules[0].reply[0].item.status: 'done' is not allowed; allowed: completed,"
        " failed, in_progress, searching (checked against the spec's WebSearchToolCall)",
    ),
    "unknown-item-type": (
        "name: x\nrules:\n  - reply:\n      - item: {type: web_serch_call}\n",
        "s.yaml:4:22: $.rules[0].reply[0].item.type: 'web_serch_call' is not a type of the spec's"
        " OutputItem (did you mean 'web_search_call'?)",
    ),
    "empty-rules": (
        "name: x\nrules: []\n",
        "s.yaml:2:8: $.rules: empty list; a scenario needs at least one rule",
    ),
    "rule-without-answer": (
        "name: x\nrules:\n  - when: {call: 1}\n",
        "s.yaml:3:5: $.rules[0]: needs one of the keys: reply, error, fault",
    ),
    "two-kinds-in-one-item": (
        "name: x\nrules:\n  - reply: [{message: a, refusal: b}]\n",
        "s.yaml:3:13: $.rules[0].reply[0]: exactly one key allowed here, one of: function_call,"
        " item, json, message, reasoning, refusal; got message, refusal",
    ),
    "duplicate-rule-names": (
        "name: x\nrules:\n"
        "  - {name: a, reply: [{message: a}]}\n  - {name: a, reply: [{message: b}]}\n",
        "s.yaml:4:12: $.rules[1].name: duplicate rule name 'a' (first at line 3)",
    ),
    "duplicate-yaml-key": (
        "name: x\nname: y\nrules: [{reply: [{message: a}]}]\n",
        "s.yaml:2:1: $.name: duplicate key 'name' (first at line 1)",
    ),
    "yaml-boolean-for-text": (
        "name: x\nrules:\n  - reply: [{refusal: no}]\n",
        "s.yaml:3:23: $.rules[0].reply[0].refusal: expected a string, got false (YAML reads",
    ),
    "empty-range": (
        "name: x\nrules:\n  - when: {call: {gte: 3, lte: 1}}\n    error: server_error\n",
        "s.yaml:3:18: $.rules[0].when.call: empty range: gte 3 is above lte 1",
    ),
    "bad-pacing-value": (
        "name: x\nstream: {chunk: wrd}\nrules: [{reply: [{message: a}]}]\n",
        "s.yaml:2:17: $.stream.chunk: got 'wrd' (did you mean 'word'?); allowed:",
    ),
    "unknown-error-preset": (
        "name: x\nrules:\n  - error: rate_limited\n",
        "s.yaml:3:12: $.rules[0].error: unknown error preset 'rate_limited' "
        "(did you mean 'rate_limit_exceeded'?); presets are:",
    ),
    "unknown-fault-kind": (
        "name: x\nrules:\n  - fault: {kind: explode}\n",
        "s.yaml:3:19: $.rules[0].fault.kind: unknown fault kind 'explode'; kinds are:",
    ),
    "bad-annotation": (
        "name: x\nrules:\n  - reply: [{message: {text: a, annotations: [{type: url_citation}]}}]\n",
        "s.yaml:3:47: $.rules[0].reply[0].message.annotations[0]: missing required key 'url'",
    ),
    "usage-not-a-mapping": (  # once a TypeError: the rule was built despite the finding
        "name: x\nrules:\n  - reply: [{message: a}]\n    usage: 0\n",
        "s.yaml:4:12: $.rules[0].usage: expected a mapping, got 0",
    ),
    "not-a-mapping": ("just text\n", "s.yaml:1:1: $: expected a scenario (a mapping) or a list"),
    "bad-name": (
        "name: my scenario\nrules: [{reply: [{message: a}]}]\n",
        "s.yaml:1:7: $.name: 'my scenario' is not allowed; use letters, digits",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_gives_a_located_message(case: str) -> None:
    text, expected = BAD_INPUT[case]
    lines = problems_of(text)
    assert any(line.startswith(expected) for line in lines), lines


def test_a_file_that_is_not_utf8_is_named_with_its_position(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.yaml", b"name: x\nrules:\n  - reply: [{message: 'caf\xe9'}]\n")
    loaded = collect([path])
    assert [str(p) for p in loaded.problems] == [
        f"{path}:3:27: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    ]


def test_duplicate_scenario_names_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", GOOD)
    second = write(tmp_path, "b.yaml", "# same name\n" + GOOD)
    with pytest.raises(ScenarioLoadError) as info:
        load_paths([first, second])
    assert info.value.lines() == [
        f"{second}:2:7: $.name: duplicate scenario name 'hello' (first at {first}:1); "
        "scenario names are unique across everything loaded"
    ]


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        "name: a\nrules:\n  - when: {modle: x, input_matches: '('}\n"
        "    reply: [{message: '{{ nope }}'}]\n",
    )
    write(tmp_path, "b.yaml", "name: b\nrules: []\n")
    loaded = collect([tmp_path])
    assert loaded.scenarios  # the sound parts were built, and are still not served:
    assert len(loaded.problems) == 4
    with pytest.raises(ScenarioLoadError) as info:
        load_paths([tmp_path])
    assert str(info.value).startswith("4 problems in scenario files:\n")


def test_a_missing_path_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(ScenarioLoadError) as info:
        load_paths([tmp_path / "absent.yaml"])
    assert info.value.lines() == [f"{tmp_path / 'absent.yaml'}: no such file or directory"]


def test_load_text_reads_json_too() -> None:
    (scenario,) = load_text('{"name": "j", "rules": [{"reply": [{"message": "hi"}]}]}', "admin")
    assert scenario.name == "j"


def test_load_text_names_its_source_in_messages() -> None:
    lines = problems_of("name: x\nrules: []\n", source="admin:PUT /_mock/scenarios")
    assert lines[0].startswith("admin:PUT /_mock/scenarios:2:8: $.rules: empty list")


def test_anchors_and_merge_keys_work() -> None:
    text = """\
    name: x
    rules:
      - &base {name: a, when: {model: "gpt-4o*"}, reply: [{message: a}]}
      - <<: *base
        name: b
    """
    (scenario,) = load_text(textwrap.dedent(text), "t")
    assert [r.name for r in scenario.rules] == ["a", "b"]
    assert scenario.rules[1].when[0].raw == "gpt-4o*"


def test_alias_chains_are_bounded() -> None:
    """`&a [*b x10]` nine levels deep is 10**9 values: refused at the limit, not built."""
    lines = ["  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = "name: x\nx:\n" + "\n".join(lines) + "\nrules: [{reply: [{message: a}]}]\n"
    found = problems_of(text)
    assert any("more than 100000 values (YAML aliases expanded)" in line for line in found)
