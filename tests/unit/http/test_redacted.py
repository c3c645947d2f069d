"""redacted(): lowercased names, credentials hidden, whatever names it has seen before."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from mockserver.http import exchange
from mockserver.http.exchange import REDACTED, SECRET_HEADERS, KeptHeaders, redacted


def _plain(headers: CIMultiDictProxy[str]) -> dict[str, str]:
    """The definition, written out: every name lowered, every secret's value hidden."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        out[name.lower()] = REDACTED if name.lower() in SECRET_HEADERS else value
    return out


def test_redacted_agrees_with_its_definition_on_first_and_later_sight() -> None:
    headers = CIMultiDictProxy(
        CIMultiDict(
            [
                ("Host", "127.0.0.1:8000"),
                ("Authorization", "Bearer sk-secret"),
                ("Content-Type", "application/json"),
                ("X-Mock-Scenario", "s"),
                ("cookie", "a=1"),
                ("COOKIE", "b=2"),
                ("X-Api-Key", "k"),
                ("accept", "1"),
                ("Accept", "2"),  # the last of one name wins, as in a dict
            ]
        )
    )
    first, again = redacted(headers), redacted(headers)
    assert first == again == _plain(headers)
    assert list(first) == list(_plain(headers))
    assert "sk-secret" not in first.values()
    # Secret names are never remembered: each is lowered and hidden every time.
    assert not SECRET_HEADERS & {name.lower() for name in exchange._PLAIN_NAMES}


def test_redacted_stops_remembering_names_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exchange, "_PLAIN_NAMES", {})
    monkeypatch.setattr(exchange, "_MAX_NAMES", 2)
    headers = CIMultiDictProxy(CIMultiDict([(f"X-Name-{i}", str(i)) for i in range(5)]))
    assert redacted(headers) == _plain(headers)
    assert len(exchange._PLAIN_NAMES) == 2


def test_kept_headers_are_the_redacted_headers_worked_out_once() -> None:
    raw = CIMultiDictProxy(
        CIMultiDict([("Authorization", "Bearer sk-secret"), ("X-Trace", "a"), ("x-trace", "b")])
    )
    kept = KeptHeaders(raw)
    assert dict(kept) == redacted(raw)
    assert kept["authorization"] == "<redacted>" and kept.get("x-trace") == "b"
    assert len(kept) == 2 and "sk-secret" not in repr(kept)
    assert kept._raw is None  # the raw headers (the key) are let go once worked out
