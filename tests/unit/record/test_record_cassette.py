"""cassette.py: merging without duplicates, sequences, exact matches where a rule would
shadow a later one, byte-stable text, and files it refuses to merge into."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockserver.record.cassette import Cassette, CassetteError
from mockserver.record.writer import RecordedRule
from mockserver.scenario.cli import check_paths


def rule(text: str, answer: str, *, pacing: dict[str, Any] | None = None) -> RecordedRule:
    return RecordedRule(
        "r", {"input_contains": text, "turn": 1}, {"reply": [{"message": answer}]}, pacing=pacing
    )


def test_a_duplicate_is_skipped_even_with_other_timings(tmp_path: Path) -> None:
    c = Cassette(tmp_path / "s.yaml", "s")
    assert c.add(rule("hi", "Hello", pacing={"ttft_ms": 100}))
    assert not c.add(rule("hi", "Hello", pacing={"ttft_ms": 300}))
    assert len(c.rules) == 1 and c.rules[0]["stream"] == {"ttft_ms": 100}


def test_same_request_with_other_answers_is_a_sequence_kept_together(tmp_path: Path) -> None:
    c = Cassette(tmp_path / "s.yaml", "s")
    c.add(rule("hi", "one"))
    c.add(rule("bye", "ciao"))
    c.add(rule("hi", "two"))
    c.add(rule("hi", "three"))
    assert [(r["name"], r.get("times")) for r in c.rules] == [
        ("r", 1), ("r-3", 1), ("r-4", None), ("r-2", None)
    ]  # fmt: skip
    assert [r["reply"][0]["message"] for r in c.rules] == ["one", "two", "three", "ciao"]
    assert not c.add(rule("hi", "two"))  # already in the sequence


def test_merging_into_the_saved_file_changes_no_byte(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    c = Cassette(path, "s")
    for r in (rule("hi", "one"), rule("hi", "two"), rule("hi there", "x")):
        c.add(r)
    c.save()
    first = path.read_bytes()
    again = Cassette(path, "s")
    for r in (rule("hi", "one"), rule("hi", "two"), rule("hi there", "x")):
        assert not again.add(r)
    again.save()
    assert path.read_bytes() == first
    assert again.text() == Cassette(path, "s").text()
    assert not check_paths([tmp_path]).errors


def test_a_text_that_a_later_rule_contains_becomes_an_exact_match(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    c = Cassette(path, "s")
    c.add(rule("Hi (you)?", "short"))
    c.add(rule("hi (you)? and more", "long"))
    c.save()
    assert c.rules[0]["when"] == {"input_matches": r"^Hi\ \(you\)\?$", "turn": 1}
    assert c.rules[1]["when"]["input_contains"] == "hi (you)? and more"
    merged = Cassette(path, "s")  # the exact match is the same request for merging
    assert not merged.add(rule("Hi (you)?", "short"))


def test_hand_written_rules_and_keys_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nseed: 3\nrules:\n  - name: mine\n    when: {model: 'gpt-*'}\n"
        "    reply: [{message: ok}]\n",
        encoding="utf-8",
    )
    c = Cassette(path, "s")
    c.add(rule("hi", "Hello"))
    text = c.text()
    assert "seed: 3" in text and "name: mine" in text and "name: r" in text


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("name: other\nrules: []\n", "holds scenario 'other'"),
        ("rules: [", "cannot merge"),
        ("- 1\n", "not one scenario with rules"),
    ],
)
def test_refuses_a_file_it_cannot_merge_into(tmp_path: Path, content: str, why: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CassetteError, match=why):
        Cassette(path, "s")


def test_rules_changed_after_a_save_are_written_anew(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    c = Cassette(path, "s")
    c.add(rule("hi", "one"))
    c.add(rule("bye", "ciao"))
    c.save()  # both rules' text kept from here on
    c.add(rule("hi", "two"))  # "hi" gets times: 1
    c.add(rule("bye for now", "later"))  # "bye" becomes an exact match
    c.save()
    text = path.read_text(encoding="utf-8")
    assert "times: 1" in text and r"input_matches: ^bye$" in text
    assert Cassette(path, "s").text() == text  # the same as writing every rule afresh
