"""Located problems in scenario files: `file:line:col: json.path: what is wrong; what is allowed`.

Every check (YAML syntax, schema, regexes, templates, spec items, duplicate names) reports a
Problem instead of raising, so one run lists every mistake in every file at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """JSONPath-like text: `$.rules[2].when.model`."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass(frozen=True, order=True)
class Problem:
    source: str
    line: int  # 1-based; 0 when unknown
    col: int  # 1-based; 0 when unknown
    path: str  # from format_path, or "" for problems outside the document (syntax, encoding)
    message: str
    # False for a problem with the path itself (a missing file): `PATH: message`, no 0:0.
    located: bool = field(default=True, compare=False)

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}:{self.col}" if self.located else self.source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioLoadError(Exception):
    """Raised with every problem found; nothing of a failed load is ever served."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(sorted(problems))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in scenario files"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


def did_you_mean(word: str, allowed: Iterable[str]) -> str:
    """` (did you mean 'model'?)` when something allowed is close, else ''."""
    close = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def one_of(allowed: Iterable[str]) -> str:
    return ", ".join(sorted(allowed))


def alternatives(options: Sequence[str]) -> str:
    """`a, b or c`."""
    if len(options) <= 1:
        return "".join(options)
    return ", ".join(options[:-1]) + " or " + options[-1]
