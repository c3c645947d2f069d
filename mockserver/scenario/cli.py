"""What `mockserver validate` and `mockserver schema` run (cli.py prints and sets the exit code)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mockserver.scenario.load import collect
from mockserver.scenario.schema import schema_json

__all__ = ["schema_json", "validate_paths"]


def validate_paths(paths: Iterable[Path]) -> list[str]:
    """Every problem in the scenario files under paths, one `file:line:col: ...` line each."""
    paths = list(paths)
    loaded = collect(paths)
    lines = [str(p) for p in loaded.problems]
    for path in paths:
        if path.is_dir() and not any(f.is_relative_to(path) for f in loaded.files):
            lines.append(f"{path}:0:0: no .yaml or .yml files in this folder")
    return lines
