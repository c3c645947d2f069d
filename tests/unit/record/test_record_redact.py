"""redact.py: credentials from headers, JSON paths (scrubbed wherever their value reappears),
built-in and configured patterns."""

from __future__ import annotations

import pytest

from mockserver.record.redact import Redaction, Scrubber, header_secrets, set_cookie_secrets


def test_header_secrets_are_the_key_and_every_cookie_value() -> None:
    found = header_secrets(
        {"Authorization": "Bearer my-secret-key", "Cookie": "a=cookie-one; b=cookie-two; c=x",
         "X-Api-Key": "other-secret", "Accept": "text/plain"}
    )  # fmt: skip
    assert {"my-secret-key", "cookie-one", "cookie-two", "other-secret"} <= set(found)
    assert "x" not in found and "text/plain" not in found


def test_paths_are_replaced_and_their_values_scrubbed_everywhere() -> None:
    scrub = Scrubber(Redaction.of(["metadata.token", "input.*.secret"], []), [])
    body = {"metadata": {"token": "tok-123456", "user": "u"},
            "input": [{"secret": "first-secret"}, {"secret": "2nd-secret", "ok": 1}]}  # fmt: skip
    assert scrub.paths(body) == {
        "metadata": {"token": "<redacted>", "user": "u"},
        "input": [{"secret": "<redacted>"}, {"secret": "<redacted>", "ok": 1}],
    }
    echoed = {"reply": [{"message": "your tok-123456 and first-secret"}]}
    assert scrub.text(echoed) == {"reply": [{"message": "your <redacted> and <redacted>"}]}


def test_literals_and_patterns_are_scrubbed_from_any_string() -> None:
    scrub = Scrubber(Redaction.of([], [r"acct-\d+"]), ["cookie-value-1"])
    tree = {"a": ["x cookie-value-1 y", "sk-proj-abcdefghijklmnop1234", "acct-991", 3],
            "b": "Authorization: Bearer abcdefghijk"}  # fmt: skip
    assert scrub.text(tree) == {
        "a": ["x <redacted> y", "<redacted>", "<redacted>", 3],
        "b": "Authorization: <redacted>",
    }


def test_a_bad_pattern_is_named() -> None:
    with pytest.raises(ValueError, match=r"--redact-pattern '\('"):
        Redaction.of([], ["("])


def test_an_answers_cookies_are_learned_as_secrets() -> None:
    cookies = set_cookie_secrets(["sid=server-session-1; Path=/; HttpOnly", "x=1"])
    assert cookies == ["server-session-1"]
    scrub = Scrubber(Redaction.of([], []), [])
    scrub.learn(cookies)
    assert scrub.text("echo server-session-1") == "echo <redacted>"
