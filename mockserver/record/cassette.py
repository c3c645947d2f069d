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
        self._keys: list[tuple[str, str]] = []  # each rule's (when, answer) as merging compares
        self._texts: list[str | None] = []  # each rule's YAML, None until written (or changed)
        self._head: dict[str, Any] = {}
        if path.exists():
            self._load()

    def _load(self) -> None:
        try:
            doc = yaml.load(self.path.read_text(encoding="utf-8"), Loader=_Loader)
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
        self._keys = [
            (_when_key(r.get("when") or {}), _canonical(_answer_of(r))) for r in self.rules
        ]
        self._texts = [None] * len(self.rules)
        _exact_all(self.rules)  # a hand-edited file may have such pairs

    def add(self, rule: RecordedRule) -> bool:
        """Merge one recorded rule; False when the file already has it."""
        key = (_when_key(rule.when), _canonical(rule.answer))
        if key in self._keys:
            return False
        group = [i for i, (when, _answer) in enumerate(self._keys) if when == key[0]]
        entry: dict[str, Any] = {"name": self._unique(rule.name)}
        if rule.description:
            entry["description"] = rule.description
        entry["when"] = dict(rule.when)
        entry.update(rule.answer)
        if rule.latency_ms:
            entry["latency_ms"] = rule.latency_ms
        if rule.pacing:
            entry["stream"] = dict(rule.pacing)
        at = group[-1] + 1 if group else len(self.rules)
        if group:
            self.rules[group[-1]].setdefault("times", 1)
            self._texts[group[-1]] = None
        self.rules.insert(at, entry)
        self._keys.insert(at, key)
        self._texts.insert(at, None)
        for i in _exact_around(self.rules, at):
            self._texts[i] = None
        return True

    def _unique(self, base: str) -> str:
        taken = {r.get("name") for r in self.rules}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        return name

    def text(self) -> str:
        """The file's text: the same rules give the same bytes. Each rule's YAML is kept until
        the rule changes, so writing the file after each exchange stays cheap."""
        head = _Block(name=self.name, description=self.description)
        head.update(self._head)
        for i, rule in enumerate(self.rules):
            if self._texts[i] is None:
                self._texts[i] = _dump([_ordered(rule)])
        return _dump(head) + "rules:\n" + "".join(t or "" for t in self._texts)

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


def _contained(when: Any) -> str | None:
    """The `input_contains` text of a `when` (None: it has none, or not one string)."""
    text = when.get("input_contains") if isinstance(when, dict) else None
    return text if isinstance(text, str) else None


def _make_exact(rule: dict[str, Any]) -> None:
    when = rule["when"]
    rest = {k: v for k, v in when.items() if k != "input_contains"}
    rule["when"] = {"input_matches": f"^{re.escape(when['input_contains'])}$", **rest}


def _exact_all(rules: list[dict[str, Any]]) -> None:
    """Every `input_contains` that a later rule's text contains (the same other `when` keys)
    becomes exact."""
    for i, rule in enumerate(rules):
        text = _contained(rule.get("when"))
        if text is not None and _shadowed(text, _others(rule["when"]), rules[i + 1 :]):
            _make_exact(rule)


def _shadowed(text: str, others: str, later: list[dict[str, Any]]) -> bool:
    """Whether a later rule with these other `when` keys has a text containing this one."""
    needle = text.lower()
    return any(
        theirs is not None
        and theirs != text
        and needle in theirs.lower()
        and _others(rule["when"]) == others
        for rule in later
        for theirs in (_input_text(rule.get("when") or {}),)
    )


def _exact_around(rules: list[dict[str, Any]], at: int) -> list[int]:
    """The same for a rule just put at `at`: against the rules after it, and the earlier
    rules against it (nothing else changed). The earlier rules made exact."""
    when = rules[at]["when"]
    others, text, mine = _others(when), _input_text(when), _contained(when)
    if mine is not None and _shadowed(mine, others, rules[at + 1 :]):
        _make_exact(rules[at])
    changed: list[int] = []
    if text is None:
        return changed
    lowered = text.lower()
    for i in range(at):
        theirs = _contained(rules[i].get("when"))
        if theirs is None or theirs == text or theirs.lower() not in lowered:
            continue
        if _others(rules[i]["when"]) == others:
            _make_exact(rules[i])
            changed.append(i)
    return changed


def _others(when: Mapping[str, Any]) -> str:
    return _canonical(
        {k: v for k, v in when.items() if k not in ("input_contains", "input_matches")}
    )


def _dump(value: Any) -> str:
    text: str = yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return text


def _ordered(rule: Mapping[str, Any]) -> dict[str, Any]:
    known = {k: rule[k] for k in RULE_ORDER if k in rule}
    return {**known, **{k: v for k, v in rule.items() if k not in known}}


# libyaml's C emitter and parser when PyYAML has them (about 10x faster), else pure Python.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type, misc]
    """Block style, short mappings of scalars on one line, multi-line text as `|` blocks."""

    def represent_mapping(self, tag: str, mapping: Any, flow_style: bool | None = None) -> Any:
        node = super().represent_mapping(tag, mapping, flow_style)
        node.flow_style = _is_short(mapping) and not isinstance(mapping, _Block)
        return node

    def represent_sequence(self, tag: str, sequence: Any, flow_style: bool | None = None) -> Any:
        node = super().represent_sequence(tag, sequence, flow_style)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in sequence)
        node.flow_style = bool(sequence) and numbers  # delays_ms: [52, 1, 6]
        return node


class _Block(dict[str, Any]):
    """A mapping always written in block style (the file's top level)."""


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
_Dumper.add_representer(_Block, yaml.SafeDumper.represent_dict)
