"""The recorded scenario file: loaded if it exists, merged without duplicates, written whole.

Merging: a recorded rule whose `when` and answer equal an existing rule's is a duplicate
(timings are not compared: they differ on every run). Rules with the same `when` and
different answers are a sequence, kept next to each other in the order seen: every one but
the last gets `times: 1`, so replay gives the first answer, then the next, and the last one
from then on. The file is written from the rules alone (no clock, no ids, keys in a fixed
order), so the same traffic gives the same bytes, and re-recording it changes nothing.

A user text is written as `input_contains`; when a later rule with the same other keys has
a text containing this one (`hi` before `hi there`), the earlier rule would answer both, so
it is written as an exact `input_matches: ^...$` instead.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mockserver.record.writer import RecordedRule
from mockserver.scenario.reply import REPLIES

ANSWER_KEYS = ("reply", "error", "status", "incomplete_reason", "usage", "fault")
# Rule keys in the order they are written; unknown keys of a hand-edited rule follow.
RULE_ORDER = ("name", "description", "when", "times", *ANSWER_KEYS, "latency_ms", "stream")
_SHORT = 72  # a mapping of scalars this short in total is written on one line


class CassetteError(ValueError):
    """The existing file cannot be merged into (not YAML, or not a recorded scenario)."""


class Cassette:
    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.description = "Recorded by `mockserver record`."
        self.rules: list[dict[str, Any]] = []
        self._head: dict[str, Any] = {}
        if path.exists():
            self._load()

    def _load(self) -> None:
        try:
            doc = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CassetteError(f"cannot merge into {self.path}: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
            raise CassetteError(f"cannot merge into {self.path}: not one scenario with rules")
        if doc.get("name") != self.name:
            raise CassetteError(
                f"cannot merge into {self.path}: it holds scenario {doc.get('name')!r}, "
                f"not {self.name!r}"
            )
        self._head = {k: v for k, v in doc.items() if k not in ("name", "rules")}
        self.rules = [r for r in doc["rules"] if isinstance(r, dict)]

    def add(self, rule: RecordedRule) -> bool:
        """Merge one recorded rule; False when the file already has it."""
        when, answer = _when_key(rule.when), _canonical(rule.answer)
        group = [i for i, r in enumerate(self.rules) if _when_key(r.get("when") or {}) == when]
        if any(_canonical(_answer_of(self.rules[i])) == answer for i in group):
            return False
        entry: dict[str, Any] = {"name": self._unique(rule.name)}
        if rule.description:
            entry["description"] = rule.description
        entry["when"] = dict(rule.when)
        entry.update(rule.answer)
        if rule.latency_ms:
            entry["latency_ms"] = rule.latency_ms
        if rule.pacing:
            entry["stream"] = dict(rule.pacing)
        if group:
            last = self.rules[group[-1]]
            last.setdefault("times", 1)
            self.rules.insert(group[-1] + 1, entry)
        else:
            self.rules.append(entry)
        return True

    def _unique(self, base: str) -> str:
        taken = {r.get("name") for r in self.rules}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        return name

    def text(self) -> str:
        """The file's text: the same rules give the same bytes."""
        _exact_where_shadowed(self.rules)
        doc: dict[str, Any] = {"name": self.name, "description": self.description}
        doc.update(self._head)
        doc["rules"] = [_ordered(r) for r in self.rules]
        return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)

    def save(self) -> None:
        """Write the file atomically (a reader never sees half of it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(self.text())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _answer_of(rule: Mapping[str, Any]) -> dict[str, Any]:
    return {k: rule[k] for k in ANSWER_KEYS if k in rule}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


_EXACT = re.compile(r"\^(.*)\$", re.DOTALL)


def _exact_text(pattern: Any) -> str | None:
    """The text an `input_matches: ^...$` written by this module matches exactly, else None."""
    found = _EXACT.fullmatch(pattern) if isinstance(pattern, str) else None
    if found is None:
        return None
    text = re.sub(r"\\(.)", r"\1", found.group(1), flags=re.DOTALL)
    return text if re.escape(text) == found.group(1) else None


def _input_text(when: Mapping[str, Any]) -> str | None:
    text = when.get("input_contains")
    return text if isinstance(text, str) else _exact_text(when.get("input_matches"))


def _when_key(when: Mapping[str, Any]) -> str:
    """The `when` as merging compares it: an exact input_matches counts as its text."""
    text = _input_text(when)
    rest = {k: v for k, v in when.items() if k not in ("input_contains", "input_matches")}
    if text is None and "input_matches" in when:
        rest["input_matches"] = when["input_matches"]
    return _canonical([text, rest])


def _exact_where_shadowed(rules: list[dict[str, Any]]) -> None:
    """An `input_contains` that a later rule's text contains becomes an exact match."""
    for i, rule in enumerate(rules):
        when = rule.get("when")
        if not isinstance(when, dict) or not isinstance(when.get("input_contains"), str):
            continue
        text, others = when["input_contains"], _others(when)
        for later in rules[i + 1 :]:
            other = later.get("when")
            if not isinstance(other, dict) or _others(other) != others:
                continue
            theirs = _input_text(other)
            if theirs is not None and theirs != text and text.lower() in theirs.lower():
                rule["when"] = {
                    ("input_matches" if k == "input_contains" else k): (
                        f"^{re.escape(text)}$" if k == "input_contains" else v
                    )
                    for k, v in when.items()
                }
                break


def _others(when: Mapping[str, Any]) -> str:
    return _canonical(
        {k: v for k, v in when.items() if k not in ("input_contains", "input_matches")}
    )


def _ordered(rule: Mapping[str, Any]) -> dict[str, Any]:
    known = {k: rule[k] for k in RULE_ORDER if k in rule}
    return {**known, **{k: v for k, v in rule.items() if k not in known}}


class _Dumper(yaml.SafeDumper):
    """Block style, short mappings of scalars on one line, multi-line text as `|` blocks."""

    def represent_mapping(self, tag: str, mapping: Any, flow_style: bool | None = None) -> Any:
        node = super().represent_mapping(tag, mapping, flow_style)
        node.flow_style = _is_short(mapping)
        return node

    def represent_sequence(self, tag: str, sequence: Any, flow_style: bool | None = None) -> Any:
        node = super().represent_sequence(tag, sequence, flow_style)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in sequence)
        node.flow_style = bool(sequence) and numbers  # delays_ms: [52, 1, 6]
        return node


def _is_short(mapping: Any) -> bool:
    if not isinstance(mapping, Mapping) or not mapping:
        return False
    if len(mapping) == 1 and next(iter(mapping)) in REPLIES:  # `- message: Hi` as people write
        return False
    values = list(mapping.values())
    if not all(isinstance(v, str | int | float | bool) or v is None for v in values):
        return False
    if any(isinstance(v, str) and ("\n" in v or not v.isprintable()) for v in values):
        return False
    return sum(len(str(k)) + len(str(v)) for k, v in mapping.items()) <= _SHORT


def _str(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value and _block_safe(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _block_safe(value: str) -> bool:
    """A literal block keeps the text exactly only without trailing spaces on its lines and
    without characters YAML would escape."""
    return all(line == line.rstrip(" \t") for line in value.split("\n")) and all(
        ch == "\n" or ch.isprintable() for ch in value
    )


_Dumper.add_representer(str, _str)
