"""`close_code` of a disconnect fault: the WebSocket close frame's code, validated."""

from __future__ import annotations

import pytest

from mockserver.faults.spec import parse_faults, validate_fault
from mockserver.faults.stream_faults import fault_stream


@pytest.mark.parametrize("code", [1000, 1008, 1011, 1012, 3000, 4999])
def test_codes_a_server_may_send(code: int) -> None:
    value = {"kind": "disconnect", "after_events": 1, "close_code": code}
    assert validate_fault(value) == []
    (spec,) = parse_faults(value)
    events = [{"type": "response.created", "sequence_number": 0}] * 3
    (action,) = fault_stream(events, [0.0, 0.0, 0.0], [spec]).actions[1]
    assert (action.kind, action.close_code) == ("disconnect", code)


@pytest.mark.parametrize("code", [999, 1005, 1006, 1015, 2000, 5000, "1011", True])
def test_reserved_or_invalid_codes(code: object) -> None:
    (problem,) = validate_fault({"kind": "disconnect", "close_code": code})
    assert problem.startswith("fault.close_code: expected a WebSocket close code")


def test_only_disconnect_has_a_close_code() -> None:
    (problem,) = validate_fault({"kind": "reset", "close_code": 1011})
    assert "not a setting of reset" in problem
