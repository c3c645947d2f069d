"""`mockserver validate` and `mockserver schema`, and the schema's agreement with the code."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from mockserver.cli import main
from mockserver.scenario.delegated import DELEGATES
from mockserver.scenario.reply import REPLIES
from mockserver.scenario.schema import schema
from mockserver.scenario.when import WHEN
from mockserver.streaming.schedule import Pacing

GALLERY = Path(__file__).resolve().parents[3] / "scenarios"
BAD = """\
name: broken
rules:
  - when: {modle: gpt-4o, input_matches: "(x"}
    reply: [{message: "{{ nope }}"}]
"""


def test_validate_accepts_the_gallery(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(GALLERY)]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("ok: ")


def test_validate_lists_every_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(BAD, encoding="utf-8")
    assert main(["validate", str(GALLERY), str(bad)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{bad}:3:12: $.rules[0].when.modle: unknown key 'modle' (did you mean 'model'?); allowed: "
        "call, compacted, conversation, conversation_items, conversation_metadata, "
        "has_tool_output, headers, input_contains, input_matches, instructions_contains, json, "
        "metadata, model, probability, stream, tools, turn",
        f"{bad}:3:42: $.rules[0].when.input_matches: invalid regular expression: missing ), "
        "unterminated subpattern at position 0",
        f"{bad}:4:23: $.rules[0].reply[0].message: template: unknown name 'nope'; allowed: call, "
        "faker, fired, input, instructions, metadata, model, request, rule, scenario, "
        "tool_output, turn",
    ]


def test_validate_reports_missing_paths_and_empty_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml"), str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{tmp_path / 'nope.yaml'}: no such file or directory",
        f"{tmp_path}: no .yaml or .yml files in this folder",
    ]


def test_validate_says_how_much_it_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "one.yaml").write_text(
        "name: one\nrules: [{reply: [{message: a}]}]\n", encoding="utf-8"
    )
    (tmp_path / "two.yml").write_text(
        "name: two\nrules:\n  - {when: {call: 1}, reply: [{message: b}]}\n"
        "  - {reply: [{message: c}]}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "ok: 2 files, 2 scenarios, 3 rules\n"
    assert main(["validate", str(tmp_path / "one.yaml")]) == 0
    assert capsys.readouterr().out == "ok: 1 file, 1 scenario, 1 rule\n"


def test_the_installed_command_validates(tmp_path: Path) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_text("name: b\nrules: []\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mockserver", "validate", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert run.stderr == f"{bad}:2:8: $.rules: empty list; a scenario needs at least one rule\n"


def test_schema_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == schema()
    jsonschema.Draft202012Validator.check_schema(printed)


def test_the_gallery_is_valid_for_editors_too() -> None:
    """What a YAML language server checks with the printed schema: the root anyOf."""
    validator = jsonschema.Draft202012Validator(schema())
    for path in sorted(GALLERY.glob("*.yaml")):
        validator.validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_the_schema_lists_exactly_the_registered_names() -> None:
    defs = schema()["$defs"]
    assert set(defs["when"]["properties"]) == set(WHEN)
    assert set(defs["reply_item"]["properties"]) == set(REPLIES)
    pacing_keys = {f.name for f in dataclasses.fields(Pacing)} - {"chunks"}
    assert set(defs["pacing"]["properties"]) == pacing_keys
    delegated = set(defs["scenario"]["properties"]) | set(defs["rule"]["properties"])
    assert set(DELEGATES) <= delegated


SHADOWED = """\
name: shadow
rules:
  - name: greet
    reply: [{message: hi}]
  - name: third
    when: {call: 3}
    reply: [{message: third}]
  - name: last
    times: 1
    reply: [{message: last}]
"""


def test_validate_warns_about_rules_after_one_that_always_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shadow = tmp_path / "shadow.yaml"
    shadow.write_text(SHADOWED, encoding="utf-8")
    assert main(["validate", str(shadow)]) == 0  # a warning does not fail
    out, err = capsys.readouterr()
    assert out == "ok: 1 file, 1 scenario, 3 rules\n"
    reason = (
        f"the earlier rule 'greet' ({shadow}:3) has no `when` and no `times`, "
        "so it answers every request first"
    )
    assert err.splitlines() == [
        f"{shadow}:5: warning: scenario 'shadow': rule 'third' can never match: {reason}",
        f"{shadow}:8: warning: scenario 'shadow': rule 'last' can never match: {reason}",
    ]


def test_validate_does_not_warn_when_the_catch_all_is_last_or_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fine = tmp_path / "fine.yaml"
    fine.write_text(
        "name: fine\nrules:\n  - {times: 2, reply: [{message: a}]}\n"
        "  - {when: {call: 3}, reply: [{message: b}]}\n  - {reply: [{message: c}]}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(fine)]) == 0
    assert capsys.readouterr() == ("ok: 1 file, 1 scenario, 3 rules\n", "")


WEAKER = """\
name: weaker
rules:
  - name: weather
    when: {input_contains: weather}
    reply: [{message: sunny}]
  - name: weather-with-tools
    when: {input_contains: weather, tools: [get_weather]}
    reply: [{message: never}]
  - name: lucky
    when: {probability: 0.5}
    reply: [{message: sometimes}]
  - name: lucky-weather
    when: {probability: 0.5, input_contains: weather, model: gpt-4o}
    reply: [{message: drawn apart}]
"""


def test_validate_warns_about_a_rule_shadowed_by_a_weaker_when(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "weaker.yaml"
    path.write_text(WEAKER, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    reason = (
        f"the earlier rule 'weather' ({path}:3) has no `times` and its `when` (input_contains) "
        "holds whenever this rule's does, so it answers first"
    )
    # `lucky-weather` is shadowed by `weather` too; `lucky`'s draw is its own and shadows nothing.
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:6: warning: scenario 'weaker': rule 'weather-with-tools' can never match: "
        f"{reason}",
        f"{path}:12: warning: scenario 'weaker': rule 'lucky-weather' can never match: {reason}",
    ]
