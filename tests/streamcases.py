"""Final Response objects of every reply kind, shaped like real API bodies (spec-valid).

Shared by the stream tests: each one is streamed, validated event by event, and fed to
the official SDK's stream accumulator, which must rebuild it exactly.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from specschema import spec_schema, validate

HEX = "68c187cc09508192aa225af9734e2ed905ca09a4773fcd25"
USAGE = {
    "input_tokens": 12,
    "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
    "output_tokens": 9,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 21,
}


def response(
    output: list[dict[str, Any]], status: str = "completed", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"resp_{HEX}",
        "object": "response",
        "created_at": 1757513676,
        "status": status,
        "background": False,
        "completed_at": 1757513678 if status == "completed" else None,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": "gpt-4o-2024-08-06",
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": copy.deepcopy(USAGE),
        "metadata": {},
    }
    body.update(extra)
    return body


def text_part(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text, **extra}


def message(*parts: dict[str, Any], n: int = 1, status: str = "completed") -> dict[str, Any]:
    return {
        "id": f"msg_{n:02d}{HEX[2:]}",
        "type": "message",
        "status": status,
        "content": list(parts),
        "role": "assistant",
    }


def function_call(name: str, arguments: str, n: int = 1) -> dict[str, Any]:
    return {
        "id": f"fc_{n:02d}{HEX[2:]}",
        "type": "function_call",
        "status": "completed",
        "arguments": arguments,
        "call_id": f"call_{n:02d}AB6AaRZ1FYZB2RwS6A5vbdq",
        "name": name,
    }


CITED = "Berlin Art Week opens today. More at wallpaper.com. Enjoy!"
ANNOTATION = {
    "type": "url_citation",
    "end_index": 51,
    "start_index": 29,
    "title": "Berlin Art Week",
    "url": "https://www.wallpaper.com/art",
}
LOGPROBS = [
    {"token": t, "logprob": -0.25 * i, "bytes": list(t.encode()), "top_logprobs": []}
    for i, t in enumerate(["Hello", ",", " world", "!"])
]

CASES: dict[str, dict[str, Any]] = {
    "message": response([message(text_part("Hello there, how can I help you today?"))]),
    "message-annotated": response([message(text_part(CITED, annotations=[ANNOTATION]))]),
    "message-logprobs": response([message(text_part("Hello, world!", logprobs=LOGPROBS))]),
    "message-unicode": response([message(text_part("Il fait 12 °C à Paris 👋🏽 — ça va ?"))]),
    "message-empty": response([message(text_part(""))]),
    "refusal": response(
        [message({"type": "refusal", "refusal": "I'm sorry, but I can't help with that."})]
    ),
    "function-calls": response(
        [
            function_call("get_weather", '{"city":"Paris","unit":"celsius"}', 1),
            function_call("get_time", '{"tz": "Europe/Paris"}', 2),
        ]
    ),
    "reasoning-then-message": response(
        [
            {
                "id": f"rs_01{HEX[2:]}",
                "type": "reasoning",
                "summary": [
                    {"type": "summary_text", "text": "**Planning** I will greet the user."},
                    {"type": "summary_text", "text": "Then answer briefly."},
                ],
            },
            message(text_part("Hi!"), n=2),
        ],
        reasoning={"effort": "medium", "summary": "detailed"},
    ),
    "reasoning-text": response(
        [
            {
                "id": f"rs_01{HEX[2:]}",
                "type": "reasoning",
                "summary": [],
                "content": [{"type": "reasoning_text", "text": "The user says hi. Reply."}],
                "encrypted_content": "gAAAAABpPDIUph8czEXzDePCV2lJ27wm",
            },
            function_call("lookup", '{"q":"hi"}', 2),
        ]
    ),
    "web-search": response(
        [
            {
                "id": f"ws_01{HEX[2:]}",
                "type": "web_search_call",
                "status": "completed",
                "action": {
                    "type": "search",
                    "query": "Berlin news today",
                    "sources": [{"type": "url", "url": "https://www.wallpaper.com/art"}],
                },
            },
            message(text_part(CITED, annotations=[ANNOTATION]), n=2),
        ]
    ),
    "file-search": response(
        [
            {
                "id": f"fs_01{HEX[2:]}",
                "type": "file_search_call",
                "status": "completed",
                "queries": ["revenue 2024"],
                "results": [
                    {"file_id": "file-1", "filename": "q4.txt", "score": 0.92, "text": "grew"}
                ],
            }
        ]
    ),
    "code-interpreter": response(
        [
            {
                "id": f"ci_01{HEX[2:]}",
                "type": "code_interpreter_call",
                "status": "completed",
                "code": "import math\nprint(math.pi)\n",
                "container_id": f"cntr_{HEX}",
                "outputs": [{"type": "logs", "logs": "3.141592653589793\n"}],
            }
        ]
    ),
    "image-generation": response(
        [
            {
                "id": f"ig_01{HEX[2:]}",
                "type": "image_generation_call",
                "status": "completed",
                "result": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBg",
            }
        ]
    ),
    "mcp": response(
        [
            {
                "id": f"mcpl_01{HEX[2:]}",
                "type": "mcp_list_tools",
                "server_label": "dmcp",
                "tools": [{"name": "search", "input_schema": {"type": "object"}}],
            },
            {
                "id": f"mcp_02{HEX[2:]}",
                "type": "mcp_call",
                "status": "completed",
                "approval_request_id": None,
                "arguments": '{"query":"weather"}',
                "error": None,
                "name": "search",
                "output": "sunny",
                "server_label": "dmcp",
            },
        ]
    ),
    "custom-tool": response(
        [
            {
                "id": f"ctc_01{HEX[2:]}",
                "type": "custom_tool_call",
                "status": "completed",
                "call_id": "call_custom01",
                "name": "code_exec",
                "input": "print('hello world')",
            }
        ]
    ),
    "approval-request": response(
        [
            {
                "id": f"mcpr_01{HEX[2:]}",
                "type": "mcp_approval_request",
                "server_label": "dmcp",
                "name": "search",
                "arguments": '{"query":"weather"}',
            }
        ]
    ),
    "incomplete": response(
        [message(text_part("The answer is cut"), status="incomplete")],
        status="incomplete",
        incomplete_details={"reason": "max_output_tokens"},
        max_output_tokens=16,
    ),
    "failed": response(
        [],
        status="failed",
        error={"code": "server_error", "message": "The server had an error."},
        usage=None,
    ),
}


@functools.cache
def schema_by_type() -> dict[str, str]:
    refs = [r["$ref"].rsplit("/", 1)[1] for r in spec_schema("ResponseStreamEvent")["anyOf"]]
    return {spec_schema(n)["properties"]["type"]["enum"][0]: n for n in refs}


def without_parsed(value: Any) -> Any:
    """The SDK's parsed response adds `parsed` fields to what it received; drop them."""
    if isinstance(value, dict):
        return {
            k: without_parsed(v)
            for k, v in value.items()
            if k not in ("parsed", "parsed_arguments")
        }
    if isinstance(value, list):
        return [without_parsed(v) for v in value]
    return value


def validate_event(event: dict[str, Any]) -> None:
    """The event against ResponseStreamEvent and against its own schema (clearer errors)."""
    checked = event
    response = event.get("response")
    if isinstance(response, dict):
        checked = {**event, "response": _spec_usage(response)}
    if event["type"] == "response.output_item.added":
        checked = {**event, "item": _spec_added(event["item"])}
    validate(checked, "ResponseStreamEvent")
    validate(checked, schema_by_type()[event["type"]])


def validate_server_event(event: dict[str, Any]) -> None:
    """A WebSocket server event against ResponsesServerEvent (same usage deviation)."""
    response = event.get("response")
    checked = {**event, "response": _spec_usage(response)} if isinstance(response, dict) else event
    validate(checked, "ResponsesServerEvent")


def validate_response(response: dict[str, Any]) -> None:
    """A Response, queued / in progress / cancelled ones included."""
    validate(_spec_usage(response), "Response")


# Known deviation, on purpose (recorded): `added` announces a hosted search or image as
# {id, type, status}; the spec requires the final `action` / `result`. Checked with stand-ins.
_FINAL_FIELDS = {
    "web_search_call": ("action", {"type": "search", "query": ""}),
    "image_generation_call": ("result", None),
}


def _spec_added(item: dict[str, Any]) -> dict[str, Any]:
    key, stand_in = _FINAL_FIELDS.get(item.get("type", ""), ("", None))
    return {key: stand_in, **item} if key and key not in item else item


def _spec_usage(response: dict[str, Any]) -> dict[str, Any]:
    # Known deviation, on purpose: real traffic has `usage: null` until the response
    # completes (and on failure); the spec types usage as an object (not required).
    if "usage" in response and response["usage"] is None:
        return {k: v for k, v in response.items() if k != "usage"}
    return response


# --- an in-process server scripted with one rule per kind of streamed answer --------------

PACED_TEXT = "abcdefghij" * 10 + "k"  # 101 char deltas: 100 gaps
SCENARIO = f"""
name: streams
description: One rule per kind of streamed answer.
stream: {{chunk: word}}
rules:
  - name: message
    when: {{input_contains: hello}}
    reply:
      - message: "Hello there, how can I help you today?"
  - name: annotated
    when: {{input_contains: cite}}
    reply:
      - message:
          text: "{CITED}"
          annotations:
            - {{type: url_citation, start_index: 29, end_index: 51, url: "{ANNOTATION["url"]}",
                title: "Berlin Art Week"}}
  - name: refusal
    when: {{input_contains: refuse}}
    reply:
      - refusal: "I'm sorry, but I can't help with that."
  - name: tools
    when: {{input_contains: weather}}
    reply:
      - function_call: {{name: get_weather, arguments: {{city: Paris, unit: celsius}}}}
      - function_call: {{name: get_time, arguments: {{tz: Europe/Paris}}}}
  - name: reasoning
    when: {{input_contains: think}}
    reply:
      - reasoning:
          summary: ["**Planning** I will greet the user.", "Then answer briefly."]
          text: ["The user says hi."]
      - message: "Hi!"
  - name: search
    when: {{input_contains: search}}
    reply:
      - item: {{type: web_search_call, status: completed, action: {{type: search, query: Berlin}}}}
      - message: "Berlin Art Week opens today."
  - name: code
    when: {{input_contains: compute}}
    reply:
      - item: {{type: code_interpreter_call, status: completed, code: "print(6 * 7)",
               container_id: cntr_1, outputs: [{{type: logs, logs: "42"}}]}}
      - message: "It is 42."
  - name: cut
    when: {{input_contains: long}}
    status: incomplete
    reply:
      - message: "This answer stops before it is"
  - name: paced
    when: {{input_contains: paced}}
    stream: {{ttft_ms: 150, interval_ms: 20, chunk: char}}
    reply:
      - message: "{PACED_TEXT}"
  - name: jittered
    when: {{input_contains: jitter}}
    stream: {{ttft_ms: 100, interval_ms: 20, jitter_ms: 6, chunk: char}}
    reply:
      - message: "{PACED_TEXT}"
  - name: broken
    when: {{input_contains: break}}
    fault: {{kind: failed, error_event: flat}}
    reply:
      - message: "This answer will fail at the end."
  - name: broken-nested
    when: {{input_contains: crash}}
    fault: {{kind: failed, error_event: nested}}
    reply:
      - message: "This answer will fail at the end."
  - name: slow
    when: {{input_contains: slow}}
    stream: {{queued_ms: 150, ttft_ms: 100, interval_ms: 15, chunk: word}}
    reply:
      - message: "one two three four five six seven eight nine ten"
"""
# input -> (what the SDK's final response holds, in order)
KINDS: dict[str, list[str]] = {
    "hello": ["message"],
    "cite": ["message"],
    "refuse": ["message"],
    "weather": ["function_call", "function_call"],
    "think": ["reasoning", "message"],
    "search": ["web_search_call", "message"],
    "compute": ["code_interpreter_call", "message"],
    "long": ["message"],
}


def request_for(word: str) -> dict[str, Any]:
    """A create body that reaches the rule for `word` (reasoning needs a reasoning model)."""
    if word == "think":
        return {"model": "o4-mini", "input": word, "reasoning": {"summary": "auto"}}
    return {"model": "gpt-4o", "input": word}
