"""Generate docs/fidelity.md: every Response field, output item type and stream event type of
the official spec and of the newest openai-python, with what the mock does with it.

What the mock does is read from the code itself, so the table cannot drift from it:
- Response fields: the keys `openai/response.py: build_response` writes (for a bare request,
  and for one that sends `user` and `prompt`), and which of them the Plan-driven arguments
  (status, output, usage, error) change: those a scenario scripts.
- Item types: what `openai/items.py: render_item` makes of each kind of Plan item (emitted
  by replies and the zero-config generator), and the types a verbatim `item:` reply accepts
  (`scenario/spec_items.py`, the spec's OutputItem).
- Stream event types: the events `openai/events.py: render_events` produces for the native
  items and every lifecycle (completed, incomplete, failed with an error event, background),
  then for items of every scriptable type drawn from their spec schemas
  (`zeroconfig` generator, fixed seeds).

The spec's lists come from tests/data/openai-spec-subset.json (generated from the spec by
gen_test_spec.py); the SDK's from scripts/openai_sdk_types.json, extracted from the installed
openai package by `--refresh-sdk`. Run it and commit the result; `--check` fails when the
committed table differs (tests/unit/test_fidelity_table.py runs that check):

    python scripts/gen_fidelity_table.py [--check] [--refresh-sdk]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mockserver.openai.event_items import RENDERERS
from mockserver.openai.events import StreamOptions, render_events
from mockserver.openai.ids import IdFactory
from mockserver.openai.items import render_item
from mockserver.openai.request import parse_request
from mockserver.openai.response import build_response
from mockserver.plan import FunctionCallPlan, ItemPlan, MessagePlan, ReasoningPlan, VerbatimPlan
from mockserver.scenario import spec_items
from mockserver.zeroconfig.generate import json_for_schema

ROOT = Path(__file__).resolve().parents[1]
SPEC_SUBSET = ROOT / "tests" / "data" / "openai-spec-subset.json"
SDK_TYPES = Path(__file__).resolve().parent / "openai_sdk_types.json"
OUT = ROOT / "docs" / "fidelity.md"
SEEDS = range(16)  # items drawn per scriptable type (deterministic)
Lists = dict[str, list[str]]  # "response_fields" / "item_types" / "event_types" -> names

# --- what the spec and the SDK list --------------------------------------------------------


def spec_lists() -> Lists:
    subset = json.loads(SPEC_SUBSET.read_text(encoding="utf-8"))
    schemas = subset["components"]["schemas"]

    def props(schema: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if "$ref" in schema:
            found.update(props(schemas[schema["$ref"].rsplit("/", 1)[1]]))
        for part in schema.get("allOf", []):
            found.update(props(part))
        found.update(schema.get("properties", {}))
        return found

    def types(name: str) -> list[str]:
        union = schemas[name].get("oneOf") or schemas[name].get("anyOf") or []
        return sorted(t for u in union for t in props(u)["type"]["enum"])

    return {
        "response_fields": sorted(props(schemas["Response"])),
        "item_types": types("OutputItem"),
        "event_types": types("ResponseStreamEvent"),
    }


def spec_version() -> str:
    version: str = json.loads(SPEC_SUBSET.read_text(encoding="utf-8"))["info"]["version"]
    return version


def installed_sdk_lists() -> dict[str, Any]:
    """The installed openai package's Response fields, output item and stream event types."""
    import openai
    from openai.types.responses import Response, ResponseOutputItem, ResponseStreamEvent

    def types(union: Any) -> list[str]:
        if typing.get_origin(union) is typing.Annotated:
            union = typing.get_args(union)[0]
        members = [typing.get_args(m)[0] if typing.get_origin(m) else m for m in union.__args__]
        return sorted(typing.get_args(m.model_fields["type"].annotation)[0] for m in members)

    return {
        "openai": openai.__version__,
        "response_fields": sorted(Response.model_fields),
        "item_types": types(ResponseOutputItem),
        "event_types": types(ResponseStreamEvent),
    }


def sdk_lists() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SDK_TYPES.read_text(encoding="utf-8"))
    return loaded


# --- what the code does --------------------------------------------------------------------


def _request(body: dict[str, Any]) -> Any:
    return parse_request({"model": "gpt-4o", "input": "hi", **body}, strict=False)


def _response(req: Any, **args: Any) -> dict[str, Any]:
    settled = {"status": "completed", "output": [], "usage": {"input_tokens": 1}, **args}
    return build_response(req, rid="resp_0", created_at=0, **settled)


# The arguments of build_response a Plan decides (pipeline/render.py): a scenario scripts them.
PLAN_DRIVEN: dict[str, dict[str, Any]] = {
    "status": {"status": "incomplete", "incomplete_reason": "max_output_tokens"},
    "output": {"output": [{"type": "message"}]},
    "usage": {"usage": {"input_tokens": 2}},
    "error": {"status": "failed", "error": {"code": "server_error", "message": "x"}},
}


def field_status() -> dict[str, str]:
    bare = _response(_request({}))
    sent = _response(_request({"user": "u", "prompt": {"id": "pmpt_1"}, "conversation": "conv_1"}))
    scripted = set()
    for args in PLAN_DRIVEN.values():
        changed = _response(_request({}), **args)
        scripted |= {key for key, value in changed.items() if value != bare.get(key)}
    status = {key: "emitted" for key in bare}
    status.update({key: "emitted when sent" for key in sent if key not in bare})
    status.update({key: "emitted, scriptable" for key in scripted})
    return status


def _native_plans() -> list[ItemPlan]:
    """One Plan item of each kind replies and the generator make (not the verbatim one)."""
    logprob = {"token": "Hi", "logprob": -0.1, "bytes": [72, 105], "top_logprobs": []}
    note = {"type": "url_citation", "start_index": 0, "end_index": 2, "url": "u", "title": "t"}
    plans: list[ItemPlan] = [
        MessagePlan("Hi there", (note,), logprobs=(logprob,)),
        MessagePlan("No.", refusal=True),
        FunctionCallPlan("f", '{"a":1}'),
        ReasoningPlan(("Thinking.",), ("Steps.",)),
    ]
    kinds = {type(p) for p in plans} | {VerbatimPlan}
    assert kinds == set(typing.get_args(ItemPlan)), "a new kind of Plan item: add one here"
    return plans


def native_items() -> list[dict[str, Any]]:
    ids = IdFactory(random.Random(0))
    return [render_item(plan, ids) for plan in _native_plans()]


def drawn_items(item_type: str) -> list[dict[str, Any]]:
    """Spec-valid items of one scriptable type, drawn from its schema."""
    schema = spec_items.item_schema(item_type)
    return [json_for_schema(schema, random.Random(seed)) for seed in SEEDS]


def events_of(output: list[dict[str, Any]], status: str = "completed", **opts: Any) -> set[str]:
    req = _request({"tools": [{"type": "image_generation", "partial_images": 1}]})
    extra = {"error": {"code": "server_error", "message": "x"}} if status == "failed" else {}
    response = _response(req, status=status, output=output, **extra)
    if status == "incomplete":
        response["incomplete_details"] = {"reason": "max_output_tokens"}
    rendered = render_events(response, random.Random(0), StreamOptions(**opts))
    return {e["type"] for e in rendered.events}


def event_status(scriptable_types: Iterable[str]) -> dict[str, str]:
    native = native_items()
    emitted = events_of(native) | events_of(native, background=True)
    emitted |= events_of(native, "incomplete") | events_of([], "failed", error_event="flat")
    scripted: set[str] = set()
    for item_type in scriptable_types:
        for item in drawn_items(item_type):
            scripted |= events_of([item])
    status = {t: "scriptable (`item:`)" for t in scripted - emitted}
    status.update({t: "emitted" for t in emitted})
    return status


def item_status() -> dict[str, str]:
    status = {t: "scriptable (`item:`)" for t in spec_items.item_types("OutputItem")}
    status.update({item["type"]: "emitted, scriptable" for item in native_items()})
    return status


# --- the page --------------------------------------------------------------------------------


def _table(title: str, names: dict[str, str], spec: list[str], sdk: list[str], extra: Any) -> str:
    rows = sorted(set(spec) | set(sdk) | set(names))
    head = f"| {title} | Spec | SDK | Mock |{' Stream events |' if extra else ''}\n"
    head += f"|---|---|---|---|{'---|' if extra else ''}\n"
    lines = []
    for name in rows:
        cells = [
            f"`{name}`",
            "yes" if name in spec else "no",
            "yes" if name in sdk else "no",
            names.get(name, "not emulated"),
        ]
        if extra:
            cells.append(extra(name))
        lines.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(lines) + "\n"


def _counts(names: dict[str, str], spec: list[str], sdk: list[str]) -> str:
    rows = set(spec) | set(sdk) | set(names)
    missing = sorted(rows - set(names))
    return f"{len(rows)} in all, {len(rows) - len(missing)} emulated, {len(missing)} not emulated."


INTRO = """# Fidelity table

Every Response field, output item type and stream event type of the official spec (v{spec})
and of the newest openai-python ({sdk}), with what the mock does with it. Generated by
`scripts/gen_fidelity_table.py` from the code's own registries (the Response renderer, the
Plan item renderer, the verbatim `item:` check, the stream event emitters); a test fails when
this page differs from what the script makes.

- **emitted**: the mock sends it on its own (zero-config answers, replies, every stream).
- **emitted when sent**: echoed when the request sends it.
- **scriptable**: a scenario makes it (`reply`, `status`, `usage`, `error`, or a verbatim
  `item:` of that type, whose stream events the mock then emits).
- **not emulated**: never sent.
- Spec and SDK **no** while the mock sends it: shown by recorded real traffic, not (yet)
  typed there.

Where real traffic, the spec and the SDK disagree, the mock follows real traffic: `usage:
null` until a response completes; `output_item.added` announces `web_search_call` and
`image_generation_call` without `action` / `result`; a nested `error` event; `response.failed`
codes such as `insufficient_quota` outside the spec's enum; the apply-patch diff events. See
[Streaming](streaming.md) and [Errors in a stream](faults.md#errors-in-a-stream-on_stream).
"""


def render() -> str:
    spec, sdk = spec_lists(), sdk_lists()
    fields, items = field_status(), item_status()
    events = event_status(t for t, s in items.items() if s.startswith("scriptable"))

    def streams(item_type: str) -> str:
        return "own events" if item_type in RENDERERS else "added, done"

    parts = [INTRO.format(spec=spec_version(), sdk=sdk["openai"])]
    for title, key, names, extra in (
        ("Response field", "response_fields", fields, None),
        ("Output item type", "item_types", items, streams),
        ("Stream event type", "event_types", events, None),
    ):
        parts.append(f"## {title}s\n\n{_counts(names, spec[key], sdk[key])}\n")
        parts.append(_table(title, names, spec[key], sdk[key], extra))
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/fidelity.md differs")
    parser.add_argument(
        "--refresh-sdk", action="store_true", help="re-extract the installed SDK's types first"
    )
    args = parser.parse_args(argv)
    if args.refresh_sdk:
        SDK_TYPES.write_text(json.dumps(installed_sdk_lists(), indent=1) + "\n", encoding="utf-8")
    page = render()
    if args.check:
        if OUT.read_text(encoding="utf-8") != page:
            print(f"{OUT} is stale: run python scripts/gen_fidelity_table.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
