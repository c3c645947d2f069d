"""`include[]` as the API honours it: optional parts of items are shown only when asked for.

`apply_includes` runs on a response's final output items (generated or scripted): an included
part that is missing is filled in plausibly; a part that is not included is hidden, as the
real API hides it, so a test can tell whether its client asked. `apply_input_includes` does
the same for input items (GET /v1/responses/{id}/input_items).
"""

from __future__ import annotations

import copy
import random
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mockserver.catalog.logprobs import logprobs_for
from mockserver.catalog.models import ModelInfo
from mockserver.catalog.reasoning import ENCRYPTED, encrypted_content_for
from mockserver.errors import InvalidRequest

LOGPROBS = "message.output_text.logprobs"
FILE_SEARCH_RESULTS = "file_search_call.results"
WEB_SEARCH_SOURCES = "web_search_call.action.sources"
CODE_OUTPUTS = "code_interpreter_call.outputs"
INPUT_IMAGE_URL = "message.input_image.image_url"
COMPUTER_IMAGE_URL = "computer_call_output.output.image_url"
_SOURCE_SITES = ("en.wikipedia.org", "www.reuters.com", "www.bbc.com", "apnews.com")
_ALNUM = string.ascii_letters + string.digits
_NOTHING: frozenset[str] = frozenset()


def check_include(include: Any, info: ModelInfo) -> None:
    """The model-specific include rule: encrypted reasoning needs a reasoning model."""
    if info.known and not info.reasons and ENCRYPTED in (include or ()):
        raise InvalidRequest("Encrypted content is not supported with this model.", param="include")


def apply_includes(
    items: Sequence[Mapping[str, Any]],
    include: Iterable[str] | None,
    rng: random.Random,
    *,
    top_logprobs: int = 0,
    with_logprobs: bool = True,
) -> list[dict[str, Any]]:
    """Output items as the API returns them for this include list (copies; inputs untouched).

    `with_logprobs` is False for reasoning runs, whose text carries no logprobs even when asked.
    """
    memo: dict[int, Any] = {}
    sources = [dict(item) for item in items]  # alive until copied: the memo keys on id()
    out = [_json_copy(item, memo) for item in sources]
    return apply_includes_in_place(
        out, include, rng, top_logprobs=top_logprobs, with_logprobs=with_logprobs
    )


def apply_includes_in_place(
    items: list[dict[str, Any]],
    include: Iterable[str] | None,
    rng: random.Random,
    *,
    top_logprobs: int = 0,
    with_logprobs: bool = True,
) -> list[dict[str, Any]]:
    """`apply_includes` on items the caller owns whole (just rendered, sharing nothing
    with a plan or a scenario): changed where they are, no copy. Returns `items`."""
    wanted = set(include) if include else _NOTHING
    logprobs = LOGPROBS in wanted and with_logprobs
    for item in items:
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or ():
                if not isinstance(part, dict) or part.get("type") != "output_text":
                    continue
                if not logprobs:
                    part["logprobs"] = []
                elif not part.get("logprobs"):
                    part["logprobs"] = logprobs_for(str(part.get("text", "")), top_logprobs, rng)
        elif kind == "reasoning":
            _encrypted(item, ENCRYPTED in wanted, rng)
        elif kind == "file_search_call":
            _file_search_results(item, FILE_SEARCH_RESULTS in wanted, rng)
        elif kind == "web_search_call":
            _web_search_sources(item, WEB_SEARCH_SOURCES in wanted, rng)
        elif kind == "code_interpreter_call" and CODE_OUTPUTS not in wanted:
            item["outputs"] = None
        elif kind == "code_interpreter_call" and item.get("outputs") is None:
            item["outputs"] = []
    return items


_ATOMS = frozenset({str, int, float, bool, type(None)})


def _json_copy(value: Any, memo: dict[int, Any]) -> Any:
    """copy.deepcopy for JSON-shaped data at a fraction of its cost (it runs on every answer).

    Like deepcopy, an object met twice is copied once (the memo), so shared parts stay shared;
    anything that is not a dict, list or scalar goes to deepcopy itself.
    """
    cls = type(value)
    if cls in _ATOMS:
        return value
    if cls is not dict and cls is not list:
        return copy.deepcopy(value, memo)
    done = memo.get(id(value))
    if done is not None:
        return done
    if cls is dict:
        as_dict: dict[str, Any] = {}
        memo[id(value)] = as_dict
        for key, item in value.items():
            as_dict[key] = item if type(item) in _ATOMS else _json_copy(item, memo)
        return as_dict
    as_list: list[Any] = []
    memo[id(value)] = as_list
    for item in value:
        as_list.append(item if type(item) in _ATOMS else _json_copy(item, memo))
    return as_list


def apply_input_includes(
    items: Sequence[Mapping[str, Any]], include: Iterable[str] | None
) -> list[dict[str, Any]]:
    """Input items as input_items lists them: image urls only when included."""
    wanted = set(include or ())
    out = [copy.deepcopy(dict(item)) for item in items]
    for item in out:
        if item.get("type", "message") == "message" and INPUT_IMAGE_URL not in wanted:
            for part in item.get("content") or ():
                if isinstance(part, dict) and part.get("type") == "input_image":
                    part["image_url"] = None
        output = item.get("output")
        hide = COMPUTER_IMAGE_URL not in wanted and item.get("type") == "computer_call_output"
        if hide and isinstance(output, dict):
            output.pop("image_url", None)
    return out


def _encrypted(item: dict[str, Any], on: bool, rng: random.Random) -> None:
    if not on:
        item.pop("encrypted_content", None)
    elif not item.get("encrypted_content"):
        item["encrypted_content"] = encrypted_content_for(rng.randint(64, 1024), rng)


def _file_search_results(item: dict[str, Any], on: bool, rng: random.Random) -> None:
    if not on:
        item["results"] = None
    elif item.get("results") is None:
        queries = [q for q in item.get("queries") or () if isinstance(q, str)] or ["document"]
        item["results"] = [_file_result(rng.choice(queries), rng) for _ in range(rng.randint(1, 3))]


def _file_result(query: str, rng: random.Random) -> dict[str, Any]:
    slug = _slug(query, "_") or "document"
    return {
        "file_id": "file-" + "".join(rng.choices(_ALNUM, k=22)),
        "filename": f"{slug}.pdf",
        "score": round(rng.uniform(0.55, 0.98), 4),
        "text": f"... {query} ...",
        "attributes": {},
    }


def _web_search_sources(item: dict[str, Any], on: bool, rng: random.Random) -> None:
    action = item.get("action")
    if not isinstance(action, dict) or action.get("type") != "search":
        return
    if not on:
        action.pop("sources", None)
    elif not action.get("sources"):
        queries = action.get("queries") or [action.get("query") or "search"]
        slug = _slug(str(queries[0]), "_") or "Search"
        sites = rng.sample(_SOURCE_SITES, rng.randint(2, len(_SOURCE_SITES)))
        action["sources"] = [{"type": "url", "url": f"https://{s}/{slug}"} for s in sites]


def _slug(text: str, sep: str) -> str:
    return sep.join(re.findall(r"[A-Za-z0-9]+", text)[:6])
