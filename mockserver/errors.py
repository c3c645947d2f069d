"""One exception tree for everything the server refuses, mapped to OpenAI error bodies.

Raise a MockError (or a subclass) anywhere; the error middleware in app.py turns it into
`{"error": {"message", "type", "param", "code"}}` with its status and headers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class MockError(Exception):
    """An error answered to the client in the OpenAI shape."""

    status: int = 500
    type: str = "server_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        status: int | None = None,
        type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, code={self.code!r}, {self.message!r})"


class InvalidRequest(MockError):
    status = 400
    type = "invalid_request_error"


class AuthenticationError(MockError):
    status = 401
    type = "invalid_request_error"


class PermissionDenied(MockError):
    status = 403
    type = "invalid_request_error"


class NotFound(MockError):
    status = 404
    type = "invalid_request_error"


class PayloadTooLarge(MockError):
    status = 413
    type = "invalid_request_error"


class RateLimited(MockError):
    status = 429
    type = "requests"


class ServerError(MockError):
    status = 500
    type = "server_error"


def missing_parameter(param: str) -> InvalidRequest:
    return InvalidRequest(
        f"Missing required parameter: '{param}'.", code="missing_required_parameter", param=param
    )


def invalid_type(param: str, expected: str, got: object) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid type for '{param}': expected {expected}, but got {_json_type(got)} instead.",
        code="invalid_type",
        param=param,
    )


def unsupported_value(param: str, value: object, allowed: Sequence[str]) -> InvalidRequest:
    """The API's enum error: "Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'." """
    quoted = [f"'{a}'" for a in allowed]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    if len(quoted) == 2:
        listed = f"{quoted[0]} and {quoted[1]}"
    return InvalidRequest(
        f"Invalid value: '{value}'. Supported values are: {listed}.",
        code="invalid_value",
        param=param,
    )


# How the API names a value's JSON type in its messages ("but got a string instead").
API_TYPE_WORDS = {
    "null": "null",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a decimal",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}


def json_kind(value: object) -> str:
    """The JSON type of a parsed value: null, boolean, integer, number, string, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _json_type(value: object) -> str:
    return API_TYPE_WORDS[json_kind(value)]


def mask_key(key: str) -> str:
    """An API key as the API's messages show it: `sk-abc***xyz`, never whole."""
    if len(key) <= 8:
        return "*" * len(key)
    return f"{key[:3]}{'*' * min(len(key) - 7, 20)}{key[-4:]}"
