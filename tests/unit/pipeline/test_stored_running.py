"""A streamed or background response is stored without its JSON: its Run writes the body at
once. Read before that, the body is the one encoding of the Response it always was."""

from __future__ import annotations

import random
from typing import Any

import pytest

from mockserver.jsonbytes import dumps_to_keep
from mockserver.openai.ids import IdFactory
from mockserver.pipeline.store import StoredResponse, Tenant

RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "status": "completed",
    "background": True,
    "output": [],
    "metadata": {"k": "caf\u00e9"},
}


def _tenant() -> Tenant:
    rng = random.Random(1)
    return Tenant(name="t", rng=rng, ids=IdFactory(rng))


def test_a_running_responses_body_read_before_its_run_is_its_encoding() -> None:
    stored = StoredResponse(_tenant(), RESPONSE, [], None, running=True)
    assert (
        stored.body == dumps_to_keep(RESPONSE) == StoredResponse(_tenant(), RESPONSE, [], None).body
    )
    assert stored.body is stored.body  # encoded once
    assert stored.background and stored.response() == RESPONSE


def test_a_running_responses_body_is_what_its_run_writes() -> None:
    stored = StoredResponse(_tenant(), RESPONSE, [], None, running=True)
    stored.update(b'{"id":"resp_1","status":"in_progress"}')
    assert stored.body == b'{"id":"resp_1","status":"in_progress"}'
    with pytest.raises(AttributeError):  # only `body` is made on reading
        stored.nothing  # type: ignore[attr-defined]  # noqa: B018
