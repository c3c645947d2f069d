"""What must never reach a recorded file: credentials, cookies, chosen JSON paths, patterns.

Headers are never written at all; what is scrubbed here is text that can carry a secret into
a rule: the request (its user text becomes a `when`) and the upstream's answer (a model may
echo what it was sent, an error message may quote a key). Three sources of secrets:
- the exchange's own credentials: the API key of `Authorization` (and `api-key`,
  `x-api-key`, `proxy-authorization`), every cookie value the client sent and every cookie
  the upstream set, as literal strings;
- `--redact-path`: dotted JSON paths (`*` for any key or index) whose values are replaced in
  the request and the answer, and scrubbed wherever else they appear as text;
- `--redact-pattern`: regular expressions, plus built-in ones for OpenAI-style keys and
  bearer tokens.
Every match becomes "<redacted>" (the journal's word for the same thing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.http.exchange import REDACTED, SECRET_HEADERS

# Keys shaped like OpenAI's (sk-..., sk-proj-...), and bearer tokens written out in text.
BUILT_IN_PATTERNS = (r"\bsk-[A-Za-z0-9_-]{16,}", r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}")
MIN_LITERAL = 6  # shorter values are not scrubbed as text (they would hit ordinary words)


@dataclass(frozen=True)
class Redaction:
    paths: tuple[tuple[str, ...], ...]
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, paths: Iterable[str], patterns: Iterable[str]) -> Redaction:
        """Raises ValueError naming a pattern that does not compile."""
        compiled = []
        for text in (*BUILT_IN_PATTERNS, *patterns):
            try:
                compiled.append(re.compile(text))
            except re.error as exc:
                raise ValueError(f"--redact-pattern {text!r}: {exc}") from None
        return cls(tuple(tuple(p.split(".")) for p in paths if p), tuple(compiled))


def header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The credential values of a request's headers (names in any case)."""
    found = []
    for name, value in headers.items():
        name = name.lower()
        if name == "cookie":
            found += [c.partition("=")[2].strip() for c in value.split(";")]
        elif name in SECRET_HEADERS:
            scheme, _, rest = value.strip().partition(" ")
            found += [value.strip(), rest.strip() if rest else scheme]
    return [s for s in found if len(s) >= MIN_LITERAL]


def set_cookie_secrets(values: Iterable[str]) -> list[str]:
    """The cookie values of an answer's Set-Cookie headers."""
    found = [v.split(";")[0].partition("=")[2].strip() for v in values]
    return [s for s in found if len(s) >= MIN_LITERAL]


class Scrubber:
    """One exchange's redaction: replace the paths, then scrub every string of a tree."""

    def __init__(self, redaction: Redaction, literals: Iterable[str]) -> None:
        self._redaction = redaction
        self._literals = sorted(
            {s for s in literals if len(s) >= MIN_LITERAL}, key=len, reverse=True
        )

    def learn(self, secrets: Iterable[str]) -> None:
        """More literal secrets (an answer's cookies), scrubbed from now on."""
        kept = {*self._literals, *(s for s in secrets if len(s) >= MIN_LITERAL)}
        self._literals = sorted(kept, key=len, reverse=True)

    def paths(self, tree: Any) -> Any:
        """tree with the values at the redacted paths replaced; their text is scrubbed
        everywhere else from now on."""
        for path in self._redaction.paths:
            tree = self._replace(tree, path)
        return tree

    def _replace(self, tree: Any, path: tuple[str, ...]) -> Any:
        if not path:
            self.learn(_strings(tree))
            return REDACTED
        head, rest = path[0], path[1:]
        if isinstance(tree, Mapping):
            return {k: self._replace(v, rest) if head in ("*", k) else v for k, v in tree.items()}
        if isinstance(tree, list):
            return [
                self._replace(v, rest) if head in ("*", str(i)) else v for i, v in enumerate(tree)
            ]
        return tree

    def text(self, tree: Any) -> Any:
        """Every string of tree with the literals and patterns replaced."""
        if isinstance(tree, str):
            for literal in self._literals:
                tree = tree.replace(literal, REDACTED)
            for pattern in self._redaction.patterns:
                tree = pattern.sub(REDACTED, tree)
            return tree
        if isinstance(tree, Mapping):
            return {k: self.text(v) for k, v in tree.items()}
        if isinstance(tree, list | tuple):
            return [self.text(v) for v in tree]
        return tree


def _strings(tree: Any) -> list[str]:
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, Mapping):
        return [s for v in tree.values() for s in _strings(v)]
    if isinstance(tree, list):
        return [s for v in tree for s in _strings(v)]
    return [str(tree)] if tree is not None else []
