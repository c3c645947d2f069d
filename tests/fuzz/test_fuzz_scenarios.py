"""Property-based fuzz of scenario documents: rules shaped like schema.json's, then mutated,
written as YAML (sometimes cut short or with odd bytes). The loader answers every document with
scenarios or file:line problems, never another exception; a document the admin API receives
is 201 or 400, never a 5xx; a scenario that loads answers a request without a 5xx or a
traceback. A fixed, derandomized budget, so CI can afford it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from fuzzsupport import FUZZ, PER_REQUEST_S, any_json, check_answer, json_scalars, served
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mockserver.scenario.load import load_text
from mockserver.scenario.problems import ScenarioLoadError

SCENARIO_FUZZ = settings(FUZZ, max_examples=80)
OUTCOMES: list[str] = []  # loaded / refused / served, for the test after the fuzz
# Always tried besides the drawn ones: a valid scenario, so the fuzz surely gets past loading.
VALID = {"name": "valid", "rules": [{"name": "hello", "reply": [{"message": "Hi {{ input }}"}]}]}
VALID_DOCUMENT = (yaml.safe_dump(VALID), VALID)
LOCATED = re.compile(r"^[^:]+:\d+:\d+: ")

words = st.text("abc xyz{}|.", max_size=24)
# A valid scenario first (schema.json's shapes); documents() then breaks some of them.
when = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["gpt-4o", "gpt-5*"]),
        "input_contains": words,
        "input_matches": st.sampled_from(["^hi", "(a+)+$", "x{2,}"]),
        "stream": st.booleans(),
        "call": st.integers(1, 3),
        "tools": st.lists(st.sampled_from(["f", "g"]), max_size=2),
        "probability": st.floats(0, 1),
    },
)
reply_item = st.one_of(
    st.fixed_dictionaries({"message": words}),
    st.fixed_dictionaries(
        {"message": st.sampled_from(["{{ input }}", "{{ faker.name }}", "{{ call | upper }}"])}
    ),
    st.fixed_dictionaries(
        {
            "tool_call": st.fixed_dictionaries(
                {"name": st.sampled_from(["f", "g"])},
                optional={
                    "arguments": st.dictionaries(
                        st.text("ab", min_size=1, max_size=3), json_scalars, max_size=3
                    )
                },
            )
        }
    ),
    st.fixed_dictionaries(
        {"json": st.dictionaries(st.text("ab", min_size=1, max_size=3), json_scalars, max_size=3)}
    ),
    st.fixed_dictionaries({"reasoning": words}),
)
rule = st.fixed_dictionaries(
    {"reply": st.lists(reply_item, min_size=1, max_size=3)},
    optional={
        "name": st.text("ruleABC-", min_size=1, max_size=8),
        "when": when,
        "times": st.integers(1, 3),
        "error": st.sampled_from(["server_error", "rate_limit_exceeded", "overloaded"]),
        "fault": st.sampled_from(["disconnect", "stall", "garbage"]),
        "latency_ms": st.integers(0, 20),
        "status": st.sampled_from(["completed", "incomplete", "failed"]),
        "expect": st.fixed_dictionaries(
            {},
            optional={
                "tools": st.lists(st.sampled_from(["f", "g"]), max_size=2),
                "input_contains": words,
            },
        ),
    },
)
scenario = st.fixed_dictionaries(
    {
        "name": st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
        "rules": st.lists(rule, min_size=1, max_size=3),
    },
    optional={"description": words},
)
odd_values = any_json | st.sampled_from(
    ["{{ faker.time_series }}", "{{ nope }}", "{{", "-1", "(a+)+$", "["]
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(YAML text, the scenario it was written from), mutated at the text level sometimes."""
    value: dict[str, Any] = draw(scenario)
    for _ in range(draw(st.integers(0, 2))):  # a key of a rule, or of its when, made odd
        target = draw(st.sampled_from(value["rules"]))
        if "when" in target and draw(st.booleans()):
            target = target["when"]
        keys = [*sorted(target), "usage", "models", "on_retry"]
        target[draw(st.sampled_from(keys))] = draw(odd_values)
    text = yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
    cut = draw(st.integers(0, 6))
    if cut == 0:  # cut short
        text = text[: draw(st.integers(0, len(text)))]
    elif cut == 1:  # an odd character somewhere
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.sampled_from(["\t", "&a", "*a", "{", "- ", "\x00", ": :"]))
            + text[at:]
        )
    return text, value


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with served(seed=12) as client:
        yield client


@SCENARIO_FUZZ
@given(document=documents())
@example(document=VALID_DOCUMENT)
def test_the_loader_answers_every_document(document: tuple[str, dict[str, Any]]) -> None:
    text, _ = document
    start = time.monotonic()
    try:
        loaded = load_text(text, "fuzz.yaml")
    except ScenarioLoadError as refused:
        lines = refused.lines()
        assert lines and all(LOCATED.match(line) for line in lines), lines
        OUTCOMES.append("refused")
    else:
        assert all(s.rules for s in loaded)
        OUTCOMES.append("loaded")
    assert time.monotonic() - start < PER_REQUEST_S


@SCENARIO_FUZZ
@given(document=documents(), stream=st.booleans())
@example(document=VALID_DOCUMENT, stream=True)
def test_the_admin_api_takes_or_refuses_every_document_and_serves_what_it_takes(
    http: httpx.Client, document: tuple[str, dict[str, Any]], stream: bool
) -> None:
    text, value = document
    start = time.monotonic()
    added = http.post(
        "/_mock/scenarios", content=text.encode(), headers={"Content-Type": "application/yaml"}
    )
    check_answer(added.status_code, added.text, time.monotonic() - start)
    assert added.status_code in (201, 400), added.text
    if added.status_code != 201:
        return
    name = added.json()["data"][0]["name"]
    tools = [{"type": "function", "name": n} for n in ("f", "g", "fg")]
    body = {"model": "gpt-4o", "input": "hi abc", "stream": stream, "tools": tools}
    start = time.monotonic()
    with http.stream(
        "POST",
        "/v1/responses",
        json=body,
        headers={"Authorization": "Bearer sk-fz", "X-Mock-Scenario": name},
    ) as resp:
        answer = resp.read().decode(errors="replace")
    if "fault" not in str(value):  # a scripted fault may cut, stall or garble on purpose
        check_answer(resp.status_code, answer, time.monotonic() - start)
    assert "Traceback" not in answer
    OUTCOMES.append("served")
    http.delete(f"/_mock/scenarios/{name}")


def test_the_fuzz_reached_both_outcomes() -> None:
    assert {"loaded", "refused", "served"} <= set(OUTCOMES), OUTCOMES
