"""The scenario files a run needs, written fresh into a temporary folder.

Texts are built from a fixed word list, so every run answers with the same bytes and the
word chunker yields exactly one delta per word.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SCRIPTED = "bench-scripted"
STREAM = "bench-stream"
PACED = "bench-paced"
SLOW = "bench-slow"
RULES = "bench-rules"

STREAM_DELTAS = 2000
PACED_DELTAS = 150
PACED_INTERVAL_MS = 20.0
RULE_COUNT = 1000
STARTUP_FILES = 500

_TEXT = (
    "the quick brown fox jumps over a lazy dog while seven bright owls watch from old oak "
    "trees and river stones glitter under pale morning light near quiet northern hills"
)
_WORDS = _TEXT.split(" ")


def words(n: int) -> str:
    return " ".join(_WORDS[i % len(_WORDS)] for i in range(n))


def rule_marker(i: int) -> str:
    """A token no other rule's marker contains (so input_contains picks exactly rule i)."""
    return f"<r{i:04d}>"


def _scenario(name: str, rules: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, **extra, "rules": rules}


def _reply(text: str, **rule: Any) -> dict[str, Any]:
    return {**rule, "reply": [{"message": text}]}


def main_set() -> list[dict[str, Any]]:
    """The scenarios of sections 1-4: scripted, streamed, paced, slow, and 1,000 rules."""
    rules = [
        _reply(f"answer {i}", name=f"r{i:04d}", when={"input_contains": rule_marker(i)})
        for i in range(RULE_COUNT)
    ]
    zero = {"ttft_ms": 0, "interval_ms": 0, "chunk": "word"}
    paced = {"ttft_ms": PACED_INTERVAL_MS, "interval_ms": PACED_INTERVAL_MS, "chunk": "word"}
    slow = {"ttft_ms": 600_000, "interval_ms": 600_000, "chunk": "word"}
    return [
        # About the size of a zero-config answer, so both bodies weigh the same.
        _scenario(SCRIPTED, [_reply(words(24) + ".", name="answer")]),
        _scenario(STREAM, [_reply(words(STREAM_DELTAS), name="long")], stream=zero),
        _scenario(PACED, [_reply(words(PACED_DELTAS), name="paced")], stream=paced),
        _scenario(SLOW, [_reply(words(50), name="slow")], stream=slow),
        _scenario(RULES, rules),
    ]


def startup_file(i: int) -> list[dict[str, Any]]:
    """One of the 500 startup files: a small, typical scenario (tools, templates, pacing)."""
    return [
        _scenario(
            f"startup-{i:03d}",
            [
                {
                    "name": "call-tool",
                    "when": {"input_contains": "weather", "has_tool_output": False},
                    "reply": [{"function_call": {"name": "get_weather", "arguments": {"c": i}}}],
                },
                _reply(
                    "It is {{ tool_output.get_weather.temp }} degrees.",
                    name="answer",
                    when={"has_tool_output": "get_weather"},
                ),
                _reply(words(30), name="chat", stream={"interval_ms": 20, "jitter_ms": 5}),
            ],
            description=f"startup benchmark scenario {i}",
            stream={"ttft_ms": 200, "chunk": "word", "interval_ms": 15},
        )
    ]


def write(folder: Path) -> tuple[Path, Path]:
    """(main scenarios folder, 500-file startup folder) under folder."""
    main, startup = folder / "scenarios", folder / "startup"
    main.mkdir(parents=True, exist_ok=True)
    startup.mkdir(parents=True, exist_ok=True)
    for scenario in main_set():
        _dump(main / f"{scenario['name']}.yaml", scenario)
    for i in range(STARTUP_FILES):
        _dump(startup / f"startup-{i:03d}.yaml", startup_file(i))
    return main, startup


def _dump(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
