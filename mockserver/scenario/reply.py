"""Reply item kinds: a registry of `load` (file value -> frozen reply) and `plan` (-> ItemPlan).

Adding a kind touches this file and the `reply_item` properties of schema.json (a test keeps
them equal). Loading compiles templates and checks spec items; planning renders templates
against one answer's Scope.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mockserver.plan import (
    FunctionCallPlan,
    ItemPlan,
    MessagePlan,
    ReasoningPlan,
    VerbatimPlan,
    model_json,
)
from mockserver.scenario import spec_items
from mockserver.scenario import template as tpl
from mockserver.scenario.compiler import Compiler, JsonTree
from mockserver.scenario.problems import Path


class AnswerError(Exception):
    """A reply cannot be produced for this request (a template value or a schema is missing)."""


@dataclass(frozen=True)
class Env:
    """What planning a reply needs beyond the templates' names."""

    scope: tpl.Scope
    rng: random.Random
    text_format: Mapping[str, Any] | None  # the request's text.format
    json_for_schema: Callable[[dict[str, Any], random.Random], Any]


class Reply(Protocol):
    def plan(self, env: Env) -> ItemPlan: ...


@dataclass(frozen=True)
class MessageReply:
    text: tpl.Template
    annotations: tuple[JsonTree, ...] = ()
    refusal: bool = False

    def plan(self, env: Env) -> ItemPlan:
        notes = tuple(a.render(env.scope) for a in self.annotations)
        return MessagePlan(tpl.render(self.text, env.scope), notes, refusal=self.refusal)


@dataclass(frozen=True)
class FunctionCallReply:
    name: str
    arguments: JsonTree | tpl.Template  # an object, or raw text (possibly broken JSON)
    call_id: str | None
    namespace: str | None = None  # the namespace tool the function sits in

    def plan(self, env: Env) -> ItemPlan:
        if isinstance(self.arguments, JsonTree):
            text = model_json(self.arguments.render(env.scope))
        else:
            text = tpl.render(self.arguments, env.scope)
        return FunctionCallPlan(self.name, text, self.call_id, self.namespace)


@dataclass(frozen=True)
class ReasoningReply:
    summary: tuple[tpl.Template, ...]
    text: tuple[tpl.Template, ...]
    encrypted_content: str | None

    def plan(self, env: Env) -> ItemPlan:
        return ReasoningPlan(
            summary=tuple(tpl.render(t, env.scope) for t in self.summary),
            content=tuple(tpl.render(t, env.scope) for t in self.text),
            encrypted_content=self.encrypted_content,
        )


@dataclass(frozen=True)
class ItemReply:
    item: JsonTree  # verbatim, checked against the spec at load time

    def plan(self, env: Env) -> ItemPlan:
        value = self.item.render(env.scope)
        assert isinstance(value, dict)
        return VerbatimPlan(value)


@dataclass(frozen=True)
class JsonReply:
    value: JsonTree | None  # None: `auto`, generated from the request's json_schema

    def plan(self, env: Env) -> ItemPlan:
        if self.value is not None:
            return MessagePlan(model_json(self.value.render(env.scope)))
        fmt = env.text_format or {}
        if fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), dict):
            raise AnswerError(
                "json: auto generates from the request's text.format json_schema, and this "
                f"request has text.format type {fmt.get('type', 'text')!r}"
            )
        value = env.json_for_schema(fmt["schema"], env.rng)
        return MessagePlan(model_json(value))


def _texts(raw: Any, path: Path, c: Compiler) -> tuple[tpl.Template, ...]:
    items = [raw] if isinstance(raw, str) else list(raw or ())
    paths = [path] if isinstance(raw, str) else [(*path, i) for i in range(len(items))]
    return tuple(c.template(t, p) for t, p in zip(items, paths, strict=True))


def _load_message(raw: Any, path: Path, c: Compiler) -> Reply:
    if isinstance(raw, str):
        return MessageReply(c.template(raw, path))
    notes = []
    for i, note in enumerate(raw.get("annotations", ())):
        where = (*path, "annotations", i)
        c.findings.extend(spec_items.check_annotation(note, where))
        notes.append(c.json_tree(note, where))
    return MessageReply(c.template(raw["text"], (*path, "text")), tuple(notes))


def _load_refusal(raw: Any, path: Path, c: Compiler) -> Reply:
    return MessageReply(c.template(raw, path), refusal=True)


def _load_function_call(raw: Any, path: Path, c: Compiler) -> Reply:
    args = raw.get("arguments", {})
    where = (*path, "arguments")
    compiled = c.template(args, where) if isinstance(args, str) else c.json_tree(args, where)
    return FunctionCallReply(raw["name"], compiled, raw.get("call_id"), raw.get("namespace"))


def _load_reasoning(raw: Any, path: Path, c: Compiler) -> Reply:
    return ReasoningReply(
        summary=_texts(raw.get("summary"), (*path, "summary"), c),
        text=_texts(raw.get("text"), (*path, "text"), c),
        encrypted_content=raw.get("encrypted_content"),
    )


def _load_item(raw: Any, path: Path, c: Compiler) -> Reply:
    c.findings.extend(spec_items.check_item(raw, path))
    return ItemReply(c.json_tree(raw, path))


def _load_json(raw: Any, path: Path, c: Compiler) -> Reply:
    return JsonReply(None if raw == "auto" else c.json_tree(raw, path))


REPLIES: dict[str, Callable[[Any, Path, Compiler], Reply]] = {
    "message": _load_message,
    "refusal": _load_refusal,
    "function_call": _load_function_call,
    "reasoning": _load_reasoning,
    "item": _load_item,
    "json": _load_json,
}


def load_reply(raw: Mapping[str, Any], path: Path, c: Compiler) -> Reply:
    """One reply item `{kind: value}` (the schema guarantees exactly one known kind)."""
    ((kind, value),) = raw.items()
    return REPLIES[kind](value, (*path, kind), c)
