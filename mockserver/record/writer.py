"""One observed exchange -> the rule a person would have written for it.

`when` identifies the request by what a scenario author reads (the latest user text, the
tool outputs it answers with, the user turn), never by ids; the answer is written in the
scenario language's own items (message, refusal, json, function_call, reasoning, and
`item:` for every other output item), an error answer as `error:`, the stream's observed
timing as `stream:` pacing, and the usage as recorded. Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mockserver.plan import model_json
from mockserver.record.observed import Observed
from mockserver.scenario import spec_items
from mockserver.scenario.context import build_context

TimingMode = Literal["summary", "exact", "none"]
TIMING_MODES: tuple[str, ...] = ("summary", "exact", "none")

# Headers of an error answer that change what a client does next (the SDKs read them).
ERROR_HEADERS = ("retry-after", "retry-after-ms", "x-should-retry")
_USAGE_KEYS = ("input_tokens", "output_tokens", "total_tokens")
_DETAILS = {"input_tokens_details": "cached_tokens", "output_tokens_details": "reasoning_tokens"}
_INCOMPLETE_REASONS = ("max_output_tokens", "content_filter")
_ROUND_MS = 10  # summarised timings are rounded, so a re-recording diffs only on real changes


@dataclass(frozen=True)
class RecordedRule:
    """A rule as the writer made it; the cassette names it and places it in the file."""

    name: str  # a suggested name (the cassette makes it unique)
    when: dict[str, Any]
    answer: dict[str, Any]  # reply or error, and status, incomplete_reason, usage
    latency_ms: int | None = None
    pacing: dict[str, Any] | None = None
    description: str | None = None


@dataclass(frozen=True)
class NotRecorded:
    """Why an exchange gives no rule (it is still answered with the upstream's bytes)."""

    reason: str


def rule_for(seen: Observed, timing: TimingMode) -> RecordedRule | NotRecorded:
    notes: list[str] = []
    if seen.status >= 400:
        if seen.error is None:
            return NotRecorded(f"a {seen.status} answer without an OpenAI error body")
        answer: dict[str, Any] = {"error": _error(seen.status, seen.error, seen.error_headers)}
    elif seen.response is None:
        return NotRecorded("the answer holds no Response (a stream cut before its end?)")
    elif seen.response.get("status") == "failed" and seen.streamed:
        answer = _answer(seen.response, seen.body, notes, failed=True)
        answer["fault"] = _failed(seen.response, seen.error_event)
    elif seen.response.get("status") in ("failed", "cancelled", "queued", "in_progress"):
        return NotRecorded(f"a response with status {seen.response.get('status')!r}")
    else:
        answer = _answer(seen.response, seen.body, notes)
    when = when_for(seen)
    if seen.continues_unknown:
        notes.append("Continues a response not seen while recording: `turn` counts only what was.")
    description = " ".join(notes) or None
    return RecordedRule(
        _name(when, answer),
        when,
        answer,
        latency_ms=None if seen.streamed or timing == "none" else _rounded(seen.timing.total_ms),
        pacing=_pacing(seen, timing) if seen.streamed else None,
        description=description,
    )


def when_for(seen: Observed) -> dict[str, Any]:
    """The request by its latest user text, the tool outputs it brings, and its turn."""
    ctx = build_context(seen.body, seen.conversation, {}, 0)
    when: dict[str, Any] = {}
    if ctx.latest_user_text:
        when["input_contains"] = ctx.latest_user_text
    names = sorted({o.name for o in ctx.recent_outputs if o.name is not None})
    if ctx.recent_outputs:
        when["has_tool_output"] = names[0] if len(names) == 1 else True
    elif ctx.tool_names:
        when["has_tool_output"] = False
    when["turn"] = ctx.turn
    return when


def _answer(
    response: Mapping[str, Any], body: Mapping[str, Any], notes: list[str], failed: bool = False
) -> dict[str, Any]:
    """The reply items (none for a stream that failed before any), status and usage."""
    output = response.get("output")
    items = [i for i in output if isinstance(i, Mapping)] if isinstance(output, list) else []
    replies = [_reply_item(i, _json_format(body)) for i in items]
    answer: dict[str, Any] = {"reply": [r for r in replies if _spec_valid(r, notes)]}
    if failed:  # the fault's response.failed recounts the usage of the items it keeps
        return answer if answer["reply"] else {}
    if not answer["reply"]:  # an answer with no output item: the language needs one
        answer["reply"] = [{"message": ""}]
    if response.get("status") == "incomplete":
        answer["status"] = "incomplete"
        details = response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, Mapping) else None
        if reason in _INCOMPLETE_REASONS:
            answer["incomplete_reason"] = reason
    usage = _usage(response.get("usage"))
    if usage:
        answer["usage"] = usage
    return answer


def _spec_valid(reply: Mapping[str, Any], notes: list[str]) -> bool:
    """Whether a verbatim item passes the spec check `validate` runs (else it is left out,
    and the rule's description says so: a file that does not load would replay nothing)."""
    item = reply.get("item")
    if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
        return True
    problems = spec_items.check_item(dict(item), ("item",))
    if problems:
        _where, message, _key = problems[0]
        notes.append(f"Left out a {item['type']} item the spec check refuses ({message}).")
    return not problems


def _json_format(body: Mapping[str, Any]) -> bool:
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, Mapping) else None
    return isinstance(fmt, Mapping) and fmt.get("type") == "json_schema"


def _reply_item(item: Mapping[str, Any], json_format: bool) -> dict[str, Any]:
    kind = item.get("type")
    if kind == "message":
        found = _message(item, json_format)
        if found is not None:
            return found
    elif kind == "function_call" and isinstance(item.get("name"), str):
        return {"function_call": {"name": item["name"], "arguments": _arguments(item)}}
    elif kind == "reasoning":
        return {"reasoning": _reasoning(item)}
    return {"item": escaped({k: v for k, v in item.items() if k != "id"})}


def _message(item: Mapping[str, Any], json_format: bool) -> dict[str, Any] | None:
    """A one-part assistant message in the language's words; None: write it verbatim."""
    parts = item.get("content")
    if item.get("role") != "assistant" or not isinstance(parts, list) or len(parts) != 1:
        return None
    (part,) = parts
    if not isinstance(part, Mapping):
        return None
    if part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
        return {"refusal": escaped(part["refusal"])}
    text = part.get("text")
    if part.get("type") != "output_text" or not isinstance(text, str):
        return None
    notes = part.get("annotations") or []
    if notes:
        return {"message": {"text": escaped(text), "annotations": escaped(list(notes))}}
    if json_format and (value := _same_json(text)) is not None:
        return {"json": escaped(value)}
    return {"message": escaped(text)}


def _same_json(text: str) -> Any:
    """The JSON value of text, if writing it back as the mock does gives the same text."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) and model_json(value) == text else None


def _arguments(item: Mapping[str, Any]) -> Any:
    raw = item.get("arguments")
    if not isinstance(raw, str):
        return {}
    value = _same_json(raw)
    return escaped(value) if isinstance(value, dict) else escaped(raw)


def _reasoning(item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    summary = [_part_text(p) for p in item.get("summary") or ()]
    content = [_part_text(p) for p in item.get("content") or ()]
    if summary:
        out["summary"] = escaped(summary)
    if content:
        out["text"] = escaped(content)
    if isinstance(item.get("encrypted_content"), str):
        out["encrypted_content"] = item["encrypted_content"]
    return out or {"summary": []}  # a reasoning item with nothing shown


def _part_text(part: Any) -> str:
    return str(part.get("text", "")) if isinstance(part, Mapping) else ""


def _usage(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    usage = {k: raw[k] for k in _USAGE_KEYS if isinstance(raw.get(k), int)}
    for name, field in _DETAILS.items():
        details = raw.get(name)
        if isinstance(details, Mapping) and isinstance(details.get(field), int):
            usage[name] = {field: details[field]}
    return usage


def _error(status: int, error: Mapping[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"status": status}
    for key in ("type", "code", "param"):
        if isinstance(error.get(key), str):
            spec[key] = error[key]
    if isinstance(error.get("message"), str):
        # The message is a format string ({model}, {retry_in}...): literal braces are doubled.
        spec["message"] = error["message"].replace("{", "{{").replace("}", "}}")
    kept = {k: headers[k] for k in ERROR_HEADERS if k in headers}
    if kept:
        spec["headers"] = kept
    return spec


def _failed(response: Mapping[str, Any], event: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stream that ended in response.failed (a quota error on a stream does): the `failed`
    fault at the terminal event, with the error event before it if there was one."""
    fault: dict[str, Any] = {"kind": "failed"}
    source: Any = response.get("error")
    if event is not None:
        nested = event.get("error")
        fault["error_event"] = "nested" if isinstance(nested, Mapping) else "flat"
        source = nested if isinstance(nested, Mapping) else event
    spec: dict[str, Any] = {"status": 500, "type": "server_error"}
    for key in ("type", "code", "param"):
        if isinstance(source, Mapping) and isinstance(source.get(key), str):
            spec[key] = source[key]
    if isinstance(source, Mapping) and isinstance(source.get("message"), str):
        spec["message"] = source["message"].replace("{", "{{").replace("}", "}}")
    fault["error"] = spec
    return fault


def _pacing(seen: Observed, timing: TimingMode) -> dict[str, Any] | None:
    first, gaps = seen.timing.first_delta_ms, seen.timing.gaps_ms
    if timing == "none" or first is None:
        return None
    if timing == "exact":
        pacing: dict[str, Any] = {"delays_ms": [round(first), *(round(g) for g in gaps)]}
        text = _message_text(seen.response)
        if seen.message_deltas and "".join(seen.message_deltas) == text:
            pacing["chunk"] = list(seen.message_deltas)
        return pacing
    pacing = {"ttft_ms": _rounded(first)}
    if gaps:
        median = statistics.median(gaps)
        pacing["interval_ms"] = _rounded(median)
        spread = _rounded(statistics.median(abs(g - median) for g in gaps))
        if spread:
            pacing["jitter_ms"] = spread
    return pacing


def _message_text(response: Mapping[str, Any] | None) -> str | None:
    output = response.get("output") if response is not None else None
    texts = [
        p.get("text")
        for i in (output if isinstance(output, list) else ())
        if isinstance(i, Mapping) and i.get("type") == "message"
        for p in i.get("content") or ()
        if isinstance(p, Mapping) and p.get("type") == "output_text"
    ]
    return texts[0] if len(texts) == 1 and isinstance(texts[0], str) else None


def _rounded(ms: float) -> int:
    return int(round(ms / _ROUND_MS) * _ROUND_MS)


def escaped(value: Any) -> Any:
    """Recorded text as a template that renders to itself: each `{{` becomes `{{ '{{' }}`."""
    if isinstance(value, str):
        return value.replace("{{", "{{ '{{' }}") if "{{" in value else value
    if isinstance(value, Mapping):
        return {k: escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escaped(v) for v in value]
    return value


_WORD = re.compile(r"[a-z0-9]+")


def _name(when: Mapping[str, Any], answer: Mapping[str, Any]) -> str:
    """A readable name: the user text's first words, what the request brings, what it got."""
    words = _WORD.findall(str(when.get("input_contains", "")).lower())[:5]
    parts = ["-".join(words)[:40].strip("-") or "request"]
    tool = when.get("has_tool_output")
    if isinstance(tool, str):
        parts.append(f"after-{tool}")
    elif tool is True:
        parts.append("after-tools")
    if "error" in answer:
        parts.append(f"error-{answer['error']['status']}")
    return "-".join(parts)
