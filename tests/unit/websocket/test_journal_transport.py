"""The journal says which transport a request came over, and the typed admin client reads it."""

from __future__ import annotations

from mockserver.http.exchange import Exchange
from mockserver.observe.journal import Journal
from mockserver.testing.admin_types import RequestEntry


def test_transport_round_trips_to_the_admin_client() -> None:
    journal = Journal(10)
    ws = Exchange("req_1", "WS", "/v1/responses", 0.0, transport="websocket")
    journal.record(ws)
    journal.record(Exchange("req_2", "POST", "/v1/responses", 0.0))
    entries = [RequestEntry.from_json(e.as_json()) for e in journal.query()]
    assert [(e.method, e.transport) for e in entries] == [("WS", "websocket"), ("POST", "http")]
