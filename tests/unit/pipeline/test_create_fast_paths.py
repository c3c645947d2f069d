"""The create steps' shortcuts for a plain request agree with the full steps they skip."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from typing import Any

import pytest

from mockserver.catalog import rules
from mockserver.catalog.includes import check_include
from mockserver.catalog.models import Catalogue, ModelInfo, builtin_catalogue
from mockserver.catalog.rules import check_request
from mockserver.errors import MockError
from mockserver.http.exchange import Exchange
from mockserver.openai.ids import IdFactory
from mockserver.openai.request import parse_request
from mockserver.pipeline import loop_check
from mockserver.pipeline.conversations import open_continuation
from mockserver.pipeline.store import Tenant

TEXT = "hello, what is the weather in Paris?"
USER = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}


def tenant() -> Tenant:
    rng = random.Random(1)
    return Tenant(name="t", rng=rng, ids=IdFactory(rng))


def exchange() -> Exchange:
    return Exchange("req_1", "POST", "/v1/responses", 0.0)


def test_a_lone_string_input_continues_as_its_one_message_would() -> None:
    """open_continuation's shortcut for a string input gives what the full path gives for
    the same message sent as a list."""
    alone = parse_request({"model": "gpt-4o", "input": TEXT}, strict=True)
    listed = parse_request({"model": "gpt-4o", "input": alone.input_items}, strict=True)
    assert alone.input_items == listed.input_items
    fast = open_continuation(tenant(), alone, exchange())
    full = open_continuation(tenant(), listed, exchange())
    assert fast == full
    assert fast.counted is not alone.input_items  # its own list, as the full path makes


def test_a_list_input_continues_as_the_full_path_would() -> None:
    """The shortcut for a request that continues nothing (a list input of messages) gives
    what the full path gives; a compaction item in the input still takes the full path."""
    req = parse_request({"model": "gpt-4o", "input": [USER, USER]}, strict=True)
    fast = open_continuation(tenant(), req, exchange())
    assert fast.counted == req.input_items and fast.counted is not req.input_items
    assert (fast.history_len, fast.earlier, fast.conversation) == (0, [], None)


def test_messages_without_ids_and_no_history_pass_the_agent_loop_check() -> None:
    """check() returns at once for them; the full walk agrees (nothing to pair or repeat)."""
    items: list[dict[str, Any]] = [USER, {"role": "system", "content": "be brief"}]
    items.append({**USER, "role": "assistant"})
    loop_check.check(tenant(), [], items)
    resolved = loop_check._resolve_references(tenant(), [], items, {})
    loop_check._no_duplicates([], resolved)
    loop_check._reasoning_followed(resolved)
    loop_check._outputs_have_calls(resolved)
    loop_check._calls_have_outputs(resolved)
    with pytest.raises(MockError):  # an id repeated: not plain, checked
        loop_check.check(tenant(), [], [{**USER, "id": "msg_1"}, {**USER, "id": "msg_1"}])


def test_a_lone_string_input_passes_the_agent_loop_check() -> None:
    """open_turn skips the check for a string input with no earlier items: it cannot fail."""
    req = parse_request({"model": "gpt-4o", "input": TEXT}, strict=True)
    loop_check.check(tenant(), [], req.input_items)


def _every_rule(body: dict[str, Any], catalogue: Catalogue) -> ModelInfo:
    """check_request as it was before it skipped rules: every rule runs, in the API's order."""
    info = rules.resolve_model(str(body.get("model", "")), catalogue, False)
    if not info.known:
        return info
    rules._check_sampling(body, info, rules._check_reasoning(body, info))
    check_include(body.get("include"), info)
    rules._check_tools(body.get("tools"), info)
    rules._check_max_output(body.get("max_output_tokens"), info)
    rules._check_context(body, [], info)
    return info


def _outcome(check: Callable[[], ModelInfo]) -> object:
    try:
        return check()
    except MockError as exc:
        return (type(exc), exc.param, exc.code, exc.message)


FIELDS: dict[str, Any] = {
    "reasoning": {"effort": "minimal", "summary": "auto"},
    "temperature": 0.5,
    "top_p": 0.5,
    "include": ["reasoning.encrypted_content"],
    "tools": [{"type": "image_generation"}, {"type": "web_search"}],
    "max_output_tokens": 10_000_000,
}


def test_model_rules_skip_only_what_cannot_refuse() -> None:
    """check_request runs a rule only when the body sends its field: for every catalogue
    model and every combination of those fields, the answer is every rule's answer."""
    catalogue = builtin_catalogue()
    names = list(FIELDS)
    for model in [*(m.id for m in catalogue.models), "not-a-model"]:
        for mask in range(1 << len(names)):
            body = {"model": model, **{n: FIELDS[n] for i, n in enumerate(names) if mask >> i & 1}}
            body.setdefault("tools", [])
            fast = _outcome(functools.partial(check_request, body, [], catalogue, False))
            full = _outcome(functools.partial(_every_rule, body, catalogue))
            assert fast == full, (model, sorted(body))
