"""docs/fidelity.md is what scripts/gen_fidelity_table.py makes from the code's registries."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def gen() -> ModuleType:
    path = ROOT / "scripts" / "gen_fidelity_table.py"
    spec = importlib.util.spec_from_file_location("gen_fidelity_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def page() -> str:
    text: str = gen().render()
    return text


def test_the_committed_table_is_what_the_script_makes() -> None:
    committed = (ROOT / "docs" / "fidelity.md").read_text(encoding="utf-8")
    assert committed == page(), "run: python scripts/gen_fidelity_table.py"


def test_the_sdk_extract_matches_the_installed_sdk_of_its_version() -> None:
    import openai

    extract = gen().sdk_lists()
    if extract["openai"] != openai.__version__:
        pytest.skip(f"openai {openai.__version__} installed, extract of {extract['openai']}")
    assert extract == gen().installed_sdk_lists()


def row(name: str, section: str = "") -> list[str]:
    """The cells of a row; `section`: the heading it is under, when a name is in two."""
    text = page().split(f"## {section}", 1)[1] if section else page()
    lines = [ln for ln in text.splitlines() if ln.startswith(f"| `{name}` |")]
    return [cell.strip() for cell in lines[0].strip("|").split("|")]


@pytest.mark.parametrize(
    ("name", "mock"),
    [
        ("output", "emitted, scriptable"),
        ("usage", "emitted, scriptable"),
        ("id", "emitted"),
        ("message", "emitted, scriptable"),
        ("shell_call", "scriptable (`item:`)"),
        ("response.output_text.delta", "emitted"),
        ("response.queued", "emitted"),
        ("response.shell_call_command.delta", "scriptable (`item:`)"),
        ("response.image_generation_call.partial_image", "scriptable (`item:`)"),
        ("response.apply_patch_call_operation_diff.done", "scriptable (`item:`)"),
        ("response.audio.delta", "not emulated"),
    ],
)
def test_rows_say_what_the_code_does(name: str, mock: str) -> None:
    assert row(name)[3] == mock


def test_a_name_in_two_tables() -> None:
    assert row("error", "Response fields")[3] == "emitted, scriptable"
    assert row("error", "Stream event types")[3] == "emitted"


def test_events_only_real_traffic_shows_are_listed_as_such() -> None:
    assert row("response.apply_patch_call_operation_diff.delta")[1:3] == ["no", "no"]
    assert row("response.shell_call_command.added")[1:3] == ["yes", "yes"]
