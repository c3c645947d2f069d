"""Rows of results and the plain-text table the suite prints (and BENCHMARKS.md quotes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

NA = "n/a"


@dataclass(frozen=True)
class Row:
    section: str
    metric: str
    mock: str  # formatted figure of the mock
    reference: str = ""  # formatted figure of the reference, when there is one
    ratio: str = ""  # mock / reference (or what the target compares)
    target: str = ""
    verdict: str = ""  # "ok", "MISS", or "" (informational)
    note: str = ""


def verdict(passed: bool | None) -> str:
    if passed is None:
        return ""
    return "ok" if passed else "MISS"


def unavailable(section: str, metric: str, why: str, target: str = "") -> Row:
    return Row(section, metric, NA, target=target, verdict="n/a", note=why)


def fmt(value: float, digits: int = 0, unit: str = "") -> str:
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".rstrip()


def pct(value: float) -> str:
    return f"{100 * value:.0f}%"


_COLUMNS = ("section", "metric", "mock", "reference", "ratio", "target", "verdict")


def table(rows: Sequence[Row]) -> str:
    """A fixed-width table (notes as indented lines under their row)."""
    header = {c: c for c in _COLUMNS}
    cells = [header] + [{c: str(getattr(r, c)) for c in _COLUMNS} for r in rows]
    widths = {c: max(len(cell[c]) for cell in cells) for c in _COLUMNS}
    lines = []
    for i, cell in enumerate(cells):
        lines.append("  ".join(cell[c].ljust(widths[c]) for c in _COLUMNS).rstrip())
        if i == 0:
            lines.append("  ".join("-" * widths[c] for c in _COLUMNS))
        elif rows[i - 1].note:
            lines.append(" " * (widths["section"] + 2) + "  " + rows[i - 1].note)
    return "\n".join(lines)


def as_json(rows: Sequence[Row], details: dict[str, Any]) -> dict[str, Any]:
    return {"rows": [asdict(r) for r in rows], "details": details}
