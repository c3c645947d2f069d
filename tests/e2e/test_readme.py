"""README.md is assembled from docs/sections/ and must not drift from them."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _builder() -> Any:
    spec = importlib.util.spec_from_file_location("build_readme", ROOT / "scripts/build_readme.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_readme_is_the_assembled_sections() -> None:
    expected = _builder().build()
    actual = (ROOT / "README.md").read_text(encoding="utf-8")
    assert actual == expected, "README.md is stale: run `python scripts/build_readme.py`"


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install -e . && mockserver serve" in readme
    assert "pip install -e '.[test]' && pytest" in readme


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert "pip install --quiet -e '.[test]'" in ci
    assert re.search(r"^pytest$", ci, flags=re.MULTILINE)


def test_every_section_is_in_the_readme() -> None:
    names = {p.stem for p in (ROOT / "docs/sections").glob("*.md")}
    assert names == set(_builder().ORDER)
