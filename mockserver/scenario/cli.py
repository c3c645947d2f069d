"""What `mockserver validate` and `mockserver schema` run (cli.py prints and sets the exit code)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mockserver.scenario.load import collect
from mockserver.scenario.model import Rule, Scenario
from mockserver.scenario.schema import schema_json

__all__ = ["Checked", "check_paths", "schema_json", "unreachable_rules", "validate_paths"]


@dataclass(frozen=True)
class Checked:
    """What `mockserver validate` found: its errors, and how much it checked."""

    errors: list[str]
    warnings: list[str]  # printed, but not failing: rules that can never match
    files: int
    scenarios: int
    rules: int

    def summary(self) -> str:
        """`ok: 10 files, 10 scenarios, 37 rules`."""
        counts = ((self.files, "file"), (self.scenarios, "scenario"), (self.rules, "rule"))
        return "ok: " + ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts)


def check_paths(paths: Iterable[Path]) -> Checked:
    """Every problem in the scenario files under paths (one `file:line:col: ...` line each)."""
    paths = list(paths)
    loaded = collect(paths)
    lines = [str(p) for p in loaded.problems]
    for path in paths:
        if path.is_dir() and not any(f.is_relative_to(path) for f in loaded.files):
            lines.append(f"{path}: no .yaml or .yml files in this folder")
    rules = sum(len(s.rules) for s in loaded.scenarios)
    warnings = [w for s in loaded.scenarios for w in unreachable_rules(s)]
    return Checked(lines, warnings, len(loaded.files), len(loaded.scenarios), rules)


def unreachable_rules(scenario: Scenario) -> list[str]:
    """Rules an earlier rule always answers first: one with no `times` whose `when` is a part
    of theirs (the same keys with equal values; none at all is the catch-all). Whenever the
    later rule's conditions hold, the earlier one's hold too. `probability` is drawn per
    rule, so a rule with it shadows nothing."""
    found: list[str] = []
    for i, rule in enumerate(scenario.rules):
        mine = {(c.key, repr(c.raw)) for c in rule.when}
        for earlier in scenario.rules[:i]:
            theirs = {(c.key, repr(c.raw)) for c in earlier.when}
            drawn = any(c.key == "probability" for c in earlier.when)
            if earlier.times is None and not drawn and theirs <= mine:
                found.append(
                    f"{rule.origin}: warning: scenario '{scenario.name}': rule '{rule.name}' "
                    f"can never match: {_shadowing(earlier)}"
                )
                break
    return found


def _shadowing(earlier: Rule) -> str:
    if not earlier.when:
        return (
            f"the earlier rule '{earlier.name}' ({earlier.origin}) has no `when` and no "
            "`times`, so it answers every request first"
        )
    keys = ", ".join(sorted({c.key for c in earlier.when}))
    return (
        f"the earlier rule '{earlier.name}' ({earlier.origin}) has no `times` and its `when` "
        f"({keys}) holds whenever this rule's does, so it answers first"
    )


def validate_paths(paths: Iterable[Path]) -> list[str]:
    """Every problem in the scenario files under paths, one `file:line:col: ...` line each."""
    return check_paths(paths).errors
