"""`{{ }}` templates: dotted names and filters only, checked at load, clear at answer time."""

from __future__ import annotations

import contextlib
import time

import pytest

from mockserver.scenario.template import Scope, TemplateError, parse, render, render_value

VALUES = {
    "request": {"model": "gpt-4o", "metadata": {"user": "ada"}, "input": [{"role": "user"}]},
    "input": "Hello  ",
    "tool_output": {"get_weather": {"temp_c": 21, "tags": ["sun", "wind"]}, "echo": "raw"},
    "call": 2,
}


def run(source: str) -> str:
    return render(parse(source), Scope(VALUES, lambda name: f"<{name}>"))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("plain text", "plain text"),
        ("{{ request.model }}", "gpt-4o"),
        ("{{request.metadata.user}}!", "ada!"),
        ("{{ request.input.0.role }}", "user"),
        ("{{ tool_output.get_weather.temp_c }} C", "21 C"),
        ("{{ tool_output.get_weather.tags }}", '["sun", "wind"]'),
        ("{{ tool_output.get_weather.tags.1 | upper }}", "WIND"),
        ("{{ tool_output.echo }}", "raw"),
        ("{{ input | trim | lower }}", "hello"),
        ("{{ tool_output.get_weather | json }}", '{"temp_c": 21, "tags": ["sun", "wind"]}'),
        ("{{ tool_output.get_weather.tags | length }}", "2"),
        ("{{ request.metadata.team | default('none') }}", "none"),
        ('{{ tool_output.search.hits | default("no hits") }}', "no hits"),
        ("{{ call }}/{{ faker.city }}", "2/<city>"),
        ("{{ '{{' }} literal", "{{ literal"),
    ],
)
def test_render(source: str, expected: str) -> None:
    assert run(source) == expected


def test_a_lone_expression_keeps_its_json_type() -> None:
    scope = Scope(VALUES, lambda name: name)
    assert render_value(parse("{{ tool_output.get_weather.temp_c }}"), scope) == 21
    assert render_value(parse("{{ tool_output.get_weather.tags }}"), scope) == ["sun", "wind"]
    assert render_value(parse("t={{ call }}"), scope) == "t=2"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ nope }}", "unknown name 'nope'; allowed: call, faker, fired, input"),
        ("{{ tool_ouput.x }}", "unknown name 'tool_ouput' (did you mean 'tool_output'?)"),
        ("{{ input.length }}", "'input' has no fields; write {{ input }}"),
        ("{{ tool_output }}", "name the tool: tool_output.TOOL_NAME[.field...]"),
        ("{{ faker }}", "write faker.PROVIDER"),
        ("{{ faker.nme }}", "unknown faker provider 'nme' (did you mean 'name'?)"),
        ("{{ input | shout }}", "unknown filter 'shout'; allowed: default, json, length"),
        ("{{ input | upper('x') }}", "only default takes an argument"),
        ("{{ request['model'] }}", "is not a dotted name"),
        ("{{ request.model() }}", "is not a dotted name"),
        ("{{ __import__('os') }}", "is not a dotted name"),
        ("{{ }}", "is not a dotted name"),
        ("hello {{ input", "'{{' is not closed by '}}'"),
        ("{{ nope }} and {{ input | shout }}", "unknown name 'nope'"),
    ],
)
def test_load_time_errors(source: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        parse(source)
    assert message in str(info.value)


def test_all_errors_of_one_template_are_reported_together() -> None:
    with pytest.raises(TemplateError) as info:
        parse("{{ nope }} and {{ input | shout }}")
    assert "unknown name 'nope'" in str(info.value) and "unknown filter 'shout'" in str(info.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "{{ request.metadata.team }}",
            "{{ request.metadata.team }}: request.metadata has no 'team'; it has: user",
        ),
        (
            "{{ tool_output.search.x }}",
            "no output of tool 'search' in the conversation (tool outputs: echo, get_weather)",
        ),
        ("{{ request.input.5 }}", "request.input has no '5'"),
        # No attribute walking: Python internals are just missing keys.
        ("{{ request.__class__ }}", "request has no '__class__'"),
        ("{{ request.model.__len__ }}", "request.model has no '__len__'"),
        ("{{ call | length }}", "length of int is undefined"),
    ],
)
def test_answer_time_errors_are_template_errors(source: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        run(source)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "source",
    [
        "{{ " * 20_000,  # unclosed: once quadratic (17-22 s), now one linear scan
        "{{ '" * 20_000,
        "{{ input }} {{ " * 20_000,
        "{{ nope! }}" * 2_000,  # 2,000 errors, each reported
        "{{" * 20_000 + "}}",
        "{{ input | upper }}" * 2_000,  # valid: 2,000 expressions
    ],
    ids=["unclosed", "unclosed-quote", "closed-then-unclosed", "all-bad", "nested", "valid"],
)
def test_parse_is_linear_within_a_time_budget(source: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(TemplateError):
        parse(source)
    assert time.perf_counter() - started < 2.0  # quadratic was 17-36 s; linear is milliseconds
